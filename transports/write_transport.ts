/**
 * `WriteTransport`: the write side of a transport. Equivalent to Python's
 * `asyncio.WriteTransport`.
 *
 * @module
 */
import type { BaseTransport } from "./base_transport.ts";

/** Write-buffer water marks, in bytes (see {@linkcode WriteTransport.setWriteBufferLimits}). */
export interface WriteBufferLimits {
  /** Above this many buffered bytes the protocol's `pauseWriting()` is called. */
  high?: number;
  /** At or below this many buffered bytes the protocol's `resumeWriting()` is called. */
  low?: number;
}

/**
 * A transport that sends data, with a write buffer and flow control.
 * Equivalent to Python's `asyncio.WriteTransport`.
 *
 * `write()` never blocks: data goes to a buffer; when the buffer grows past
 * the high-water mark the protocol's `pauseWriting()` is called, and
 * `resumeWriting()` when it drains to the low-water mark.
 *
 * @example Send a request and half-close
 * ```ts
 * import type { WriteTransport } from "@aio/asyncio/transports";
 *
 * function sendRequest(transport: WriteTransport, body: string): void {
 *   transport.write(new TextEncoder().encode(body));
 *   if (transport.canWriteEof()) transport.writeEof();
 * }
 * ```
 */
export interface WriteTransport extends BaseTransport {
  /**
   * Sets the water marks. `high` defaults to 64 KiB (or `4 * low`), `low`
   * to `high / 4`. Equivalent to `set_write_buffer_limits()`.
   *
   * @throws {RangeError} Unless `high >= low >= 0`.
   */
  setWriteBufferLimits(limits?: WriteBufferLimits): void;
  /** The water marks as `[low, high]`. Equivalent to `get_write_buffer_limits()`. */
  getWriteBufferLimits(): [low: number, high: number];
  /** Bytes buffered and not yet written. Equivalent to `get_write_buffer_size()`. */
  getWriteBufferSize(): number;
  /**
   * Queues `data` (copied: the caller may reuse its buffer). Equivalent to
   * `write()`.
   *
   * @throws {TypeError} `data` is not a `Uint8Array`.
   * @throws {RuntimeError} `writeEof()` was called.
   */
  write(data: Uint8Array): void;
  /** Writes each buffer of `list`, in order. Equivalent to `writelines()`. */
  writelines(list: Iterable<Uint8Array>): void;
  /**
   * Closes the write side after the buffered data is sent (half-close); the
   * peer receives end of file. Equivalent to `write_eof()`.
   */
  writeEof(): void;
  /** Whether `writeEof()` is supported. Equivalent to `can_write_eof()`. */
  canWriteEof(): boolean;
  /**
   * Closes at once, dropping buffered data; `connectionLost(null)` follows.
   * Equivalent to `abort()`.
   */
  abort(): void;
}
