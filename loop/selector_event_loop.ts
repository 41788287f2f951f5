/**
 * `SelectorEventLoop`: asyncio's readiness-based loop.
 *
 * @module
 */
import type { BaseEventLoopOptions } from "./base_event_loop.ts";
import { IoEventLoop } from "./io_event_loop.ts";
import type { Handle } from "./handle.ts";
import { logger } from "./logger.ts";
import { SelectorIoDriver } from "./selector_io_driver.ts";
import type { Future } from "../tasks/future.ts";
import { EpollSelector } from "../transports/epoll_selector.ts";
import { FdSocket } from "../transports/fd_socket.ts";
import { ffiUnavailableReason } from "../transports/ffi.ts";
import { checkSocket, DenoSelector, type Selector } from "../transports/selector.ts";
import { selectorTransports } from "../transports/selector_transport.ts";
import { fdOpener } from "../transports/tcp.ts";
import type { Socket, SocketAddress } from "../transports/socket.ts";
import { checkSocketFree } from "../transports/socket_owners.ts";

/** A socket object of the selector loop: a Deno-ops `Socket`, or (epoll selector) an `FdSocket`. */
export type SelectorSocket = Socket | FdSocket;

// The arguments of the transports' readiness callbacks (they take none).
const NO_ARGS: unknown[] = [];

/**
 * Which selector a {@linkcode SelectorEventLoop} uses: `"epoll"` (real
 * descriptors through FFI), `"deno"` (Deno's own I/O), `"auto"` (epoll when
 * it can run, else deno), or a selector instance.
 */
export type SelectorChoice = "auto" | "epoll" | "deno" | Selector<SelectorSocket | number>;

/** Options of {@linkcode SelectorEventLoop}. */
export interface SelectorEventLoopOptions extends BaseEventLoopOptions {
  /**
   * The selector (default `"auto"`): the epoll selector when FFI is granted
   * on Linux (x86_64 or aarch64), the Deno-ops selector otherwise. Debug
   * mode logs which one, and why.
   */
  selector?: SelectorChoice;
}

