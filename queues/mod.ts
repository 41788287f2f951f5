/**
 * Queues for producer and consumer tasks: {@linkcode Queue} (FIFO),
 * {@linkcode PriorityQueue} and {@linkcode LifoQueue}, with
 * {@linkcode QueueEmpty}, {@linkcode QueueFull} and {@linkcode QueueShutDown}.
 * Equivalent to Python's `asyncio.queues` (3.13, with `shutdown()`).
 *
 * Waiting getters and putters are served FIFO; an item handed to a getter
 * that is cancelled before it receives it goes back, so nothing is lost or
 * duplicated. Queues are async-iterable until they are shut down.
 *
 * ```ts
 * import { Queue } from "@aio/asyncio/queues";
 * import { createTask, gather } from "@aio/asyncio/tasks";
 * import { run } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const queue = new Queue<string>({ maxsize: 1 });
 *   const seen: string[] = [];
 *   const consumer = createTask(async () => {
 *     for await (const url of queue) {
 *       seen.push(url);
 *       queue.taskDone();
 *     }
 *   });
 *   for (const url of ["/a", "/b", "/c"]) await queue.put(url);
 *   await queue.join();
 *   queue.shutdown();
 *   await gather(consumer);
 *   assert.deepEqual(seen, ["/a", "/b", "/c"]);
 * });
 * ```
 *
 * @module
 */
export { Queue, type QueueOptions, type QueueStatistics } from "./queue.ts";
export { compareItems, PriorityQueue, type PriorityQueueOptions } from "./priority_queue.ts";
export { LifoQueue } from "./lifo_queue.ts";
export { QueueEmpty, QueueFull, QueueShutDown } from "./exceptions.ts";
