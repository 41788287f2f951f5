/**
 * {@linkcode Permit}: what `acquire()` of a lock, semaphore or condition
 * resolves to.
 *
 * @module
 */

/**
 * A held acquisition of a `Lock`, `Semaphore`, `BoundedSemaphore` or
 * `Condition`, released exactly once: by {@linkcode Permit.release}, or by
 * `using` (or `await using`) at the end of the block that holds it. This is
 * Python's `async with lock:`, with a release that cannot be forgotten.
 *
 * Python's `acquire()` returns `True`; a permit is truthy, so `if (await
 * lock.acquire())` reads the same. Release through the permit or through the
 * primitive's `release()`, not both: the primitive does not know which
 * permit a plain `release()` ends, so the permit would release again.
 *
 * @example Hold a lock for the rest of a block
 * ```ts
 * import { Lock, run } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const lock = new Lock();
 *   {
 *     using _permit = await lock.acquire();
 *     assert.ok(lock.locked());
 *   }
 *   assert.ok(!lock.locked());
 * });
 * ```
 */
export interface Permit extends Disposable, AsyncDisposable {
  /** Releases the acquisition now; later calls and the disposal do nothing. */
  release(): void;
}
