/**
 * `ProactorEventLoop`: asyncio's completion-based loop.
 *
 * @module
 */
import type { BaseEventLoopOptions } from "./base_event_loop.ts";
import { IoEventLoop } from "./io_event_loop.ts";
import { ProactorIoDriver } from "./proactor_io_driver.ts";
import type { Socket, SocketAddress } from "../transports/socket.ts";
import { ProactorSocketOps } from "../transports/socket_ops.ts";
import { proactorTransports } from "../transports/stream_transport.ts";

/**
 * The completion-based event loop. Equivalent to Python's
 * `asyncio.ProactorEventLoop` (Windows-only in CPython; here on every
 * platform, because Deno's own I/O is completion-based).
 *
 * Each transport keeps one read in flight and hands completions to the
 * protocol through the loop (`docs/architecture.md`, "Transports"). TCP,
 * Unix sockets, pipes, name resolution, `sendfile` and the `sock*`
 * operations on the project's socket objects (`createSocket()`) work; UDP
 * still throws `NotImplementedError` (it lands with the UDP work), and
 * `addReader`/`addWriter` are the selector loop's only (as in asyncio).
 * Debug mode starts on when `ASYNCIO_DEBUG=1` is set and env access is
 * granted.
 *
 * @example
 * ```ts
 * import { ProactorEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = new ProactorEventLoop();
 * const value = await loop.runUntilComplete(Promise.resolve("done"));
 * loop.close();
 * assert.equal(value, "done");
 * ```
 */
export class ProactorEventLoop extends IoEventLoop {
  readonly #sock: ProactorSocketOps;

  /** Creates the loop with its own I/O driver (an `ioDriver` option is ignored). */
  constructor(options?: BaseEventLoopOptions) {
    const io = new ProactorIoDriver();
    super(options, io, proactorTransports);
    this.#sock = new ProactorSocketOps(this, io);
  }

  /**
   * Receives up to `nbytes` bytes from `sock`; an empty array at EOF.
   * Equivalent to `loop.sock_recv()`. Cancelling the caller leaves nothing
   * registered; data read meanwhile stays on the socket for the next receive.
   *
   * @throws {TypeError} `sock` is not a socket object.
   * @throws {RangeError} `nbytes` is not a positive integer.
   */
  override sockRecv(sock: unknown, nbytes: number): Promise<Uint8Array> {
    return this.#sock.recv(sock, nbytes);
  }

  /**
   * Receives into `buf`; the number of bytes, 0 at EOF. Equivalent to
   * `loop.sock_recv_into()`.
   *
   * @throws {TypeError} `sock` is not a socket object or `buf` is not a `Uint8Array`.
   */
  override sockRecvInto(sock: unknown, buf: Uint8Array): Promise<number> {
    return this.#sock.recvInto(sock, buf);
  }

  /**
   * Sends all of `data` (resolves when it drained to the kernel).
   * Equivalent to `loop.sock_sendall()`; `data` must stay unchanged until
   * then, and a cancelled send may still complete the write in flight.
   *
   * @throws {TypeError} `sock` is not a connected socket object or `data` is not a `Uint8Array`.
   */
  override sockSendall(sock: unknown, data: Uint8Array): Promise<void> {
    return this.#sock.sendall(sock, data);
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
  override sockConnect(sock: unknown, address: unknown): Promise<void> {
    return this.#sock.connect(sock, address);
  }

  /**
   * Accepts a connection on the listening `sock`: `[conn, [host, port]]`
   * (`[conn, ""]` on a Unix socket). Equivalent to `loop.sock_accept()`.
   *
   * @throws {TypeError} `sock` is not a socket object.
   */
  override sockAccept(sock: unknown): Promise<[Socket, SocketAddress]> {
    return this.#sock.accept(sock);
  }
}
