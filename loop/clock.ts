/**
 * The loop's clock: what time it is, and how to wait for a deadline. The base
 * loop receives one through its constructor; {@linkcode RealClock} is the
 * default and the virtual clock of `@aio/asyncio/testing` is the other.
 *
 * @module
 */

/**
 * A clock the loop reads and sleeps on. Times are seconds, as asyncio's.
 *
 * The loop calls {@linkcode Clock.sleepUntil} when it has nothing ready and a
 * timer pending, and {@linkcode Clock.cancel} when something else woke it
 * first or when it closes.
 */
export interface Clock {
  /** The current time, in seconds, monotonic. */
  now(): number;
  /**
   * Calls `wake` once, no earlier than `deadline` (in `now()` seconds).
   * Replaces any earlier request.
   */
  sleepUntil(deadline: number, wake: () => void): void;
  /** Drops the pending request, if any, and every host timer it used. */
  cancel(): void;
}

// Deno's timers fire about 1.1 ms after their delay (DENO_FACTS.md §2.2) and
// never early. Arming the host timer this much early and finishing with
// setImmediate polls of the clock lands the wake-up within a few microseconds
// of the deadline instead of a millisecond late.
const EARLY_MS = 1.5;
// Host timers overflow past 2^31 - 1 ms (about 24.8 days) and fire at once:
// a far deadline is reached through a chain of host timers at most this long.
const MAX_TIMER_MS = 24 * 60 * 60 * 1000;

/**
 * The real clock: `performance.now()` in seconds. Waits with one host timer
 * armed early and finishes precisely with `setImmediate` polls.
 *
 * @example
 * ```ts
 * import { RealClock } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const clock = new RealClock();
 * const t0 = clock.now();
 * const woke = await new Promise<number>((resolve) =>
 *   clock.sleepUntil(t0 + 0.005, () => resolve(clock.now()))
 * );
 * assert.ok(woke >= t0 + 0.005);
 * ```
 */
export class RealClock implements Clock {
  #deadline = 0;
  #wake: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined = undefined;

  /** The time in seconds (`performance.now() / 1000`). */
  now(): number {
    return performance.now() / 1000;
  }

  /** Wakes the loop at `deadline`: a host timer first, then precise polling. */
  sleepUntil(deadline: number, wake: () => void): void {
    this.cancel();
    this.#deadline = deadline;
    this.#wake = wake;
    this.#poll();
  }

  /** Drops the pending wake-up and its host timer or immediate. */
  cancel(): void {
    this.#wake = null;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    this.#poll();
  };

  #poll = (): void => {
    this.#immediate = undefined;
    const wake = this.#wake;
    if (wake === null) return;
    const ms = (this.#deadline - this.now()) * 1000;
    if (ms <= 0) {
      this.#wake = null;
      wake();
    } else if (ms > EARLY_MS + 1) {
      this.#timer = setTimeout(this.#onTimer, Math.min(ms - EARLY_MS, MAX_TIMER_MS));
    } else {
      this.#immediate = setImmediate(this.#poll);
    }
  };
}
