/**
 * `createTask` on the module, as Python's `asyncio.create_task`.
 *
 * @module
 */
import { getRunningLoop } from "../loop/current.ts";
import type { CoroutineFunction } from "../loop/abstract_event_loop.ts";
import type { Task, TaskOptions } from "./task.ts";

/**
 * Runs `fn` as a task on the running loop and returns the task. Equivalent
 * to Python's `asyncio.create_task`. Pass the function, not its promise: the
 * body starts in the task's first step, inside the task's context.
 *
 * @throws {TypeError} `fn` is not a function (to wrap a promise, use `ensureFuture`).
 * @throws {RuntimeError} No loop is running.
 *
 * @example
 * ```ts
 * import { createTask, run } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const task = createTask(async () => 21 * 2, { name: "answer" });
 *   assert.equal(task.getName(), "answer");
 *   assert.equal(await task, 42);
 * });
 * ```
 */
export function createTask<T>(fn: CoroutineFunction<T>, options?: TaskOptions): Task<T> {
  return getRunningLoop().createTask(fn, options);
}
