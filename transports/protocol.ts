/**
 * `Protocol`: the callbacks of a stream protocol. Equivalent to Python's
 * `asyncio.Protocol`.
 *
 * @module
 */
import { BaseProtocol } from "./base_protocol.ts";

/**
 * A stream protocol: the transport hands it data as it arrives, then end of
 * file. Every method is a no-op. Equivalent to Python's `asyncio.Protocol`.
 *
 * Callback order, as asyncio's state machine: `connectionMade`, then
 * `dataReceived` any number of times, then at most one `eofReceived`, then
 * `connectionLost` exactly once.
 *
 * @example A protocol that collects what it receives
 * ```ts
 * import { Protocol } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * class Collect extends Protocol {
 *   chunks: string[] = [];
 *   override dataReceived(data: Uint8Array): void {
 *     this.chunks.push(new TextDecoder().decode(data));
 *   }
 * }
 * const p = new Collect();
 * p.dataReceived(new TextEncoder().encode("hi"));
 * assert.deepEqual(p.chunks, ["hi"]);
 * ```
 */
export class Protocol extends BaseProtocol {
  /**
   * Data arrived. `data` is a view the transport never writes again, so the
   * protocol may keep it (copy small pieces kept for long with `slice()`:
   * a view keeps its whole read buffer alive). Equivalent to `data_received()`.
   */
  dataReceived(_data: Uint8Array): void {}
  /**
   * The peer closed its write side. Return true to keep the transport open
   * (to keep writing); anything else closes it. Equivalent to `eof_received()`.
   */
  eofReceived(): boolean | void {}
}
