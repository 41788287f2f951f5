/**
 * {@linkcode StreamReader}: the reading half of a stream connection.
 * Equivalent to Python's `asyncio.StreamReader`.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { getRunningLoop, runningLoopOrNull } from "../loop/current.ts";
import {
  IncompleteReadError,
  LimitOverrunError,
  NotImplementedError,
  RuntimeError,
} from "../loop/exceptions.ts";
import type { Future } from "../tasks/future.ts";
import type { ReadTransport } from "../transports/read_transport.ts";
import { indexOfBytes, ReadBuffer } from "./_read_buffer.ts";
import { readableFrom } from "./_web.ts";

/** The default `limit` of readers: 64 KiB, as in asyncio. */
export const DEFAULT_LIMIT: number = 64 * 1024;

const encoder = new TextEncoder();
const NEWLINE = new Uint8Array([0x0a]);

/** Options of {@linkcode StreamReader}. */
export interface StreamReaderOptions {
  /**
   * The buffer limit in bytes (default 64 KiB): `readline`/`readuntil`
   * give up on a line longer than this, and the transport is paused once
   * more than this is buffered.
   */
  limit?: number;
  /** The loop whose futures the reader waits on (default: the running loop when first needed). */
  loop?: AbstractEventLoop;
}

/** A separator for `readuntil`: bytes, or a string sent as UTF-8. */
export type Separator = Uint8Array | string;

/**
 * Buffers the data of a connection and reads it by size, by separator or
 * by line. Equivalent to Python's `asyncio.StreamReader`; made by
 * `openConnection` and `startServer`, or directly (with `feedData` and
 * `feedEof`) in tests and custom protocols.
 *
 * - Reads wait when the buffer cannot satisfy them; only one read may wait
 *   at a time (another is a `RuntimeError`, as in asyncio).
 * - Cancelling a waiting read loses no data: bytes stay buffered until a
 *   read returns them.
 * - Flow control: once more than `limit` bytes are buffered, the transport
 *   stops reading (`pauseReading`), so a peer that floods cannot grow the
 *   buffer past `limit` plus one read; reads that bring the buffer to half
 *   the limit, or a read that has to wait, resume it. (asyncio pauses at
 *   twice the limit and resumes at the limit; the tighter bound is this
 *   package's promise on memory.)
 * - What reads return is the caller's: never written again by the reader.
 *   Data is not copied when it can be avoided: a read may return a view of
 *   the transport's read buffer, which keeps that buffer alive while the
 *   view is (copy with `slice()` to keep a small piece for long).
 * - The reader is async-iterable by line, and {@linkcode StreamReader.readable}
 *   adapts it to a web `ReadableStream`.
 *
 * @example Parse lines fed by hand
 * ```ts
 * import { StreamReader } from "@aio/asyncio/streams";
 * import assert from "node:assert/strict";
 *
 * const reader = new StreamReader();
 * reader.feedData(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
 * reader.feedEof();
 * const decoder = new TextDecoder();
 * assert.equal(decoder.decode(await reader.readuntil("\r\n")), "GET / HTTP/1.1\r\n");
 * const rest = [];
 * for await (const line of reader) rest.push(decoder.decode(line));
 * assert.deepEqual(rest, ["Host: x\r\n", "\r\n"]);
 * assert.ok(reader.atEof());
 * ```
 */
export class StreamReader implements AsyncIterable<Uint8Array<ArrayBuffer>> {
  readonly #limit: number;
  #loop: AbstractEventLoop | null;
  readonly #buffer = new ReadBuffer();
  #eof = false;
  #waiter: Future<void> | null = null;
  #exception: unknown = null;
  #transport: ReadTransport | null = null;
  #paused = false;
  #readable: ReadableStream<Uint8Array<ArrayBuffer>> | null = null;

  /**
   * Creates an empty reader.
   *
   * @throws {RangeError} `limit` is not a positive integer.
   */
  constructor(options?: StreamReaderOptions) {
    const limit = options?.limit ?? DEFAULT_LIMIT;
    if (!Number.isSafeInteger(limit) || limit <= 0) {
      throw new RangeError(
        `Cannot create StreamReader as 'limit' must be a positive integer: received ${
          String(limit)
        }`,
      );
    }
    this.#limit = limit;
    this.#loop = options?.loop ?? runningLoopOrNull();
  }

