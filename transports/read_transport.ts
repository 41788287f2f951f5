/**
 * `ReadTransport`: the read side of a transport. Equivalent to Python's
 * `asyncio.ReadTransport`.
 *
 * @module
 */
import type { BaseTransport } from "./base_transport.ts";

/**
 * A transport that receives data: reading can be paused and resumed (flow
 * control of the receiving side). Equivalent to Python's
 * `asyncio.ReadTransport`.
 *
 * @example Stop reading while a consumer is busy
 * ```ts
 * import type { ReadTransport } from "@aio/asyncio/transports";
 *
 * function throttle(transport: ReadTransport, busy: boolean): void {
 *   if (busy && transport.isReading()) transport.pauseReading();
 *   else if (!busy && !transport.isReading()) transport.resumeReading();
 * }
 * ```
 */
export interface ReadTransport extends BaseTransport {
  /** Whether the transport is receiving. Equivalent to `is_reading()`. */
  isReading(): boolean;
  /**
   * Stops calling the protocol's `dataReceived` until `resumeReading()`;
   * no-op when already paused or closing. Equivalent to `pause_reading()`.
   */
  pauseReading(): void;
  /**
   * Delivers data again after `pauseReading()`; no-op when not paused or
   * closing. Equivalent to `resume_reading()`.
   */
  resumeReading(): void;
}
