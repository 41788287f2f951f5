/**
 * `loop.sendfile()` and `loop.sockSendfile()`: asyncio's chunked fallback,
 * which is the whole implementation here, since Deno has no zero-copy
 * `sendfile` path. Equivalent to `BaseEventLoop._sendfile_fallback` (with
 * `_SendfileFallbackProtocol`, which borrows the transport's protocol slot to
 * see `pauseWriting`/`resumeWriting`) and `_sock_sendfile_fallback`.
 *
 * `fallback: false` raises `SendfileNotAvailableError`, as a loop without a
 * native path does in asyncio.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { RuntimeError, SendfileNotAvailableError } from "../loop/exceptions.ts";
import type { Future } from "../tasks/future.ts";
import type { BaseProtocol } from "./base_protocol.ts";
import { Protocol } from "./protocol.ts";
import { SOCK_STREAM } from "./socket_constants.ts";
import type { Transport } from "./transport.ts";

/** Read size of the transport fallback (asyncio's 16 KiB). */
const TRANSPORT_BLOCK = 16 * 1024;
/** Read size of the socket fallback (asyncio's `SENDFILE_FALLBACK_READBUFFER_SIZE`). */
const SOCK_BLOCK = 256 * 1024;

/** What `sendfile` reads from: a `Deno.FsFile` or anything with its `read`/`seek`. */
export interface SendfileSource {
  /** Reads into `p`; `null` at end of file. */
  read(p: Uint8Array): Promise<number | null>;
  /** Moves the file position (`whence` 0: from the start). */
  seek?(offset: number | bigint, whence: Deno.SeekMode): Promise<number>;
}

/** Options of `loop.sendfile()` and `loop.sockSendfile()`. */
export interface SendfileOptions {
  /** Use the chunked read-and-write path (default true); false raises `SendfileNotAvailableError`. */
  fallback?: boolean;
}

function checkParams(file: unknown, offset: unknown, count: unknown): void {
  if (
    file === null || typeof file !== "object" ||
    typeof (file as SendfileSource).read !== "function"
  ) {
    throw new TypeError(
      `Cannot send file as 'file' must have read() (a Deno.FsFile): received ${
        file === null ? "null" : typeof file
      }`,
    );
  }
  if (count !== null && count !== undefined) {
    if (!Number.isSafeInteger(count)) {
      throw new TypeError(
        `Cannot send file as 'count' must be a positive integer: received ${String(count)}`,
      );
    }
    if ((count as number) <= 0) {
      throw new RangeError(
        `Cannot send file as 'count' must be a positive integer: received ${count}`,
      );
    }
  }
  if (!Number.isSafeInteger(offset)) {
    throw new TypeError(
      `Cannot send file as 'offset' must be a non-negative integer: received ${String(offset)}`,
    );
  }
  if ((offset as number) < 0) {
    throw new RangeError(
      `Cannot send file as 'offset' must be a non-negative integer: received ${offset}`,
    );
  }
}

/** The methods the transport fallback needs (every stream transport of both loops has them). */
function isFlowControlled(t: unknown): t is Transport {
  if (t === null || typeof t !== "object") return false;
  const x = t as Record<string, unknown>;
  return ["write", "isClosing", "getProtocol", "setProtocol", "isReading", "pauseReading"]
    .every((m) => typeof x[m] === "function") &&
    typeof x.resumeReading === "function" && typeof x.getWriteBufferSize === "function" &&
    typeof x.getWriteBufferLimits === "function";
}

/**
 * Reads `file` from `offset` in blocks of at most `block` bytes, up to `count`
 * bytes (to the end when null), and hands each block to `send`; leaves the
 * file position after the last byte sent. Returns the bytes sent.
 */
async function pump(
  file: SendfileSource,
  offset: number,
  count: number | null | undefined,
  block: number,
  send: (view: Uint8Array) => Promise<void>,
): Promise<number> {
  if (offset) await file.seek?.(offset, 0);
  const buf = new Uint8Array(count ? Math.min(count, block) : block);
  let total = 0;
  try {
    for (;;) {
      const want = count ? Math.min(count - total, buf.length) : buf.length;
      if (want <= 0) return total;
      const n = await file.read(buf.subarray(0, want));
      if (n === null || n === 0) return total;
      await send(buf.subarray(0, n));
      total += n;
    }
  } finally {
    if (total > 0) await file.seek?.(offset + total, 0);
  }
}

/**
 * Stands in for the transport's protocol while a file is sent: reading is
 * paused, and `pauseWriting`/`resumeWriting` gate the next block. Equivalent
 * to asyncio's `_SendfileFallbackProtocol`.
 */
class SendfileFallbackProtocol extends Protocol {
  readonly #loop: AbstractEventLoop;
  readonly #transport: Transport;
  readonly #proto: BaseProtocol;
  readonly #resumeReading: boolean;
  #resumeWriting: boolean;
  #ready: Future<void> | null = null;

