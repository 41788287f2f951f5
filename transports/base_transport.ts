/**
 * `BaseTransport`: what every transport offers. Equivalent to Python's
 * `asyncio.BaseTransport`.
 *
 * @module
 */
import type { BaseProtocol } from "./base_protocol.ts";

/**
 * The base of every transport: close it, ask whether it is closing, read
 * its extra information and swap its protocol. Equivalent to Python's
 * `asyncio.BaseTransport`.
 *
 * Transports are made by the loop (`createConnection`, `createServer`),
 * never by the user.
 *
 * @example A function that works with any transport
 * ```ts
 * import type { BaseTransport } from "@aio/asyncio/transports";
 *
 * function describe(transport: BaseTransport): string {
 *   const peer = transport.getExtraInfo("peername", null) as [string, number] | null;
 *   return peer === null ? "unconnected" : `${peer[0]}:${peer[1]}`;
 * }
 * ```
 */
export interface BaseTransport {
  /**
   * Information about the transport or its socket: `"peername"` and
   * `"sockname"` (`[host, port]`), or `defaultValue` (null by default) for a
   * name the transport does not know. Equivalent to `get_extra_info()`.
   */
  getExtraInfo(name: string, defaultValue?: unknown): unknown;
  /** Whether the transport is closing or closed. Equivalent to `is_closing()`. */
  isClosing(): boolean;
  /**
   * Closes the transport: buffered data is still sent, then the protocol's
   * `connectionLost(null)` is called. Equivalent to `close()`.
   */
  close(): void;
  /** Replaces the protocol. Equivalent to `set_protocol()`. */
  setProtocol(protocol: BaseProtocol): void;
  /** The current protocol. Equivalent to `get_protocol()`. */
  getProtocol(): BaseProtocol;
}
