/**
 * Synchronization primitives for tasks: {@linkcode Lock}, {@linkcode Event},
 * {@linkcode Condition}, {@linkcode Semaphore}, {@linkcode BoundedSemaphore}
 * and {@linkcode Barrier}. Equivalent to Python's `asyncio.locks` (and
 * `asyncio.BrokenBarrierError`).
 *
 * Every primitive waits in one FIFO, cancellation-aware queue: waiters are
 * served in arrival order, a waiter whose task is cancelled leaves the
 * queue, and a wake-up handed to a task cancelled before it resumed passes
 * to the next waiter, so none is lost. `acquire()` resolves to a
 * {@linkcode Permit}: hold it with `using` and the release cannot be
 * forgotten (Python's `async with lock:`), or use `withLock(fn)`.
 *
 * ```ts
 * import { Lock, Semaphore } from "@aio/asyncio/sync";
 * import { createTask, gather } from "@aio/asyncio/tasks";
 * import { run } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const lock = new Lock();
 *   const slots = new Semaphore(2);
 *   const log: string[] = [];
 *   const job = (name: string) => async () => {
 *     using _slot = await slots.acquire();
 *     await lock.withLock(() => log.push(name));
 *   };
 *   await gather(createTask(job("a")), createTask(job("b")), createTask(job("c")));
 *   assert.deepEqual(log, ["a", "b", "c"]);
 * });
 * ```
 *
 * @module
 */
export { type Permit } from "./permit.ts";
export { Lock, type LockStatistics } from "./lock.ts";
export { Event, type EventStatistics } from "./event.ts";
export { Condition, type ConditionStatistics } from "./condition.ts";
export { Semaphore, type SemaphoreStatistics } from "./semaphore.ts";
export { BoundedSemaphore } from "./bounded_semaphore.ts";
export { Barrier, type BarrierState, BrokenBarrierError } from "./barrier.ts";
