/**
 * {@linkcode StreamWriter}: the writing half of a stream connection.
 * Equivalent to Python's `asyncio.StreamWriter`.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { getRunningLoop } from "../loop/current.ts";
import { sleep } from "../tasks/sleep.ts";
import type { Transport } from "../transports/transport.ts";
import type { StreamReader } from "./stream_reader.ts";
import type { StreamReaderProtocol } from "./stream_reader_protocol.ts";
import { writableFrom } from "./_web.ts";

/** Options of {@linkcode StreamWriter}. */
export interface StreamWriterOptions {
  /** The loop (default: the running loop). */
  loop?: AbstractEventLoop;
}

/**
 * Writes to a transport, with `drain()` to wait while the transport's
 * buffer is over its high-water mark. Equivalent to Python's
 * `asyncio.StreamWriter`; made by `openConnection` and `startServer`.
 *
 * - `write()` never blocks and never drops data: it buffers in the
 *   transport. Call `await drain()` after writing to respect flow control
 *   (a peer that reads slowly then slows the writer instead of growing the
 *   buffer).
 * - `drain()` raises the reader's error if the connection failed, and a
 *   `ConnectionReset` error once the connection is lost.
 * - `await using writer = ...` closes the connection and waits until it is
 *   closed when the scope ends; {@linkcode StreamWriter.writable} adapts the
 *   writer to a web `WritableStream`.
 *
 * @example An echo client over a stream connection
 * ```ts ignore
 * import { run } from "@aio/asyncio";
 * import { openConnection } from "@aio/asyncio/streams";
 *
 * await run(async () => {
 *   const [reader, writer] = await openConnection("127.0.0.1", 8888);
 *   writer.write(new TextEncoder().encode("hello\n"));
 *   await writer.drain();
 *   console.log(new TextDecoder().decode(await reader.readline()));
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export class StreamWriter implements AsyncDisposable {
  readonly #transport: Transport;
  readonly #protocol: StreamReaderProtocol;
  readonly #reader: StreamReader | null;
  readonly #loop: AbstractEventLoop;
  #writable: WritableStream<Uint8Array> | null = null;

  /** Wraps `transport`, whose protocol is `protocol`; `reader` (if any) is the reading half. */
  constructor(
    transport: Transport,
    protocol: StreamReaderProtocol,
    reader: StreamReader | null,
    options?: StreamWriterOptions,
  ) {
    this.#transport = transport;
    this.#protocol = protocol;
    this.#reader = reader;
    this.#loop = options?.loop ?? getRunningLoop();
  }

  /** The transport written to. */
  get transport(): Transport {
    return this.#transport;
  }

  /**
   * Buffers `data` for sending. Equivalent to `write()`.
   *
   * @throws {TypeError} `data` is not a `Uint8Array` (or other bytes the transport takes).
   */
  write(data: Uint8Array): void {
    this.#transport.write(data);
  }

  /** Buffers every chunk of `chunks`. Equivalent to `writelines()`. */
  writelines(chunks: Iterable<Uint8Array>): void {
    this.#transport.writelines(chunks);
  }

  /** Closes the write side after the buffered data is sent. Equivalent to `write_eof()`. */
  writeEof(): void {
    this.#transport.writeEof();
  }

  /** Whether `writeEof()` is supported. Equivalent to `can_write_eof()`. */
  canWriteEof(): boolean {
    return this.#transport.canWriteEof();
  }

  /** Closes the connection after the buffered data is sent. Equivalent to `close()`. */
  close(): void {
    this.#transport.close();
  }

  /** Whether the connection is closing or closed. Equivalent to `is_closing()`. */
  isClosing(): boolean {
    return this.#transport.isClosing();
  }

  /**
   * Waits until the connection is closed. Equivalent to `wait_closed()`.
   *
   * @throws {Error} The error the connection was lost with.
   */
  async waitClosed(): Promise<void> {
    await this.#protocol._closeWaiter();
  }

  /** Information about the transport (`peername`, `sockname`, `socket`). Equivalent to `get_extra_info()`. */
  getExtraInfo(name: string, defaultValue?: unknown): unknown {
    return this.#transport.getExtraInfo(name, defaultValue);
  }

  /**
   * Waits until the transport's buffer is below its high-water mark, at
   * once when it is. Equivalent to `drain()`.
   *
   * @throws {Error} The reader's error (the connection failed), or
   *   `ConnectionReset` once the connection is lost.
   */
  drain(): Promise<void> {
    const exc = this.#reader?.exception();
    if (exc !== null && exc !== undefined) return Promise.reject(exc);
    if (this.#transport.isClosing()) return this.#drainClosing();
    // The common case allocates nothing: a shared resolved promise.
    return this.#protocol._drainHelper();
  }

  async #drainClosing(): Promise<void> {
    // Let connectionLost run first, so the wait below sees the loss.
    await sleep(0);
    await this.#protocol._drainHelper();
  }

  /**
   * The writer as a web `WritableStream` (the same stream on every call):
   * each chunk is written and drained; closing the stream closes the write
   * side (`writeEof()`, or `close()` where that is not supported) after the
   * buffered data; aborting it aborts the transport.
   */
  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= writableFrom(this);
    return this.#writable;
  }

  /** Closes the connection and waits until it is closed (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** A description for debugging. */
  toString(): string {
    return `<StreamWriter transport=${String(this.#transport)}${
      this.#reader === null ? "" : ` reader=${String(this.#reader)}`
    }>`;
  }

  /** The loop of the writer. */
  getLoop(): AbstractEventLoop {
    return this.#loop;
  }
}
