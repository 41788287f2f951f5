/**
 * The export surface of the foundation: the asyncio names of the loop,
 * futures, runners, policies and the virtual clock are reachable from the
 * entry points that deno.json declares.
 */
import assert from "node:assert/strict";
import * as root from "../../mod.ts";
import * as loop from "../../loop/mod.ts";
import * as tasks from "../../tasks/mod.ts";
import * as testing from "../../testing/mod.ts";

const LOOP_NAMES = [
  // asyncio.events, base_events, selector/proactor loops
  "Handle",
  "TimerHandle",
  "BaseEventLoop",
  "SelectorEventLoop",
  "ProactorEventLoop",
  "getRunningLoop",
  "getEventLoop",
  "setEventLoop",
  "newEventLoop",
  "getEventLoopPolicy",
  "setEventLoopPolicy",
  "DefaultEventLoopPolicy",
  "SelectorEventLoopPolicy",
  "ProactorEventLoopPolicy",
  // asyncio.runners
  "run",
  "Runner",
  // asyncio.exceptions
  "CancelledError",
  "InvalidStateError",
  "TimeoutError",
  "NotImplementedError",
  "RuntimeError",
  // contextvars
  "Context",
  "ContextVar",
  "Token",
  "copyContext",
];

const TASK_NAMES = [
  "Future",
  "isFuture",
  "wrapFuture",
  "ensureFuture",
  "Task",
  "createTask",
  "currentTask",
  "allTasks",
  "sleep",
  "gather",
];

Deno.test("@aio/asyncio/loop exports the loop's asyncio names", () => {
  const missing = LOOP_NAMES.filter((name) => !(name in loop));
  assert.deepEqual(missing, []);
});

Deno.test("@aio/asyncio/tasks exports the future and task names", () => {
  const missing = TASK_NAMES.filter((name) => !(name in tasks));
  assert.deepEqual(missing, []);
});

Deno.test("@aio/asyncio exports everything of ./loop and ./tasks, the same objects", () => {
  for (const [name, value] of [...Object.entries(loop), ...Object.entries(tasks)]) {
    assert.equal((root as Record<string, unknown>)[name], value, name);
  }
});

Deno.test("@aio/asyncio/testing exports TestLoop and VirtualClock", () => {
  assert.equal(typeof testing.TestLoop, "function");
  assert.equal(typeof testing.VirtualClock, "function");
  const testLoop = new testing.TestLoop();
  assert.ok(testLoop instanceof loop.BaseEventLoop);
  testLoop.close();
});
