/**
 * {@linkcode LifoQueue}: a queue that returns the newest item first.
 * Equivalent to Python's `asyncio.LifoQueue`.
 *
 * @module
 */
import { Stack } from "./_stores.ts";
import { Queue, type QueueOptions, useStore } from "./queue.ts";

/**
 * A last-in, first-out queue (a stack). Equivalent to Python's
 * `asyncio.LifoQueue`; everything but the order is {@linkcode Queue}'s.
 *
 * @typeParam T The items' type.
 *
 * @example
 * ```ts
 * import { LifoQueue } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const stack = new LifoQueue<number>();
 * for (const i of [1, 2, 3]) stack.putNowait(i);
 * assert.deepEqual([stack.getNowait(), stack.getNowait(), stack.getNowait()], [3, 2, 1]);
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  /**
   * Creates an empty LIFO queue.
   *
   * @throws {TypeError} `maxsize` is not a number.
   */
  constructor(options?: QueueOptions) {
    super(options);
    useStore(this, new Stack<T>());
  }
}
