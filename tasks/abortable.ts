/**
 * `abortable`: bind any awaitable to an outside `AbortSignal`.
 *
 * @module
 */
import { CancelledError } from "../loop/exceptions.ts";
import { Future, onDone } from "./future.ts";
import { ensureFuture } from "./ensure_future.ts";
import type { Awaitable } from "./gather.ts";

/**
 * A future that follows `aw` and is cancelled when `signal` aborts, so
 * JavaScript code that cancels with `AbortController` can cancel asyncio
 * waits. Aborting cancels the wait and, as `waitFor` does, `aw` itself (a
 * function is run as a task); so does cancelling the task that awaits the
 * result. Wrap `aw` in `shield()` to keep it running. The `CancelledError`
 * carries the abort reason as its `cause`.
 *
 * The opposite direction is `Task.signal`: an `AbortSignal` that aborts when
 * the task is cancelled, for `fetch(url, { signal })` and other APIs that
 * take one. A foreign promise that takes no signal cannot be interrupted;
 * `await wrapFuture(promise)` at least makes the wait cancellable.
 *
 * @throws {TypeError} `signal` is not an AbortSignal.
 *
 * @example
 * ```ts
 * import { abortable, CancelledError, run, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const controller = new AbortController();
 *   setTimeout(() => controller.abort(new Error("user left")), 5);
 *   await assert.rejects(async () => await abortable(() => sleep(60), controller.signal), CancelledError);
 * });
 * ```
 */
export function abortable<T>(aw: Awaitable<T>, signal: AbortSignal): Future<T> {
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot bind to signal as 'signal' must be an AbortSignal: received ${typeof signal}`,
    );
  }
  const inner = ensureFuture(aw);
  if (inner.done()) return inner;
  const outer = new AbortableFuture<T>({ loop: inner.getLoop() });
  const onAbort = (): void => outer.abort(signal.reason);
  onDone(inner, (f) => {
    signal.removeEventListener("abort", onAbort);
    if (outer.done()) {
      if (!f.cancelled()) f.exception();
      return;
    }
    if (f.cancelled()) outer.cancel();
    else if (f.exception() !== undefined) outer.setException(f.exception());
    else outer.setResult(f.result());
  });
  // However the wait ends early (the signal, or the awaiting task cancelled),
  // `aw` is cancelled with it, as `waitFor` cancels what it waits for.
  onDone(outer, () => {
    signal.removeEventListener("abort", onAbort);
    if (outer.cancelled()) inner.cancel();
  });
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return outer;
}

// The future abortable() returns: an abort cancels it with the reason as the
// CancelledError's cause.
class AbortableFuture<T> extends Future<T> {
  abort(reason: unknown): void {
    if (this.done()) return;
    const msg = `Aborted: ${reason instanceof Error ? reason.message : String(reason)}`;
    this._cancelWith(msg, new CancelledError(msg, { cause: reason }));
  }
}