  /** The buffer limit in bytes. */
  get limit(): number {
    return this.#limit;
  }

  /** The transport being read, once the protocol set it. */
  get transport(): ReadTransport | null {
    return this.#transport;
  }

  /** The number of bytes buffered and not yet read. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** The error reads raise, or `null`. Equivalent to `exception()`. */
  exception(): unknown {
    return this.#exception;
  }

  /**
   * Makes every later read raise `exc` (a read waiting now raises it too).
   * Equivalent to `set_exception()`; the protocol calls it when the
   * connection is lost with an error.
   */
  setException(exc: unknown): void {
    this.#exception = exc;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      if (!waiter.done()) waiter.setException(exc);
    }
  }

  /**
   * Sets the transport to pause and resume for flow control. Equivalent to
   * `set_transport()`.
   *
   * @throws {RuntimeError} A transport is already set.
   */
  setTransport(transport: ReadTransport): void {
    if (this.#transport !== null) {
      throw new RuntimeError("Cannot set the transport of StreamReader: it is already set");
    }
    this.#transport = transport;
  }

  /** Marks the end of the stream; waiting reads return what is buffered. Equivalent to `feed_eof()`. */
  feedEof(): void {
    this.#eof = true;
    this.#wakeup();
  }

  /** Whether the stream ended and every byte was read. Equivalent to `at_eof()`. */
  atEof(): boolean {
    return this.#eof && this.#buffer.length === 0;
  }

  /**
   * Appends a copy of `data` to the buffer and wakes a waiting read.
   * Equivalent to `feed_data()`.
   *
   * @throws {TypeError} `data` is not a `Uint8Array`.
   * @throws {RuntimeError} `feedEof()` was called before.
   */
  feedData(data: Uint8Array): void {
    this.#feed(data as Uint8Array<ArrayBuffer>, false);
  }

  /**
   * Appends `data` without copying it: its bytes must never change (the
   * `dataReceived` contract of transports), and reads may return views of
   * it. `StreamReaderProtocol` uses it.
   *
   * @throws {TypeError} `data` is not a `Uint8Array`.
   * @throws {RuntimeError} `feedEof()` was called before.
   */
  feedStableData(data: Uint8Array): void {
    // Shared memory may change under the reader: only an ArrayBuffer's bytes are kept as they are.
    this.#feed(data as Uint8Array<ArrayBuffer>, data?.buffer instanceof ArrayBuffer);
  }

  #feed(data: Uint8Array<ArrayBuffer>, stable: boolean): void {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot feed StreamReader as 'data' must be a Uint8Array: received ${describe(data)}`,
      );
    }
    if (this.#eof) {
      throw new RuntimeError("Cannot feed StreamReader: feedEof() was called before");
    }
    if (data.length === 0) return;
    if (stable) this.#buffer.pushStable(data);
    else this.#buffer.pushCopy(data);
    this.#wakeup();
    const transport = this.#transport;
    if (transport !== null && !this.#paused && this.#buffer.length > this.#limit) {
      try {
        transport.pauseReading();
        this.#paused = true;
      } catch (err) {
        if (!(err instanceof NotImplementedError)) throw err;
        // A transport that cannot pause is never asked again.
        this.#transport = null;
      }
    }
  }

  /**
   * Reads up to `n` bytes; with `n` negative (the default), reads until the
   * end of the stream. Returns at once when data is buffered, else waits for
   * some; an empty result means the stream ended. Equivalent to `read()`.
   *
   * @throws {TypeError} `n` is not an integer.
   * @throws {RuntimeError} Another read is waiting.
   */
  read(n = -1): Promise<Uint8Array<ArrayBuffer>> {
    try {
      checkCount(n, "read");
      if (this.#exception !== null) throw this.#exception;
      if (n === 0) return Promise.resolve(new Uint8Array(0));
      if (n < 0) return this.#readAll();
      if (this.#buffer.length > 0 || this.#eof) return Promise.resolve(this.#take(n));
      // The wait is registered here, in the caller's task (which cancel()
      // then reaches), and its reaction settles a plain promise: no async
      // frame and no thenable for `await` to resolve, two microtask turns
      // fewer per read. A cancelled read's reaction rejects without taking:
      // the bytes stay buffered.
      const { promise, resolve, reject } = Promise.withResolvers<Uint8Array<ArrayBuffer>>();
      this.#waitForData("read").then(() => resolve(this.#take(n)), reject);
      return promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #readAll(): Promise<Uint8Array<ArrayBuffer>> {
    const blocks: Uint8Array<ArrayBuffer>[] = [];
    for (;;) {
      const block = await this.read(this.#limit);
      if (block.length === 0) return concat(blocks);
      blocks.push(block);
    }
  }

  #take(n: number): Uint8Array<ArrayBuffer> {
    const data = this.#buffer.take(n);
    this.#maybeResume();
    return data;
  }

  /**
   * Reads exactly `n` bytes. Equivalent to `readexactly()`.
   *
   * @throws {IncompleteReadError} The stream ended first; `partial` has
   *   the bytes that were buffered (and are consumed).
   * @throws {RangeError} `n` is negative.
   * @throws {RuntimeError} Another read is waiting.
   */
  async readexactly(n: number): Promise<Uint8Array<ArrayBuffer>> {
    checkCount(n, "readexactly");
    if (n < 0) {
      throw new RangeError(
        `Cannot readexactly() as 'n' must not be negative: received ${String(n)}`,
      );
    }
    if (this.#exception !== null) throw this.#exception;
    if (n === 0) return new Uint8Array(0);
    while (this.#buffer.length < n) {
      if (this.#eof) {
        const partial = this.#buffer.take(this.#buffer.length);
        throw new IncompleteReadError(partial, n);
      }
      await this.#waitForData("readexactly");
    }
    const data = this.#buffer.take(n);
    this.#maybeResume();
    return data;
  }

  /**
   * Reads one line, up to and including `"\n"`. At the end of the stream
   * returns the partial last line, then empty arrays. Equivalent to
   * `readline()`.
   *
   * @throws {RangeError} The line is longer than `limit`: as in asyncio, the
   *   line (when its end was found) or the whole buffer is dropped.
   * @throws {RuntimeError} Another read is waiting.
   */
  async readline(): Promise<Uint8Array<ArrayBuffer>> {
    try {
      return await this.readuntil(NEWLINE);
    } catch (err) {
      if (err instanceof IncompleteReadError) return err.partial as Uint8Array<ArrayBuffer>;
      if (err instanceof LimitOverrunError) {
        const view = this.#buffer.peek();
        if (view[err.consumed] === 0x0a) this.#buffer.skip(err.consumed + 1);
        else this.#buffer.clear();
        this.#maybeResume();
        throw new RangeError(err.message, { cause: err });
      }
      throw err;
    }
  }

  /**
   * Reads up to and including the first separator found; with several
   * separators, the one whose match ends first wins (Python 3.13).
   * Equivalent to `readuntil()`.
   *
   * @throws {TypeError} `separator` is empty, or is not bytes, a string or
   *   a non-empty array of them.
   * @throws {LimitOverrunError} No separator within `limit` bytes, or the
   *   match starts beyond it; the data stays buffered and `consumed` says how
   *   much to skip.
   * @throws {IncompleteReadError} The stream ended first; `partial` has the
   *   whole buffer, which is consumed.
   * @throws {RuntimeError} Another read is waiting.
   */
  async readuntil(
    separator: Separator | readonly Separator[] = NEWLINE,
  ): Promise<Uint8Array<ArrayBuffer>> {
    const separators = toSeparators(separator);
    let minLength = Infinity;
    let maxLength = 0;
    for (const sep of separators) {
      minLength = Math.min(minLength, sep.length);
      maxLength = Math.max(maxLength, sep.length);
    }
    if (this.#exception !== null) throw this.#exception;
    let offset = 0;
    let matchStart = -1;
    let matchEnd = -1;
    for (;;) {
      const view = this.#buffer.peek();
      if (view.length - offset >= minLength) {
        for (const sep of separators) {
          const at = indexOfBytes(view, sep, offset);
          if (at !== -1 && (matchEnd === -1 || at + sep.length < matchEnd)) {
            matchStart = at;
            matchEnd = at + sep.length;
          }
        }
        if (matchEnd !== -1) break;
        // A separator may straddle what arrives next: search again from here.
        offset = Math.max(0, view.length + 1 - maxLength);
        if (offset > this.#limit) {
          throw new LimitOverrunError(
            `Cannot readuntil(): no separator within the limit of ${this.#limit} bytes`,
            offset,
          );
        }
      }
      if (this.#eof) {
        throw new IncompleteReadError(this.#buffer.take(this.#buffer.length), null);
      }
      await this.#waitForData("readuntil");
    }
    if (matchStart > this.#limit) {
      throw new LimitOverrunError(
        `Cannot readuntil(): the separator was found at byte ${matchStart}, beyond the limit of ${this.#limit}`,
        matchStart,
      );
    }
    const chunk = this.#buffer.take(matchEnd);
    this.#maybeResume();
    return chunk;
  }

  /** Lines until the end of the stream, as `readline()` returns them. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array<ArrayBuffer>, void, undefined> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /**
   * The reader as a web `ReadableStream` of byte chunks (the same stream
   * on every call): each pull is a `read(limit)`, the stream closes at the
   * end of the stream and errors with the reader's error. Pipe it into
   * `CompressionStream`, `fetch` or `Response`. Cancelling it stops the
   * pulls only: later data stays buffered for direct reads.
   */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    this.#readable ??= readableFrom(this);
    return this.#readable;
  }

  /** A description for debugging: buffered bytes, EOF, limit, waiter, paused. */
  toString(): string {
    const parts = [`StreamReader`];
    if (this.#buffer.length > 0) parts.push(`${this.#buffer.length} bytes`);
    if (this.#eof) parts.push("eof");
    if (this.#limit !== DEFAULT_LIMIT) parts.push(`limit=${this.#limit}`);
    if (this.#waiter !== null && !this.#waiter.done()) parts.push("waiting");
    if (this.#exception !== null) parts.push(`exception=${String(this.#exception)}`);
    if (this.#paused) parts.push("paused");
    return `<${parts.join(" ")}>`;
  }

  #wakeup(): void {
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      if (!waiter.done()) waiter.setResult(undefined);
    }
  }

  #maybeResume(): void {
    if (this.#paused && this.#buffer.length <= this.#limit >> 1) {
      this.#paused = false;
      this.#transport!.resumeReading();
    }
  }

  // Returns the future to await (awaited directly: no extra async frame per
  // wait). A cancelled wait leaves its done future behind; the next wait
  // replaces it.
  #waitForData(method: string): Future<void> {
    if (this.#waiter !== null && !this.#waiter.done()) {
      throw new RuntimeError(
        `Cannot ${method}(): another read is already waiting for data on this StreamReader`,
      );
    }
    if (this.#paused) {
      this.#paused = false;
      this.#transport!.resumeReading();
    }
    this.#loop ??= getRunningLoop();
    const waiter = this.#loop.createFuture<void>();
    this.#waiter = waiter;
    return waiter;
  }
}

function checkCount(n: number, method: string): void {
  if (!Number.isSafeInteger(n)) {
    throw new TypeError(`Cannot ${method}() as 'n' must be an integer: received ${describe(n)}`);
  }
}

function toSeparators(separator: Separator | readonly Separator[]): Uint8Array[] {
  const list = Array.isArray(separator) ? separator : [separator];
  if (list.length === 0) {
    throw new TypeError(
      "Cannot readuntil() as 'separator' must hold at least one separator: received an empty array",
    );
  }
  // Shortest first: on a tie of match ends, the shorter separator wins (as in Python).
  const bytes = list.map((sep) => {
    const encoded = typeof sep === "string" ? encoder.encode(sep) : sep;
    if (!(encoded instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot readuntil() as 'separator' must be a Uint8Array, a string or an array of them: received ${
          describe(sep)
        }`,
      );
    }
    if (encoded.length === 0) {
      throw new TypeError("Cannot readuntil() as 'separator' must not be empty");
    }
    return encoded;
  });
  return bytes.sort((a, b) => a.length - b.length);
}

function concat(blocks: Uint8Array<ArrayBuffer>[]): Uint8Array<ArrayBuffer> {
  if (blocks.length === 1) return blocks[0];
  let size = 0;
  for (const block of blocks) size += block.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const block of blocks) {
    out.set(block, at);
    at += block.length;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return `${typeof value} ${String(value)}`;
}
