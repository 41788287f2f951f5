/**
 * `SelectorEventLoop`: asyncio's readiness-based loop.
 *
 * @module
 */
import type { BaseEventLoopOptions } from "./base_event_loop.ts";
import { IoEventLoop } from "./io_event_loop.ts";
import { SelectorIoDriver } from "./selector_io_driver.ts";
import type { Future } from "../tasks/future.ts";
import { checkSocket, DenoSelector } from "../transports/selector.ts";
import { selectorTransports } from "../transports/selector_transport.ts";
import type { Socket, SocketAddress } from "../transports/socket.ts";

/**
 * The readiness-based event loop. Equivalent to Python's
 * `asyncio.SelectorEventLoop`.
 *
 * Its {@linkcode DenoSelector} turns Deno's completions into readiness
 * events (the exact semantics are in `transports/selector.ts`); on them run
 * the callbacks of `addReader`/`addWriter` and the `sock*` operations, which
 * take the project's socket objects (`createSocket()`, `sockAccept()`): Deno
 * has no raw file descriptors. `createConnection`, `createServer`,
 * `createUnixConnection` and `createUnixServer` give
 * `SelectorSocketTransport`s, registered with the selector as Python's
 * `_SelectorSocketTransport`; pipes get the stream transport both loops
 * share, and name resolution is the proactor's (shared code). Debug mode starts on when `ASYNCIO_DEBUG=1`
 * is set and env access is granted.
 *
 * @example
 * ```ts
 * import { SelectorEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = new SelectorEventLoop();
 * const value = await loop.runUntilComplete(Promise.resolve(7));
 * loop.close();
 * assert.equal(value, 7);
 * ```
 */
export class SelectorEventLoop extends IoEventLoop {
  readonly #io: SelectorIoDriver<Socket>;

  /** Creates the loop with a {@linkcode DenoSelector} (an `ioDriver` option is ignored). */
  constructor(options?: BaseEventLoopOptions) {
    const io = new SelectorIoDriver<Socket>(new DenoSelector());
    super(options, io, selectorTransports);
    io.attach(this);
    this.#io = io;
  }

  /**
   * Calls `callback(...args)` whenever `sock` is readable (level-triggered),
   * replacing a previous reader. Equivalent to `loop.add_reader()`.
   *
   * @throws {TypeError} `sock` is not a socket object (a number is not: Deno
   *   has no raw file descriptors) or `callback` is not a function.
   */
  override addReader<A extends unknown[]>(
    sock: unknown,
    callback: (...args: A) => void,
    ...args: A
  ): void {
    checkSocket(sock, "add reader");
    checkCallback(callback, "add reader");
    this.#io.addReader(sock, callback as (...args: unknown[]) => void, args);
  }

  /**
   * Stops watching `sock` for readability. Equivalent to
   * `loop.remove_reader()`.
   *
   * @returns Whether a reader was registered.
   * @throws {TypeError} `sock` is not a socket object.
   */
  override removeReader(sock: unknown): boolean {
    checkSocket(sock, "remove reader");
    return this.#io.removeReader(sock);
  }

  /**
   * Calls `callback(...args)` whenever `sock` is writable (no write in
   * flight), replacing a previous writer. Equivalent to `loop.add_writer()`.
   *
   * @throws {TypeError} `sock` is not a socket object or `callback` is not a function.
   */
  override addWriter<A extends unknown[]>(
    sock: unknown,
    callback: (...args: A) => void,
    ...args: A
  ): void {
    checkSocket(sock, "add writer");
    checkCallback(callback, "add writer");
    this.#io.addWriter(sock, callback as (...args: unknown[]) => void, args);
  }

  /**
   * Stops watching `sock` for writability. Equivalent to
   * `loop.remove_writer()`.
   *
   * @returns Whether a writer was registered.
   * @throws {TypeError} `sock` is not a socket object.
   */
  override removeWriter(sock: unknown): boolean {
    checkSocket(sock, "remove writer");
    return this.#io.removeWriter(sock);
  }

  /**
   * Receives up to `nbytes` bytes from `sock`; an empty array at EOF.
   * Equivalent to `loop.sock_recv()`. Cancelling the caller removes the
   * reader it registered.
   *
   * @throws {TypeError} `sock` is not a socket object.
   * @throws {RangeError} `nbytes` is not a positive integer.
   */
  override async sockRecv(sock: unknown, nbytes: number): Promise<Uint8Array> {
    checkSocket(sock, "receive");
    if (!Number.isInteger(nbytes) || nbytes <= 0) {
      throw new RangeError(
        `Cannot receive as 'nbytes' must be a positive integer: received ${String(nbytes)}`,
      );
    }
    const buf = new Uint8Array(nbytes);
    const n = await this.#recvInto(sock, buf);
    return buf.subarray(0, n);
  }

