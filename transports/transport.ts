/**
 * `Transport`: a bidirectional stream transport. Equivalent to Python's
 * `asyncio.Transport`.
 *
 * @module
 */
import type { ReadTransport } from "./read_transport.ts";
import type { WriteTransport } from "./write_transport.ts";

/**
 * A stream transport that both reads and writes, such as a TCP connection.
 * Equivalent to Python's `asyncio.Transport`.
 *
 * @example Echo back through the transport a protocol was given
 * ```ts
 * import { Protocol, type Transport } from "@aio/asyncio/transports";
 * import type { BaseTransport } from "@aio/asyncio/transports";
 *
 * class Echo extends Protocol {
 *   transport: Transport | null = null;
 *   override connectionMade(transport: BaseTransport): void {
 *     this.transport = transport as Transport;
 *   }
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * new Echo();
 * ```
 */
export interface Transport extends ReadTransport, WriteTransport {}
