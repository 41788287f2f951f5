/**
 * `ensureFuture` and `wrapFuture`: make anything awaitable a loop future.
 *
 * @module
 */
import { runningLoopOrNull } from "../loop/current.ts";
import { RuntimeError } from "../loop/exceptions.ts";
import type { AbstractEventLoop, CoroutineFunction } from "../loop/abstract_event_loop.ts";
import { Future } from "./future.ts";

/** Options of {@linkcode ensureFuture} and {@linkcode wrapFuture}. */
export interface EnsureFutureOptions {
  /** The loop (default: the running loop). */
  loop?: AbstractEventLoop;
}

function loopOf(options: EnsureFutureOptions | undefined, what: string): AbstractEventLoop {
  const loop = options?.loop ?? runningLoopOrNull();
  if (loop === null) throw new RuntimeError(`Cannot ${what}: no running event loop`);
  return loop;
}

/**
 * A loop future that settles like `promise` (any thenable). Equivalent to
 * Python's `asyncio.wrap_future`, for JavaScript promises.
 *
 * Cancelling the future settles it at once; the promise itself cannot be
 * stopped, so it runs on and its outcome is dropped. This is how a task
 * makes a foreign promise cancellable from the awaiting side: `await
 * wrapFuture(fetchPromise)` throws `CancelledError` as soon as the task is
 * cancelled.
 *
 * @throws {TypeError} `promise` is not a thenable.
 *
 * @example
 * ```ts
 * import { run, wrapFuture } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const fut = wrapFuture(Promise.resolve("done"));
 *   assert.equal(await fut, "done");
 * });
 * ```
 */
export function wrapFuture<T>(promise: PromiseLike<T>, options?: EnsureFutureOptions): Future<T> {
  if (promise instanceof Future) return promise;
  if (promise === null || typeof (promise as PromiseLike<T>)?.then !== "function") {
    throw new TypeError(
      `Cannot wrap future as 'promise' must be a promise or thenable: received ${
        promise === null ? "null" : typeof promise
      }`,
    );
  }
  const loop = loopOf(options, "wrap future");
  const fut = new Future<T>({ loop });
  promise.then(
    (value) => {
      if (!fut.done() && !loop.isClosed()) fut.setResult(value);
    },
    (err) => {
      if (!fut.done() && !loop.isClosed()) fut.setException(err);
    },
  );
  return fut;
}

/**
 * A future for `aw`: a future (or task) as is; a function, run as a task
 * (Python's coroutine); a promise or thenable, wrapped with
 * {@linkcode wrapFuture}. Equivalent to Python's `asyncio.ensure_future`.
 *
 * @throws {TypeError} `aw` is none of those.
 * @throws {RuntimeError} `aw` is a future of another loop than `options.loop`.
 *
 * @example
 * ```ts
 * import { ensureFuture, run } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const task = ensureFuture(async () => 6 * 7);
 *   assert.equal(await task, 42);
 * });
 * ```
 */
export function ensureFuture<T>(
  aw: Future<T> | PromiseLike<T> | CoroutineFunction<T>,
  options?: EnsureFutureOptions,
): Future<T> {
  if (aw instanceof Future) {
    if (options?.loop !== undefined && aw.getLoop() !== options.loop) {
      throw new RuntimeError(
        "Cannot ensure future: the future belongs to a different loop than the one given",
      );
    }
    return aw;
  }
  if (typeof aw === "function") return loopOf(options, "ensure future").createTask(aw);
  if (aw !== null && typeof aw === "object" && typeof aw.then === "function") {
    return wrapFuture(aw, options);
  }
  throw new TypeError(
    `Cannot ensure future as 'aw' must be a future, a promise, a thenable or an async function: received ${
      aw === null ? "null" : typeof aw
    }`,
  );
}
