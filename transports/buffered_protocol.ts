/**
 * `BufferedProtocol`: a stream protocol that owns its receive buffer.
 * Equivalent to Python's `asyncio.BufferedProtocol`.
 *
 * @module
 */
import { BaseProtocol } from "./base_protocol.ts";
import { NotImplementedError } from "../loop/exceptions.ts";

/**
 * A stream protocol that provides the buffer the transport reads into, so
 * data is never copied. Equivalent to Python's `asyncio.BufferedProtocol`.
 *
 * A subclass must override `getBuffer` and `bufferUpdated` (Python's
 * defaults do nothing, which makes the transport fail later; here the
 * default `getBuffer` throws `NotImplementedError` naming the cause).
 *
 * @example A protocol that reads into one fixed buffer
 * ```ts
 * import { BufferedProtocol } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * class Into extends BufferedProtocol {
 *   readonly buf = new Uint8Array(1024);
 *   received = 0;
 *   override getBuffer(_sizeHint: number): Uint8Array {
 *     return this.buf;
 *   }
 *   override bufferUpdated(nbytes: number): void {
 *     this.received += nbytes;
 *   }
 * }
 * const p = new Into();
 * p.getBuffer(-1).set([1, 2, 3]);
 * p.bufferUpdated(3);
 * assert.equal(p.received, 3);
 * ```
 */
export class BufferedProtocol extends BaseProtocol {
  /**
   * The buffer for the next read; `sizeHint` is the wanted size, or -1 for
   * any size. It must not be empty. Equivalent to `get_buffer()`.
   *
   * @throws {NotImplementedError} Unless a subclass overrides it.
   */
  getBuffer(_sizeHint: number): Uint8Array {
    throw new NotImplementedError(
      "Cannot get a buffer: BufferedProtocol subclasses must override getBuffer()",
    );
  }
  /** `nbytes` bytes were written at the start of the last buffer. Equivalent to `buffer_updated()`. */
  bufferUpdated(_nbytes: number): void {}
  /**
   * The peer closed its write side. Return true to keep the transport open.
   * Equivalent to `eof_received()`.
   */
  eofReceived(): boolean | void {}
}
