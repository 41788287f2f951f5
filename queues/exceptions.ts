/**
 * The exceptions of the queues: {@linkcode QueueEmpty},
 * {@linkcode QueueFull} and {@linkcode QueueShutDown}.
 *
 * @module
 */

/**
 * `getNowait()` found no item. Equivalent to Python's `asyncio.QueueEmpty`.
 *
 * @example
 * ```ts
 * import { Queue, QueueEmpty } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Queue().getNowait(), QueueEmpty);
 * ```
 */
export class QueueEmpty extends Error {
  /** Creates the error with a message that names the state. */
  constructor(message: string = "Cannot get item: queue is empty", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueEmpty";
  }
}

/**
 * `putNowait()` found no free slot. Equivalent to Python's `asyncio.QueueFull`.
 *
 * @example
 * ```ts
 * import { Queue, QueueFull } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number>({ maxsize: 1 });
 * queue.putNowait(1);
 * assert.throws(() => queue.putNowait(2), QueueFull);
 * ```
 */
export class QueueFull extends Error {
  /** Creates the error with a message that names the state. */
  constructor(message: string = "Cannot put item: queue is full", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueFull";
  }
}

/**
 * The queue was shut down: puts fail, and gets fail once it is empty (at
 * once after `shutdown(true)`). Equivalent to Python's
 * `asyncio.QueueShutDown` (3.13).
 *
 * @example
 * ```ts
 * import { Queue, QueueShutDown } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<number>();
 * queue.shutdown();
 * assert.throws(() => queue.putNowait(1), QueueShutDown);
 * ```
 */
export class QueueShutDown extends Error {
  /** Creates the error with a message that names the state. */
  constructor(message: string = "Cannot use queue: queue is shut down", options?: ErrorOptions) {
    super(message, options);
    this.name = "QueueShutDown";
  }
}
