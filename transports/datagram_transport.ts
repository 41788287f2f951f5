/**
 * `DatagramTransport`: a datagram (UDP) transport. Equivalent to Python's
 * `asyncio.DatagramTransport`.
 *
 * @module
 */
import type { BaseTransport } from "./base_transport.ts";

/**
 * A transport for datagrams. Equivalent to Python's
 * `asyncio.DatagramTransport`. No loop makes one yet (UDP lands with issue 5).
 *
 * @example Reply to the sender of a datagram
 * ```ts
 * import type { DatagramTransport } from "@aio/asyncio/transports";
 *
 * function reply(transport: DatagramTransport, data: Uint8Array, addr: [string, number]): void {
 *   transport.sendto(data, addr);
 * }
 * ```
 */
export interface DatagramTransport extends BaseTransport {
  /**
   * Sends `data` to `addr`, or to the connected peer when `addr` is omitted.
   * Equivalent to `sendto()`.
   */
  sendto(data: Uint8Array, addr?: [string, number] | null): void;
  /** Closes at once, dropping buffered datagrams. Equivalent to `abort()`. */
  abort(): void;
}