  constructor(loop: AbstractEventLoop, transport: Transport) {
    super();
    this.#loop = loop;
    this.#transport = transport;
    this.#proto = transport.getProtocol();
    this.#resumeReading = transport.isReading();
    // Our transports keep "paused" private: above the high-water mark they are paused for sure.
    this.#resumeWriting = transport.getWriteBufferSize() > transport.getWriteBufferLimits()[1];
    transport.pauseReading();
    transport.setProtocol(this);
    if (this.#resumeWriting) this.#ready = loop.createFuture<void>();
  }

  /** Waits until the transport takes more data. */
  async drain(): Promise<void> {
    if (this.#transport.isClosing()) throw connectionClosed();
    if (
      this.#ready === null &&
      this.#transport.getWriteBufferSize() > this.#transport.getWriteBufferLimits()[1]
    ) {
      // Paused before we took over (between the marks then): its resumeWriting will come.
      this.#ready = this.#loop.createFuture<void>();
    }
    if (this.#ready !== null) await this.#ready;
  }

  override connectionMade(): void {
    throw new RuntimeError("Invalid state: connection should have been established already.");
  }

  override connectionLost(exc: unknown): void {
    if (this.#ready !== null && !this.#ready.done()) {
      this.#ready.setException(exc ?? connectionClosed());
    }
    this.#proto.connectionLost(exc as Error | null);
  }

  override pauseWriting(): void {
    if (this.#ready === null) this.#ready = this.#loop.createFuture<void>();
  }

  override resumeWriting(): void {
    if (this.#ready === null) {
      // The transport was paused before we took over: the owner must hear of the resume.
      this.#resumeWriting = true;
      return;
    }
    if (!this.#ready.done()) this.#ready.setResult(undefined);
    this.#ready = null;
  }

  override dataReceived(): void {
    throw new RuntimeError("Invalid state: reading should be paused");
  }

  override eofReceived(): boolean {
    throw new RuntimeError("Invalid state: reading should be paused");
  }

  /** Gives the transport back to its protocol. */
  restore(): void {
    this.#transport.setProtocol(this.#proto);
    if (this.#resumeReading) this.#transport.resumeReading();
    const ready = this.#ready;
    if (ready !== null) {
      if (!ready.done()) ready.cancel();
      else if (!ready.cancelled()) ready.exception(); // retrieved: no "never retrieved" log
    }
    if (this.#resumeWriting) this.#proto.resumeWriting?.();
  }
}

function connectionClosed(): Error {
  const err = new Error("Connection closed by peer");
  err.name = "ConnectionError";
  return err;
}

/**
 * `loop.sendfile(transport, file, offset, count, { fallback })`: sends `count`
 * bytes of `file` from `offset` (to its end when `count` is null) over a
 * stream transport, with the transport's flow control, and returns the bytes
 * sent. The file position ends after the last byte sent.
 *
 * @throws {SendfileNotAvailableError} `fallback` is false (Deno has no native path).
 * @throws {RuntimeError} The transport is closing or is not a stream transport.
 * @throws {TypeError} `file` has no `read()`, or `offset`/`count` is not an integer.
 * @throws {RangeError} `offset` is negative or `count` is not positive.
 */
export async function sendfile(
  loop: AbstractEventLoop,
  transport: unknown,
  file: unknown,
  offset = 0,
  count: number | null = null,
  options?: SendfileOptions,
): Promise<number> {
  if (!isFlowControlled(transport)) {
    throw new RuntimeError(`sendfile is not supported for transport ${String(transport)}`);
  }
  if (transport.isClosing()) throw new RuntimeError("Transport is closing");
  checkParams(file, offset, count);
  if (options?.fallback === false) {
    throw new SendfileNotAvailableError(
      "sendfile: Deno has no native sendfile and 'fallback' is false",
    );
  }
  const proto = new SendfileFallbackProtocol(loop, transport);
  try {
    return await pump(file as SendfileSource, offset, count, TRANSPORT_BLOCK, async (view) => {
      await proto.drain();
      transport.write(view); // copies
    });
  } finally {
    proto.restore();
  }
}

/**
 * `loop.sockSendfile(sock, file, offset, count, { fallback })`: the same over
 * a socket object, block by block with `sendall` (the loop's `sockSendall`).
 *
 * @throws {SendfileNotAvailableError} `fallback` is false.
 * @throws {RangeError} The socket is not `SOCK_STREAM`, `offset` is negative or `count` is not positive.
 * @throws {TypeError} `file` has no `read()`, or `offset`/`count` is not an integer.
 */
export async function sockSendfile(
  sock: unknown,
  file: unknown,
  offset = 0,
  count: number | null = null,
  options: SendfileOptions | undefined,
  sendall: (data: Uint8Array) => Promise<void>,
): Promise<number> {
  const type = (sock as { type?: unknown } | null)?.type;
  if (type !== undefined && type !== SOCK_STREAM) {
    throw new RangeError("only SOCK_STREAM type sockets are supported");
  }
  checkParams(file, offset, count);
  if (options?.fallback === false) {
    throw new SendfileNotAvailableError(
      "sockSendfile: Deno has no native sendfile and 'fallback' is false",
    );
  }
  return await pump(file as SendfileSource, offset, count, SOCK_BLOCK, sendall);
}
