/**
 * `timeout`, `timeoutAt` and `Timeout`: deadlines for a block of code, with
 * asyncio's semantics (the block's task is cancelled at the deadline, and
 * the cancellation becomes `TimeoutError` at the end of the block).
 *
 * A block that reacts to the body's outcome cannot be `await using` (a
 * disposer never sees the body's exception), so the body is a function:
 * `await timeout(0.5).run(async () => …)` or `await timeout(0.5, async () => …)`.
 *
 * @module
 */
import { CancelledError, RuntimeError, TimeoutError } from "../loop/exceptions.ts";
import { getRunningLoop } from "../loop/current.ts";
import type { Handle } from "../loop/handle.ts";
import { currentTask, type Task } from "./task.ts";

type TimeoutState = "created" | "entered" | "expiring" | "expired" | "exited";

/** The body of a timeout block; it receives the {@linkcode Timeout}, to read or reschedule it. */
export type TimeoutBody<T> = (timeout: Timeout) => PromiseLike<T> | T;

function checkTime(value: unknown, name: string, what: string): number | null {
  if (value === null || value === Infinity) return null;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new RangeError(
      `Cannot ${what} as '${name}' must be a number of seconds or null: received ${String(value)}`,
    );
  }
  return value;
}

/**
 * A deadline for a block of code. Equivalent to Python's `asyncio.Timeout`.
 *
 * Made by {@linkcode timeout} or {@linkcode timeoutAt}; entered once with
 * {@linkcode Timeout.run}. The object stays readable afterwards:
 * `expired()` tells whether the deadline cut the block short.
 *
 * @example Extend the deadline from inside the block
 * ```ts
 * import { getRunningLoop, run, sleep, timeout } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const t = timeout(0.01);
 *   await t.run(async () => {
 *     t.reschedule(getRunningLoop().time() + 1);
 *     await sleep(0.02);
 *   });
 *   assert.equal(t.expired(), false);
 * });
 * ```
 */
export class Timeout {
  #when: number | null;
  #state: TimeoutState = "created";
  #handle: Handle | null = null;
  #task: Task<unknown> | null = null;
  #cancelling = 0;

  /**
   * Creates a timeout for loop time `when` (null: none). Prefer
   * {@linkcode timeout} and {@linkcode timeoutAt}.
   *
   * @throws {RangeError} `when` is NaN or not a number.
   */
  constructor(when: number | null) {
    this.#when = checkTime(when, "when", "create timeout");
  }

  /** The deadline in loop time, or null for none. Equivalent to `Timeout.when()`. */
  when(): number | null {
    return this.#when;
  }

