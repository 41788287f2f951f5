/**
 * `DatagramProtocol`: the callbacks of a datagram endpoint. Equivalent to
 * Python's `asyncio.DatagramProtocol`.
 *
 * @module
 */
import { BaseProtocol } from "./base_protocol.ts";

/**
 * A datagram protocol. Every method is a no-op. Equivalent to Python's
 * `asyncio.DatagramProtocol`.
 *
 * @example Record the datagrams received
 * ```ts
 * import { DatagramProtocol } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * class Record extends DatagramProtocol {
 *   seen: Array<[number, string]> = [];
 *   override datagramReceived(data: Uint8Array, addr: [string, number]): void {
 *     this.seen.push([data.length, addr[0]]);
 *   }
 * }
 * const p = new Record();
 * p.datagramReceived(new Uint8Array(3), ["127.0.0.1", 9]);
 * assert.deepEqual(p.seen, [[3, "127.0.0.1"]]);
 * ```
 */
export class DatagramProtocol extends BaseProtocol {
  /** A datagram arrived from `addr`. Equivalent to `datagram_received()`. */
  datagramReceived(_data: Uint8Array, _addr: [string, number]): void {}
  /** A send or receive failed (the endpoint stays open). Equivalent to `error_received()`. */
  errorReceived(_err: unknown): void {}
}
