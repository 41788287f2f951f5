/**
 * `TestLoop`: an event loop on a {@linkcode VirtualClock}, for testing code
 * with timeouts and sleeps without waiting.
 *
 * @module
 */
import { BaseEventLoop } from "../loop/base_event_loop.ts";
import { VirtualClock, type VirtualClockOptions } from "./virtual_clock.ts";

/** Options of {@linkcode TestLoop}. */
export interface TestLoopOptions extends VirtualClockOptions {
  /** Start in debug mode. */
  debug?: boolean;
}

/**
 * An event loop whose `time()` is a {@linkcode VirtualClock}: by default time
 * jumps to the next timer whenever the loop would sleep, so a test of a
 * one-hour timeout finishes at once; `advance()` moves time by hand.
 *
 * @example Test a timeout without waiting
 * ```ts
 * import { TestLoop } from "@aio/asyncio/testing";
 * import { run, sleep, getRunningLoop } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const elapsed = await run(async () => {
 *   const loop = getRunningLoop();
 *   const t0 = loop.time();
 *   await sleep(3600);
 *   return loop.time() - t0;
 * }, { loopFactory: () => new TestLoop() });
 * assert.equal(elapsed, 3600);
 * ```
 */
export class TestLoop extends BaseEventLoop {
  readonly #clock: VirtualClock;

  /** Creates the loop and its clock. */
  constructor(options?: TestLoopOptions) {
    const clock = new VirtualClock(options);
    super({ clock, debug: options?.debug ?? false });
    this.#clock = clock;
  }

  /** The loop's virtual clock. */
  get clock(): VirtualClock {
    return this.#clock;
  }

  /**
   * Moves time forward by `seconds`; timers that became due run at the next
   * iteration.
   *
   * @throws {RangeError} `seconds` is negative or not finite.
   */
  advance(seconds: number): void {
    this.#clock.advance(seconds);
  }
}
