/**
 * The seam between the platform-free base loop and I/O: the concrete loops
 * (`SelectorEventLoop`, `ProactorEventLoop`) pass an {@linkcode IoDriver} to
 * the base loop's constructor. The base loop never touches `Deno.*`.
 *
 * @module
 */

/**
 * What the base loop needs from an I/O layer. Completions reach the loop as
 * `callSoon` calls (which wake a sleeping loop), so the driver itself only
 * says whether operations are in flight and releases them on close.
 */
export interface IoDriver {
  /** The number of I/O operations in flight (the loop yields to the host more often then). */
  readonly inFlight: number;
  /**
   * A host turn in which the host parks (waits for a call on another
   * thread), so it polls its own I/O; a driver that polls I/O itself and
   * never lets the loop idle offers it, and a busy loop awaits it when
   * `wantsParkingTurn` says so (every 2 ms of busy time without it). Absent
   * when the host's turns need no help.
   */
  readonly parkingTurn?: () => Promise<void>;
  /**
   * Whether a busy loop should await `parkingTurn` now, `ms` milliseconds
   * after its last one (a driver that sees when the host has I/O waiting
   * asks for one only then, and now and then for the host's timers).
   */
  readonly wantsParkingTurn?: (ms: number) => boolean;
  /**
   * Polls I/O the driver watches itself (Python's `selector.select(timeout)`
   * in `_run_once`), offered by a driver that polls readiness on the loop's
   * thread. The loop calls it once per iteration: with `timeout` 0 when
   * callbacks are ready or a timer is due (a check that never blocks),
   * else with the seconds until its next live timer (`Infinity` without
   * one). The driver may then block the thread for a short time of its own
   * bound (never longer than `timeout`), and arranges to wake the loop
   * later when nothing came. What it finds, it schedules with `callSoon`.
   */
  readonly poll?: (timeout: number) => void;
  /** Releases every resource the driver holds; the loop calls it from `close()`. */
  close(): void;
}

/**
 * The driver of a loop without I/O (pure computation, edge runtimes).
 *
 * @example
 * ```ts
 * import { NullIoDriver } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new NullIoDriver().inFlight, 0);
 * ```
 */
export class NullIoDriver implements IoDriver {
  /** Always 0: this driver does no I/O. */
  get inFlight(): number {
    return 0;
  }

  /** Nothing to release. */
  close(): void {}
}