  /**
   * Receives into `buf`; the number of bytes, 0 at EOF. Equivalent to
   * `loop.sock_recv_into()`.
   *
   * @throws {TypeError} `sock` is not a socket object or `buf` is not a `Uint8Array`.
   */
  override async sockRecvInto(sock: unknown, buf: Uint8Array): Promise<number> {
    checkSocket(sock, "receive");
    if (!(buf instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot receive as 'buf' must be a Uint8Array: received ${typeof buf}`,
      );
    }
    return await this.#recvInto(sock, buf);
  }

  /**
   * Sends all of `data` (resolves when it drained to the kernel).
   * Equivalent to `loop.sock_sendall()`; `data` must stay unchanged until
   * then, and a cancelled send may still complete the write in flight.
   *
   * @throws {TypeError} `sock` is not a connected socket object or `data` is not a `Uint8Array`.
   */
  override async sockSendall(sock: unknown, data: Uint8Array): Promise<void> {
    checkSocket(sock, "send");
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`Cannot send as 'data' must be a Uint8Array: received ${typeof data}`);
    }
    if (data.length === 0) return;
    await this.#whenWritable(sock);
    sock._startSend(data);
    await this.#whenWritable(sock);
    sock._throwWriteError();
  }

  /**
   * Connects `sock` to `[host, port]`, or to a path for an `AF_UNIX` socket.
   * Equivalent to `loop.sock_connect()`; cancelling the caller aborts the
   * attempt (a Unix conn that completes anyway is closed).
   *
   * @throws {TypeError} `sock` is not a new socket object or `address` does
   *   not fit its family.
   * @throws {NotImplementedError} `sock` is bound (Deno cannot bind a connecting socket).
   */
  override async sockConnect(sock: unknown, address: unknown): Promise<void> {
    checkSocket(sock, "connect");
    sock._startConnect(address as SocketAddress);
    try {
      await this.#whenWritable(sock);
    } catch (err) {
      sock._abortConnect();
      throw err;
    }
    sock._throwWriteError();
  }

  /**
   * Accepts a connection on the listening `sock`: `[conn, [host, port]]`
   * (`[conn, ""]` on a Unix socket). Equivalent to `loop.sock_accept()`.
   *
   * @throws {TypeError} `sock` is not a socket object.
   */
  override async sockAccept(sock: unknown): Promise<[Socket, SocketAddress]> {
    checkSocket(sock, "accept");
    const now = sock._tryAccept();
    if (now !== null) return now;
    const fut = this.createFuture<[Socket, SocketAddress]>();
    this.addReader(sock, () => {
      let accepted;
      try {
        accepted = sock._tryAccept();
      } catch (err) {
        this.removeReader(sock);
        fut.setException(err);
        return;
      }
      if (accepted === null) return;
      this.removeReader(sock);
      fut.setResult(accepted);
    });
    return await this.#removingReaderOnCancel(sock, fut);
  }

  async #recvInto(sock: Socket, buf: Uint8Array): Promise<number> {
    const now = sock._tryRecvInto(buf);
    if (now !== null) return now;
    const fut = this.createFuture<number>();
    this.addReader(sock, () => {
      let n;
      try {
        n = sock._tryRecvInto(buf);
      } catch (err) {
        this.removeReader(sock);
        fut.setException(err);
        return;
      }
      if (n === null) return;
      this.removeReader(sock);
      fut.setResult(n);
    });
    return await this.#removingReaderOnCancel(sock, fut);
  }

  async #removingReaderOnCancel<T>(sock: Socket, fut: Future<T>): Promise<T> {
    try {
      return await fut;
    } finally {
      // Cancelled (or settled): nothing may stay registered for this wait.
      if (!fut.done() || fut.cancelled()) this.removeReader(sock);
    }
  }

  async #whenWritable(sock: Socket): Promise<void> {
    if (sock._writable()) return;
    const fut = this.createFuture<void>();
    this.addWriter(sock, () => {
      this.removeWriter(sock);
      fut.setResult(undefined);
    });
    try {
      await fut;
    } finally {
      if (!fut.done() || fut.cancelled()) this.removeWriter(sock);
    }
  }
}

function checkCallback(callback: unknown, method: string): void {
  if (typeof callback !== "function") {
    throw new TypeError(
      `Cannot ${method} as 'callback' must be a function: received ${typeof callback}`,
    );
  }
}
