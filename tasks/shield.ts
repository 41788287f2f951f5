/**
 * `shield`: protect an awaitable from the cancellation of its awaiter.
 *
 * @module
 */
import { Future, onDone } from "./future.ts";
import { ensureFuture } from "./ensure_future.ts";
import type { Awaitable } from "./gather.ts";

/**
 * A future that follows `aw` but whose cancellation does not reach it.
 * Equivalent to Python's `asyncio.shield`.
 *
 * If the task awaiting the shield is cancelled, the `await` throws
 * `CancelledError` but the inner work goes on. Keep a reference to the inner
 * task if its result still matters. A function is run as a task first.
 *
 * @throws {TypeError} `aw` is not awaitable.
 *
 * @example Let a write finish even if the caller is cancelled
 * ```ts
 * import { CancelledError, createTask, run, shield, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   let saved = false;
 *   const save = createTask(async () => { await sleep(0.01); saved = true; });
 *   const caller = createTask(() => shield(save));
 *   await sleep(0);
 *   caller.cancel();
 *   await assert.rejects(async () => await caller, CancelledError);
 *   await save;
 *   assert.ok(saved);
 * });
 * ```
 */
export function shield<T>(aw: Awaitable<T>): Future<T> {
  const inner = ensureFuture(aw);
  if (inner.done()) return inner;
  const outer = new Future<T>({ loop: inner.getLoop() });
  const innerDone = (inner: Future<T>): void => {
    if (outer.cancelled()) {
      // Nobody will read it: mark the inner exception retrieved.
      if (!inner.cancelled()) inner.exception();
      return;
    }
    if (outer.done()) return;
    if (inner.cancelled()) outer.cancel();
    else if (inner.exception() !== undefined) outer.setException(inner.exception());
    else outer.setResult(inner.result());
  };
  onDone(inner, innerDone);
  onDone(outer, () => {
    if (!inner.done()) inner.removeDoneCallback(innerDone);
  });
  return outer;
}
