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
export {
  type Awaiter,
  type DoneCallbackOptions,
  Future,
  type FutureChain,
  type FutureOptions,
  isFuture,
} from "./future.ts";
export { allTasks, currentTask, Task, type TaskOptions } from "./task.ts";
export { createTask } from "./create_task.ts";
export { ensureFuture, type EnsureFutureOptions, wrapFuture } from "./ensure_future.ts";
export { sleep } from "./sleep.ts";
export * from "./gather.ts";
export { shield } from "./shield.ts";
export {
  ALL_COMPLETED,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type ReturnWhen,
  wait,
  type WaitOptions,
} from "./wait.ts";
export { waitFor } from "./wait_for.ts";
export { asCompleted, type AsCompletedIterator, type AsCompletedOptions } from "./as_completed.ts";
export { Timeout, timeout, timeoutAt, type TimeoutBody } from "./timeouts.ts";
export { TaskGroup } from "./task_group.ts";
export { createEagerTaskFactory, eagerTaskFactory, type TaskConstructor } from "./eager.ts";
export { ConcurrentFuture, runCoroutineThreadsafe } from "./threadsafe.ts";
export { abortable } from "./abortable.ts";
