/**
 * `runCoroutineThreadsafe`: start work on a loop from code outside it.
 *
 * @module
 */
import { CancelledError, InvalidStateError } from "../loop/exceptions.ts";
import type { AbstractEventLoop, CoroutineFunction } from "../loop/abstract_event_loop.ts";
import type { Future } from "./future.ts";

/**
 * The handle {@linkcode runCoroutineThreadsafe} returns: a promise-like
 * result with `cancel()`. Equivalent to the `concurrent.futures.Future`
 * Python's `run_coroutine_threadsafe` returns.
 */
export class ConcurrentFuture<T> implements PromiseLike<T> {
  readonly #promise: Promise<T>;
  #task: Future<T> | null = null;
  #cancelRequested = false;
  #state: "pending" | "fulfilled" | "rejected" = "pending";
  #value: unknown;

  /** Made by {@linkcode runCoroutineThreadsafe}. */
  constructor(start: (bind: (task: Future<T>) => boolean) => void) {
    let resolve!: (value: T) => void;
    let reject!: (reason: unknown) => void;
    this.#promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    start((task) => {
      this.#task = task;
      if (this.#cancelRequested) task.cancel();
      task.then(
        (value) => {
          this.#state = "fulfilled";
          this.#value = value;
          resolve(value);
        },
        (err) => {
          this.#state = "rejected";
          this.#value = err;
          reject(err);
        },
      );
      return !this.#cancelRequested;
    });
  }

  /** Chains on the result, like `Promise.prototype.then`. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#promise.then(onFulfilled, onRejected);
  }

  /** Like `Promise.prototype.catch`. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#promise.catch(onRejected);
  }

  /**
   * Requests cancellation of the task on its loop; the result then rejects
   * with `CancelledError`. Returns false if the result is already settled.
   */
  cancel(): boolean {
    if (this.#state !== "pending") return false;
    this.#cancelRequested = true;
    const task = this.#task;
    if (task !== null) task.getLoop().callSoonThreadsafe(() => task.cancel());
    return true;
  }

  /** Whether the result is settled. */
  done(): boolean {
    return this.#state !== "pending";
  }

  /** Whether the work ended cancelled. */
  cancelled(): boolean {
    return this.#state === "rejected" && this.#value instanceof CancelledError;
  }

  /**
   * The result.
   *
   * @throws {InvalidStateError} It is not settled yet.
   * @throws {unknown} The work's error.
   */
  result(): T {
    if (this.#state === "pending") throw new InvalidStateError("Result is not ready");
    if (this.#state === "rejected") throw this.#value;
    return this.#value as T;
  }
}

/**
 * Runs `fn` as a task on `loop` from code that is not running in that loop's
 * callbacks (a host event listener, a promise callback, `Deno.serve`'s
 * handler, another loop's code), and returns a handle to its result.
 * Equivalent to Python's `asyncio.run_coroutine_threadsafe`.
 *
 * @throws {TypeError} `fn` is not a function.
 *
 * @example Feed work to a running loop from a host timer
 * ```ts
 * import { getRunningLoop, run, runCoroutineThreadsafe, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const fromOutside = await new Promise<number>((resolve) =>
 *     setTimeout(() => resolve(runCoroutineThreadsafe(async () => { await sleep(0); return 7; }, loop)), 1)
 *   );
 *   assert.equal(fromOutside, 7);
 * });
 * ```
 */
export function runCoroutineThreadsafe<T>(
  fn: CoroutineFunction<T>,
  loop: AbstractEventLoop,
): ConcurrentFuture<T> {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot run coroutine threadsafe as 'fn' must be an async function: received ${typeof fn}`,
    );
  }
  return new ConcurrentFuture<T>((bind) => {
    loop.callSoonThreadsafe(() => {
      const task = loop.createTask(fn);
      bind(task);
    });
  });
}
