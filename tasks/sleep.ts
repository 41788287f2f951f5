/**
 * `sleep`: suspend the current task for some seconds, or for one loop
 * iteration with `sleep(0)`.
 *
 * @module
 */
import { frameStorage } from "../loop/context.ts";
import { getRunningLoop } from "../loop/current.ts";
import { SCHEDULE, type TimerHandle } from "../loop/handle.ts";
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { type Awaiter, Future, ThenReaction } from "./future.ts";

// sleep(0) is a bare yield, as in asyncio: no future, no timer. The task is
// marked suspended when it calls sleep(0) (it awaits the result at once), so
// the returned value can be a native promise, which `await` takes without
// the extra job a thenable costs. One step resumes the task at the next
// iteration, or throws CancelledError into it if it was cancelled meanwhile.
class YieldStep<T> extends ThenReaction<T> {
  readonly #value: unknown;

  constructor(
    resolve: (value: never) => unknown,
    reject: (reason: unknown) => unknown,
    awaiter: Awaiter | undefined,
    epoch: number,
    value: unknown,
  ) {
    super(resolve, reject, awaiter, epoch, true);
    this.#value = value;
  }

  protected override _invoke(): void {
    const cancel = this._resumeAwaiter();
    if (cancel !== null) this._reject(cancel);
    else this._fulfill(this.#value);
  }
}

function yieldOnce<T>(loop: AbstractEventLoop, value: T): Promise<T> {
  const awaiter = frameStorage.getStore() as Awaiter | undefined;
  let epoch = 0;
  if (awaiter !== undefined) {
    epoch = awaiter._yield();
    if (epoch < 0) return Promise.reject(awaiter._makeCancelledError());
  }
  const { promise, resolve, reject } = Promise.withResolvers<T>();
  loop[SCHEDULE](new YieldStep<T>(resolve, reject, awaiter, epoch, value));
  return promise;
}

// A sleep's future: cancelling it also cancels its timer, so a cancelled
// long sleep leaves nothing in the timer heap.
class SleepFuture<T> extends Future<T> {
  timer: TimerHandle | null = null;

  override cancel(msg?: string): boolean {
    this.timer?.cancel();
    return super.cancel(msg);
  }
}

function wakeSleeper<T>(fut: SleepFuture<T>, value: T): void {
  if (!fut.done()) fut.setResult(value);
}

/**
 * Suspends the current task for `delay` seconds, then resolves to `value`.
 * Equivalent to Python's `asyncio.sleep`. `sleep(0)` (or a negative delay)
 * yields for exactly one loop iteration, letting other tasks and callbacks
 * run; `sleep(Infinity)` sleeps until cancelled.
 *
 * @throws {RangeError} `delay` is NaN or not a number.
 * @throws {RuntimeError} No loop is running.
 *
 * @example
 * ```ts
 * import { run, sleep, getRunningLoop } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const t0 = loop.time();
 *   const value = await sleep(0.01, "rested");
 *   assert.equal(value, "rested");
 *   assert.ok(loop.time() - t0 >= 0.01);
 * });
 * ```
 */
export function sleep(delay: number): PromiseLike<void>;
/** Suspends for `delay` seconds, then resolves to `value`. */
export function sleep<T>(delay: number, value: T): PromiseLike<T>;
export function sleep<T>(delay: number, value?: T): PromiseLike<T | undefined> {
  if (typeof delay !== "number" || Number.isNaN(delay)) {
    throw new RangeError(
      `Cannot sleep as 'delay' must be a number of seconds: received ${String(delay)}`,
    );
  }
  const loop = getRunningLoop();
  if (delay <= 0) return yieldOnce(loop, value);
  const fut = new SleepFuture<T | undefined>({ loop });
  if (delay !== Infinity) fut.timer = loop.callLater(delay, wakeSleeper, fut, value);
  return fut;
}
