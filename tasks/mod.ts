/**
 * Futures, tasks and their composition: `Future`, `Task`, `createTask`,
 * `sleep`, `gather`, `shield`, `wait`, `waitFor`, `asCompleted`, `timeout`,
 * `TaskGroup`, the eager task factory and `ensureFuture`. Equivalent to
 * Python's `asyncio.futures`, `asyncio.tasks`, `asyncio.timeouts` and
 * `asyncio.taskgroups`.
 *
 * ```ts
 * import { createTask, gather, sleep } from "@aio/asyncio/tasks";
 * import { run } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const slow = createTask(async () => { await sleep(0.01); return "slow"; });
 *   const results = await gather(slow, async () => "fast");
 *   assert.deepEqual(results, ["slow", "fast"]);
 * });
 * ```
 *
 * @module
 */
export { type DoneCallbackOptions, Future, type FutureOptions, isFuture } from "./future.ts";
export { allTasks, currentTask, Task, type TaskOptions } from "./task.ts";
export { createTask } from "./create_task.ts";
export { ensureFuture, type EnsureFutureOptions, wrapFuture } from "./ensure_future.ts";
export { sleep } from "./sleep.ts";
export * from "./gather.ts";
