/**
 * {@linkcode PriorityQueue}: a queue that returns the smallest item first.
 * Equivalent to Python's `asyncio.PriorityQueue`.
 *
 * @module
 */
import { Heap } from "./_stores.ts";
import { Queue, type QueueOptions, useStore } from "./queue.ts";

/**
 * Options of {@linkcode PriorityQueue}.
 *
 * @example
 * ```ts
 * import { PriorityQueue, type PriorityQueueOptions } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const newestFirst: PriorityQueueOptions<Date> = { compare: (a, b) => b.getTime() - a.getTime() };
 * const queue = new PriorityQueue(newestFirst);
 * queue.putNowait(new Date(1));
 * queue.putNowait(new Date(2));
 * assert.equal(queue.getNowait().getTime(), 2);
 * ```
 */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /**
   * Orders the items: negative when `a` comes out before `b`, positive when
   * after, 0 when either may (default {@linkcode compareItems}).
   */
  compare?: (a: T, b: T) => number;
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * The default order of a {@linkcode PriorityQueue}, Python's `<` on the
 * values it queues: numbers (bigints and booleans too) by value, strings by
 * UTF-16 code units, arrays element by element like Python tuples (the first
 * unequal element decides; a prefix comes first). Returns a negative number,
 * 0 or a positive number.
 *
 * @throws {TypeError} The two values are not both numbers, both strings, or
 *   both arrays (at the elements compared, for arrays), as Python refuses
 *   `1 < "a"`.
 *
 * @example
 * ```ts
 * import { compareItems } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * assert.ok(compareItems(1, 2) < 0);
 * assert.ok(compareItems([1, "b"], [1, "a"]) > 0);
 * assert.ok(compareItems([1], [1, 0]) < 0);
 * assert.throws(() => compareItems(1, "a"), TypeError);
 * ```
 */
export function compareItems(a: unknown, b: unknown): number {
  const ta = typeof a, tb = typeof b;
  if (
    (ta === "number" || ta === "bigint" || ta === "boolean") &&
    (tb === "number" || tb === "bigint" || tb === "boolean")
  ) {
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  if (ta === "string" && tb === "string") {
    return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const order = compareItems(a[i], b[i]);
      if (order !== 0) return order;
    }
    return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
  }
  throw new TypeError(
    `Cannot order PriorityQueue items as the default order needs two numbers, two strings or two arrays: received ${
      kind(a)
    } and ${kind(b)}; pass a 'compare' function`,
  );
}

/**
 * A queue that returns its smallest item first. Equivalent to Python's
 * `asyncio.PriorityQueue`: the default order is Python's, so
 * `[priority, data]` tuples work as there ({@linkcode compareItems}); pass
 * `compare` for any other order. Like `heapq`, it is not stable: add a
 * sequence number (`[priority, seq, data]`) for FIFO order among equals.
 * Everything else is {@linkcode Queue}'s.
 *
 * @typeParam T The items' type.
 *
 * @example
 * ```ts
 * import { PriorityQueue } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const jobs = new PriorityQueue<[number, string]>();
 * jobs.putNowait([2, "write"]);
 * jobs.putNowait([1, "read"]);
 * assert.deepEqual(jobs.getNowait(), [1, "read"]);
 *
 * const byLength = new PriorityQueue<string>({ compare: (a, b) => a.length - b.length });
 * byLength.putNowait("three");
 * byLength.putNowait("to");
 * assert.equal(byLength.getNowait(), "to");
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  /**
   * Creates an empty priority queue.
   *
   * @throws {TypeError} `maxsize` is not a number, or `compare` is given but
   *   is not a function.
   */
  constructor(options?: PriorityQueueOptions<T>) {
    super(options);
    const compare = options?.compare ?? compareItems;
    if (typeof compare !== "function") {
      throw new TypeError(
        `Cannot create PriorityQueue as 'compare' must be a function: received ${kind(compare)}`,
      );
    }
    useStore(this, new Heap<T>(compare));
  }
}