/**
 * The readiness-based event loop. Equivalent to Python's
 * `asyncio.SelectorEventLoop`.
 *
 * Its selector is chosen by the `selector` option (default `"auto"`): an
 * {@linkcode EpollSelector} over real descriptors when FFI is granted on
 * Linux (x86_64 or aarch64), else a {@linkcode DenoSelector}, which turns
 * Deno's completions into readiness events (the exact semantics are in
 * `transports/selector.ts`). On those events run the callbacks of
 * `addReader`/`addWriter` and the `sock*` operations, which take the
 * project's socket objects (`createSocket()`, `sockAccept()`; on the epoll
 * selector also `createFdSocket()` descriptors, which
 * `connectAcceptedSocket()` turns into transports). `createConnection`, `createServer`,
 * `createUnixConnection` and `createUnixServer` give
 * `SelectorSocketTransport`s, registered with the selector as Python's
 * `_SelectorSocketTransport` (on the epoll selector over descriptors:
 * non-blocking connects settled with `SO_ERROR`, `accept4` until EAGAIN); pipes and TLS
 * connections (`ssl`: Deno's own TLS conns, on the epoll selector too) get the stream
 * transport both loops share, and name resolution is the proactor's (shared code). Debug mode starts on when `ASYNCIO_DEBUG=1`
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
  // A bare descriptor number is watchable on the epoll selector (addReader(fd)).
  readonly #io: SelectorIoDriver<SelectorSocket | number>;
  readonly #selector: Selector<SelectorSocket | number>;

  /**
   * Creates the loop on the selector `options.selector` chooses (an
   * `ioDriver` option is ignored).
   *
   * @throws {Deno.errors.NotSupported} `selector: "epoll"` where it cannot
   *   run (no FFI permission, not Linux on x86_64 or aarch64).
   * @throws {TypeError} `selector` is not a choice nor a selector.
   */
  constructor(options?: SelectorEventLoopOptions) {
    const [selector, why] = chooseSelector(options?.selector ?? "auto");
    const io = new SelectorIoDriver<SelectorSocket | number>(selector);
    // On the epoll selector connections are descriptors too.
    super(
      options,
      io,
      (loop, io) => selectorTransports(loop as SelectorEventLoop, io),
      selector instanceof EpollSelector ? fdOpener : undefined,
    );
    io.attach(this);
    this.#io = io;
    this.#selector = selector;
    if (this.getDebug()) logger.debug(`${this} ${why}`);
  }

  /** The loop's selector (an {@linkcode EpollSelector} or a {@linkcode DenoSelector}, or the one given). */
  get selector(): Selector<SelectorSocket | number> {
    return this.#selector;
  }

  /**
   * Calls `callback(...args)` whenever `sock` is readable (level-triggered),
   * replacing a previous reader. Equivalent to `loop.add_reader()`. On the
   * epoll selector `sock` may also be a descriptor number, as in Python.
   *
   * @throws {TypeError} `sock` is not a socket object (on the Deno-ops
   *   selector a number is not: Deno has no raw file descriptors) or
   *   `callback` is not a function.
   * @throws {RuntimeError} `sock` belongs to a transport that is not closing.
   */
  override addReader<A extends unknown[]>(
    sock: unknown,
    callback: (...args: A) => void,
    ...args: A
  ): void {
    this.#checkWatchable(sock, "add reader");
    checkCallback(callback, "add reader");
    checkSocketFree(sock, "add reader");
    this.#io.addReader(sock, callback as (...args: unknown[]) => void, args);
  }

  /**
   * Stops watching `sock` for readability. Equivalent to
   * `loop.remove_reader()`.
   *
   * @returns Whether a reader was registered.
   * @throws {TypeError} `sock` is not a socket object.
   * @throws {RuntimeError} `sock` belongs to a transport that is not closing.
   */
  override removeReader(sock: unknown): boolean {
    this.#checkWatchable(sock, "remove reader");
    checkSocketFree(sock, "remove reader");
    return this.#io.removeReader(sock);
  }

  /**
   * Calls `callback(...args)` whenever `sock` is writable (no write in
   * flight), replacing a previous writer. Equivalent to `loop.add_writer()`.
   *
   * @throws {TypeError} `sock` is not a socket object or `callback` is not a function.
   * @throws {RuntimeError} `sock` belongs to a transport that is not closing.
   */
  override addWriter<A extends unknown[]>(
    sock: unknown,
    callback: (...args: A) => void,
    ...args: A
  ): void {
    this.#checkWatchable(sock, "add writer");
    checkCallback(callback, "add writer");
    checkSocketFree(sock, "add writer");
    this.#io.addWriter(sock, callback as (...args: unknown[]) => void, args);
  }

  /**
   * Stops watching `sock` for writability. Equivalent to
   * `loop.remove_writer()`.
   *
   * @returns Whether a writer was registered.
   * @throws {TypeError} `sock` is not a socket object.
   * @throws {RuntimeError} `sock` belongs to a transport that is not closing.
   */
  override removeWriter(sock: unknown): boolean {
    this.#checkWatchable(sock, "remove writer");
    checkSocketFree(sock, "remove writer");
    return this.#io.removeWriter(sock);
  }

  /**
   * Receives up to `nbytes` bytes from `sock`; an empty array at EOF.
   * Equivalent to `loop.sock_recv()`. Cancelling the caller removes the
   * reader it registered.
   *
   * @throws {TypeError} `sock` is not a socket object.
   * @throws {RangeError} `nbytes` is not a positive integer.
   * @throws {RuntimeError} `sock` belongs to a transport that is not closing.
   */
  override async sockRecv(sock: unknown, nbytes: number): Promise<Uint8Array> {
    this.#checkSocket(sock, "receive");
    checkSocketFree(sock, "receive");
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
   * @throws {RuntimeError} `sock` belongs to a transport that is not closing.
   */
  override async sockRecvInto(sock: unknown, buf: Uint8Array): Promise<number> {
    this.#checkSocket(sock, "receive");
    checkSocketFree(sock, "receive");
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
   * @throws {RuntimeError} `sock` belongs to a transport that is not closing.
   */
  override async sockSendall(sock: unknown, data: Uint8Array): Promise<void> {
    this.#checkSocket(sock, "send");
    checkSocketFree(sock, "send");
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
   * Equivalent to `loop.sock_connect()`. Cancelling the caller aborts the
   * attempt of a Deno-ops `Socket` (a Unix conn that completes anyway is
   * closed); an `FdSocket`'s connect goes on in the kernel, as in Python.
   *
   * @throws {TypeError} `sock` is not a new socket object or `address` does
   *   not fit its family.
   * @throws {NotImplementedError} `sock` is a bound Deno-ops `Socket` (Deno
   *   cannot bind a connecting socket; an `FdSocket` may be bound).
   * @throws {RuntimeError} `sock` belongs to a transport that is not closing.
   */
  override async sockConnect(sock: unknown, address: unknown): Promise<void> {
    this.#checkSocket(sock, "connect");
    checkSocketFree(sock, "connect");
    // Each kind of socket checks the address itself (a Unix path, IPv6).
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
   * (`[conn, ""]` on an unnamed Unix peer; an `FdSocket` gives an
   * `FdSocket`). Equivalent to `loop.sock_accept()`.
   *
   * @throws {TypeError} `sock` is not a socket object.
   * @throws {RuntimeError} `sock` belongs to a transport that is not closing.
   */
  override sockAccept(sock: Socket): Promise<[Socket, SocketAddress]>;
  /** Accepts a connection on the listening descriptor socket `sock`. */
  override sockAccept(sock: FdSocket): Promise<[FdSocket, SocketAddress]>;
  /** Accepts a connection on the listening `sock`. */
  override sockAccept(sock: unknown): Promise<[SelectorSocket, SocketAddress]>;
  override async sockAccept(sock: unknown): Promise<[SelectorSocket, SocketAddress]> {
    this.#checkSocket(sock, "accept");
    checkSocketFree(sock, "accept");
    const now = sock._tryAccept();
    if (now !== null) return now;
    const fut = this.createFuture<[SelectorSocket, SocketAddress]>();
    const io = this.#io;
    const handle = io.addReader(sock, () => {
      let accepted;
      try {
        accepted = sock._tryAccept();
      } catch (err) {
        io.removeReader(sock);
        fut.setException(err);
        return;
      }
      if (accepted === null) return;
      io.removeReader(sock);
      fut.setResult(accepted);
    }, NO_ARGS);
    return await this.#removingReaderOnCancel(sock, handle, fut);
  }

  async #recvInto(sock: SelectorSocket, buf: Uint8Array): Promise<number> {
    const now = sock._tryRecvInto(buf);
    if (now !== null) return now;
    const fut = this.createFuture<number>();
    const io = this.#io;
    const handle = io.addReader(sock, () => {
      let n;
      try {
        n = sock._tryRecvInto(buf);
      } catch (err) {
        io.removeReader(sock);
        fut.setException(err);
        return;
      }
      if (n === null) return;
      io.removeReader(sock);
      fut.setResult(n);
    }, NO_ARGS);
    return await this.#removingReaderOnCancel(sock, handle, fut);
  }

  // The reader of a sock* wait is the loop's own (registered after the
  // entry checks, so unchecked). Cancelled, the wait removes it, unless a
  // reader that replaced it (a transport that took the socket over) holds
  // the registration now, as Python's `_sock_read_done` leaves it.
  async #removingReaderOnCancel<T>(
    sock: SelectorSocket,
    handle: Handle,
    fut: Future<T>,
  ): Promise<T> {
    try {
      return await fut;
    } finally {
      if ((!fut.done() || fut.cancelled()) && !handle.cancelled()) this.#io.removeReader(sock);
    }
  }

  async #whenWritable(sock: SelectorSocket): Promise<void> {
    if (sock._writable()) return;
    const fut = this.createFuture<void>();
    const io = this.#io;
    const handle = io.addWriter(sock, () => {
      // Write readiness of a descriptor only means room in the kernel: the
      // socket itself says whether its send (or connect) is done.
      if (!sock._writable()) return;
      io.removeWriter(sock);
      fut.setResult(undefined);
    }, NO_ARGS);
    try {
      await fut;
    } finally {
      if ((!fut.done() || fut.cancelled()) && !handle.cancelled()) io.removeWriter(sock);
    }
  }

  /** `addReader` for the transport that owns `sock`, unchecked (internal; Python's `_add_reader`). */
  _addReader(sock: SelectorSocket, callback: () => void): void {
    this.#io.addReader(sock, callback, NO_ARGS);
  }

  /** `removeReader` for the transport that owns `sock`, unchecked (internal). */
  _removeReader(sock: SelectorSocket): boolean {
    return this.#io.removeReader(sock);
  }

  /** `addWriter` for the transport that owns `sock`, unchecked (internal). */
  _addWriter(sock: SelectorSocket, callback: () => void): void {
    this.#io.addWriter(sock, callback, NO_ARGS);
  }

  /** `removeWriter` for the transport that owns `sock`, unchecked (internal). */
  _removeWriter(sock: SelectorSocket): boolean {
    return this.#io.removeWriter(sock);
  }

  // addReader and friends also take a descriptor number on the epoll selector.
  #checkWatchable(sock: unknown, method: string): asserts sock is SelectorSocket | number {
    if (typeof sock === "number" && this.#selector instanceof EpollSelector) return;
    this.#checkSocket(sock, method);
  }

  #checkSocket(sock: unknown, method: string): asserts sock is SelectorSocket {
    if (!(sock instanceof FdSocket)) {
      checkSocket(sock, method);
      return;
    }
    if (!(this.#selector instanceof EpollSelector)) {
      throw new TypeError(
        `Cannot ${method} as an FdSocket needs the epoll selector: this loop uses ${this.#selector.constructor.name}`,
      );
    }
  }
}

