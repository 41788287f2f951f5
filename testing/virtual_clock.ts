/**
 * A virtual clock for tests: time moves only when the loop would sleep
 * (auto-jump, like trio's `MockClock` with `autojump_threshold=0`) or when
 * the test calls `advance()`.
 *
 * @module
 */
import type { Clock } from "../loop/clock.ts";

/** Options of {@linkcode VirtualClock}. */
export interface VirtualClockOptions {
  /** The time the clock starts at, in seconds (default 0). */
  start?: number;
  /**
   * Jump straight to the next timer when the loop has nothing else to do
   * (default true). With false, time moves only through `advance()`.
   */
  autoJump?: boolean;
}

/**
 * A clock whose time is moved by the loop's idleness or by the test.
 *
 * Auto-jump treats "nothing ready and a timer pending" as idle: a foreign
 * promise the test awaits (real I/O) does not hold the clock back, so use
 * it with code whose waiting goes through the loop.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "@aio/asyncio/testing";
 * import assert from "node:assert/strict";
 *
 * const clock = new VirtualClock({ autoJump: false });
 * let woke = false;
 * clock.sleepUntil(5, () => { woke = true; });
 * clock.advance(4.5);
 * assert.equal(woke, false);
 * clock.advance(0.5);
 * assert.equal(woke, true);
 * assert.equal(clock.now(), 5);
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #autoJump: boolean;
  #deadline = 0;
  #wake: (() => void) | null = null;

  /** Creates the clock. */
  constructor(options?: VirtualClockOptions) {
    const start = options?.start ?? 0;
    if (typeof start !== "number" || !Number.isFinite(start)) {
      throw new RangeError(
        `Cannot create VirtualClock as 'start' must be a finite number: received ${String(start)}`,
      );
    }
    this.#now = start;
    this.#autoJump = options?.autoJump ?? true;
  }

  /** Whether the clock jumps to the next timer when the loop is idle. */
  get autoJump(): boolean {
    return this.#autoJump;
  }

  set autoJump(value: boolean) {
    this.#autoJump = Boolean(value);
    if (this.#autoJump && this.#wake !== null) this.#jump();
  }

  /** The virtual time, in seconds. */
  now(): number {
    return this.#now;
  }

  /** Wakes at `deadline`: at once by jumping (auto-jump), or when `advance()` reaches it. */
  sleepUntil(deadline: number, wake: () => void): void {
    this.#deadline = deadline;
    this.#wake = wake;
    if (this.#autoJump) this.#jump();
    else if (this.#now >= deadline) this.#fire();
  }

  /** Drops the pending wake-up. */
  cancel(): void {
    this.#wake = null;
  }

  /**
   * Moves time forward by `seconds`, waking the loop if a timer became due.
   *
   * @throws {RangeError} `seconds` is negative or not finite.
   */
  advance(seconds: number): void {
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError(
        `Cannot advance clock as 'seconds' must be a finite number >= 0: received ${
          String(seconds)
        }`,
      );
    }
    this.#now += seconds;
    if (this.#wake !== null && this.#now >= this.#deadline) this.#fire();
  }

  #jump(): void {
    if (this.#deadline > this.#now) this.#now = this.#deadline;
    this.#fire();
  }

  #fire(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
