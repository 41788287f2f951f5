/**
 * {@linkcode BoundedSemaphore}: a semaphore that refuses over-release.
 * Equivalent to Python's `asyncio.BoundedSemaphore`.
 *
 * @module
 */
import { boundSemaphore, Semaphore } from "./semaphore.ts";

/**
 * A {@linkcode Semaphore} whose `release()` throws instead of raising the
 * value above its initial value, which catches a release without a matching
 * acquire. Equivalent to Python's `asyncio.BoundedSemaphore` (whose
 * `ValueError` is a `RangeError` here).
 *
 * @example
 * ```ts
 * import { BoundedSemaphore, run } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const sem = new BoundedSemaphore(1);
 *   const permit = await sem.acquire();
 *   permit.release();
 *   assert.throws(() => sem.release(), RangeError);
 * });
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  /**
   * Creates a semaphore with `value` free permits (default 1), never more.
   *
   * @throws {TypeError} `value` is not a number.
   * @throws {RangeError} `value` is negative or not an integer.
   */
  constructor(value: number = 1) {
    super(value);
    boundSemaphore(this, value);
  }
}
