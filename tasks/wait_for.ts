/**
 * `waitFor`: await something with a timeout.
 *
 * @module
 */
import { CancelledError, TimeoutError } from "../loop/exceptions.ts";
import { getRunningLoop } from "../loop/current.ts";
import { Future, onDone } from "./future.ts";
import { ensureFuture } from "./ensure_future.ts";
import type { Awaitable } from "./gather.ts";
import { Timeout } from "./timeouts.ts";

/**
 * Awaits `aw` for at most `timeout` seconds (null: no limit) and returns its
 * result. Equivalent to Python 3.12+'s `asyncio.wait_for`, which is built on
 * `timeout()`: a function runs inline in the current task under the
 * deadline; a future or task is awaited, and cancelled when the deadline
 * passes; a promise is wrapped with `wrapFuture` so the wait is cancellable.
 * A timeout of 0 or less cancels `aw` at once unless it is already done.
 *
 * @throws {TimeoutError} The deadline passed.
 * @throws {RangeError} `timeout` is NaN or not a number.
 *
 * @example
 * ```ts
 * import { run, sleep, TimeoutError, waitFor } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   assert.equal(await waitFor(() => sleep(0.001, "ok"), 1), "ok");
 *   await assert.rejects(waitFor(() => sleep(10), 0.01), TimeoutError);
 * });
 * ```
 */
export async function waitFor<T>(aw: Awaitable<T>, timeout: number | null): Promise<T> {
  if (timeout !== null && (typeof timeout !== "number" || Number.isNaN(timeout))) {
    throw new RangeError(
      `Cannot wait for as 'timeout' must be a number of seconds or null: received ${
        String(timeout)
      }`,
    );
  }
  if (timeout !== null && timeout <= 0) {
    const fut = ensureFuture(aw);
    if (fut.done()) return fut.result();
    await cancelAndWait(fut);
    try {
      return fut.result();
    } catch (err) {
      if (err instanceof CancelledError) {
        throw new TimeoutError("The timeout expired before the awaitable was done", { cause: err });
      }
      throw err;
    }
  }
  const deadline = new Timeout(
    timeout === null || timeout === Infinity ? null : getRunningLoop().time() + timeout,
  );
  return await deadline.run(() => typeof aw === "function" ? aw() : ensureFuture(aw));
}

// Cancels `fut` and waits until it is done, through a separate waiter so the
// wait itself stays cancellable.
async function cancelAndWait(fut: Future<unknown>): Promise<void> {
  const waiter = new Future<void>({ loop: fut.getLoop() });
  const release = (): void => {
    if (!waiter.done()) waiter.setResult();
  };
  onDone(fut, release);
  try {
    fut.cancel();
    await waiter;
  } finally {
    fut.removeDoneCallback(release);
  }
}