// The selector for `choice`, and the debug-mode line saying which and why.
function chooseSelector(choice: SelectorChoice): [Selector<SelectorSocket | number>, string] {
  if (typeof choice === "object" && choice !== null) {
    return [choice, `uses the selector it was given (${choice.constructor.name})`];
  }
  if (choice !== "auto" && choice !== "epoll" && choice !== "deno") {
    throw new TypeError(
      `Cannot create event loop as 'selector' must be "auto", "epoll", "deno" or a selector: received ${
        String(choice)
      }`,
    );
  }
  const deno = (why: string): [Selector<SelectorSocket | number>, string] => [
    new DenoSelector() as Selector<SelectorSocket | number>,
    `uses the Deno-ops selector: ${why}`,
  ];
  if (choice === "deno") return deno("the 'selector' option asked for it");
  const reason = ffiUnavailableReason();
  if (reason !== null) {
    if (choice === "auto") return deno(`the epoll selector cannot run (${reason})`);
    throw new Deno.errors.NotSupported(
      `Cannot create event loop with the epoll selector: ${reason}`,
    );
  }
  return [
    new EpollSelector(),
    choice === "auto"
      ? `uses the epoll selector: FFI is granted on ${Deno.build.os}/${Deno.build.arch}`
      : "uses the epoll selector: the 'selector' option asked for it",
  ];
}

function checkCallback(callback: unknown, method: string): void {
  if (typeof callback !== "function") {
    throw new TypeError(
      `Cannot ${method} as 'callback' must be a function: received ${typeof callback}`,
    );
  }
}