  /**
   * Moves the deadline to loop time `when` (null: none); a time already
   * passed expires the block at the next iteration. Equivalent to
   * `Timeout.reschedule()`.
   *
   * @throws {RuntimeError} The block is not running (not entered yet, or finished).
   * @throws {RangeError} `when` is NaN or not a number.
   */
  reschedule(when: number | null): void {
    if (this.#state !== "entered") {
      throw new RuntimeError(
        this.#state === "created"
          ? "Cannot reschedule: the timeout has not been entered"
          : `Cannot reschedule: the timeout is ${this.#state}`,
      );
    }
    this.#when = checkTime(when, "when", "reschedule timeout");
    this.#handle?.cancel();
    this.#handle = null;
    if (this.#when === null) return;
    const loop = getRunningLoop();
    this.#handle = this.#when <= loop.time()
      ? loop.callSoon(this.#onTimeout)
      : loop.callAt(this.#when, this.#onTimeout);
  }

  /** Whether the deadline was reached. Equivalent to `Timeout.expired()`. */
  expired(): boolean {
    return this.#state === "expiring" || this.#state === "expired";
  }

  /**
   * Runs `body` in the current task under this deadline (Python's
   * `async with`). At the deadline the task is cancelled; if the body ends
   * with that cancellation, it becomes `TimeoutError` here. A cancellation
   * from elsewhere stays a `CancelledError`.
   *
   * @throws {TimeoutError} The deadline passed before the body finished.
   * @throws {RuntimeError} The timeout was already entered, or there is no current task.
   */
  async run<T>(body: TimeoutBody<T>): Promise<T> {
    if (typeof body !== "function") {
      throw new TypeError(
        `Cannot run timeout block as 'body' must be a function: received ${typeof body}`,
      );
    }
    if (this.#state !== "created") {
      throw new RuntimeError("Cannot enter timeout: it has already been entered");
    }
    const task = currentTask();
    if (task === undefined) {
      throw new RuntimeError("Cannot enter timeout: it must be used inside a task");
    }
    this.#state = "entered";
    this.#task = task;
    this.#cancelling = task.cancelling();
    this.reschedule(this.#when);
    let result: T;
    try {
      result = await body(this);
    } catch (err) {
      // Once the deadline cancelled the task, take that request back; when
      // no other cancellation is pending, the deadline is what ended the body.
      if (this.#exit() && task.uncancel() <= this.#cancelling && err instanceof CancelledError) {
        throw new TimeoutError(`The timeout expired at loop time ${this.#when}`, { cause: err });
      }
      throw err;
    }
    if (this.#exit()) task.uncancel();
    return result;
  }

  /** A readable form, such as `<Timeout [expired] when=12.5>`. */
  toString(): string {
    return `<Timeout [${this.#state}] when=${this.#when}>`;
  }

  // Leaves the block; true when the deadline had expired it.
  #exit(): boolean {
    this.#handle?.cancel();
    this.#handle = null;
    if (this.#state === "expiring") {
      this.#state = "expired";
      return true;
    }
    this.#state = "exited";
    return false;
  }

  #onTimeout = (): void => {
    if (this.#state !== "entered") return;
    this.#task!.cancel();
    this.#state = "expiring";
    this.#handle = null;
  };
}

/**
 * A {@linkcode Timeout} `delay` seconds from now (null: none; a delay of 0
 * or less expires at the next iteration). With `body`, runs it at once and
 * returns its promise. Equivalent to Python's `asyncio.timeout`.
 *
 * @throws {RangeError} `delay` is NaN or not a number.
 * @throws {RuntimeError} No loop is running.
 *
 * @example
 * ```ts
 * import { run, sleep, timeout, TimeoutError } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   await assert.rejects(timeout(0.01, () => sleep(10)), TimeoutError);
 *   const value = await timeout(1, async () => "in time");
 *   assert.equal(value, "in time");
 * });
 * ```
 */
export function timeout(delay: number | null): Timeout;
/** Runs `body` under a deadline `delay` seconds from now and returns its result. */
export function timeout<T>(delay: number | null, body: TimeoutBody<T>): Promise<T>;
export function timeout<T>(delay: number | null, body?: TimeoutBody<T>): Timeout | Promise<T> {
  const d = checkTime(delay, "delay", "create timeout");
  const t = new Timeout(d === null ? null : getRunningLoop().time() + d);
  return body === undefined ? t : t.run(body);
}

/**
 * A {@linkcode Timeout} at loop time `when` (null: none). With `body`, runs
 * it at once. Equivalent to Python's `asyncio.timeout_at`.
 *
 * @throws {RangeError} `when` is NaN or not a number.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run, sleep, timeoutAt, TimeoutError } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const deadline = getRunningLoop().time() + 0.01;
 *   await assert.rejects(timeoutAt(deadline, () => sleep(10)), TimeoutError);
 * });
 * ```
 */
export function timeoutAt(when: number | null): Timeout;
/** Runs `body` under a deadline at loop time `when` and returns its result. */
export function timeoutAt<T>(when: number | null, body: TimeoutBody<T>): Promise<T>;
export function timeoutAt<T>(when: number | null, body?: TimeoutBody<T>): Timeout | Promise<T> {
  const t = new Timeout(when);
  return body === undefined ? t : t.run(body);
}
