/**
 * The `sock*` operations of the completion-based loop (`ProactorEventLoop`)
 * on the project's {@linkcode Socket} objects: Python's
 * `BaseProactorEventLoop.sock_recv` and friends.
 *
 * A socket does one Deno operation at a time per direction (a read or
 * accept, a write or connect) and calls its watcher when one settles
 * (`Socket._watch`). Each operation here tries the socket first (data or an
 * accepted conn may be buffered already), else starts the Deno operation
 * and waits on a loop future that the watcher settles, through
 * `loop.callSoon`, so the caller resumes in a loop iteration. Several
 * operations may wait on one socket (a task receiving while another sends):
 * the watcher wakes them all and each checks its own condition again.
 *
 * Cancellation leaves no waiter behind. Deno cannot cancel a read in flight:
 * its data stays buffered on the socket for the next receive (nothing is
 * lost), and `Socket.close()` drops it. A cancelled connect is aborted; a
 * cancelled send may still complete the write in flight, as on the selector
 * loop.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import type { Future } from "../tasks/future.ts";
import type { ProactorIo } from "./proactor_io.ts";
import { checkSocket } from "./selector.ts";
import type { Socket, SocketAddress } from "./socket.ts";

/**
 * The `sock*` methods of the proactor loop over its I/O driver. The loop
 * makes one and delegates to it.
 *
 * @example Receive what a peer sent
 * ```ts
 * import { ProactorEventLoop } from "@aio/asyncio/loop";
 * import { createSocket } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const loop = new ProactorEventLoop();
 * const text = await loop.runUntilComplete(async () => {
 *   const server = createSocket();
 *   server.bind(["127.0.0.1", 0]);
 *   server.listen();
 *   const client = createSocket();
 *   const accepting = loop.sockAccept(server);
 *   await loop.sockConnect(client, server.getsockname());
 *   const [conn] = await accepting;
 *   await loop.sockSendall(client, new TextEncoder().encode("hi"));
 *   const data = await loop.sockRecv(conn, 10);
 *   for (const s of [conn, client, server]) s.close();
 *   return new TextDecoder().decode(data);
 * });
 * loop.close();
 * assert.equal(text, "hi");
 * ```
 */
export class ProactorSocketOps {
  readonly #loop: AbstractEventLoop;
  readonly #io: ProactorIo;
  // The futures waiting on each socket; the socket's watcher wakes them.
  readonly #waiting = new Map<Socket, Set<Future<void>>>();

  /** Operations for `loop`, counted by its driver `io`. */
  constructor(loop: AbstractEventLoop, io: ProactorIo) {
    this.#loop = loop;
    this.#io = io;
  }

  /**
   * Receives up to `nbytes` bytes; an empty array at EOF.
   *
   * @throws {TypeError} `sock` is not a socket object.
   * @throws {RangeError} `nbytes` is not a positive integer.
   */
  async recv(sock: unknown, nbytes: number): Promise<Uint8Array> {
    checkSocket(sock, "receive");
    if (!Number.isInteger(nbytes) || nbytes <= 0) {
      throw new RangeError(
        `Cannot receive as 'nbytes' must be a positive integer: received ${String(nbytes)}`,
      );
    }
    const buf = new Uint8Array(nbytes);
    return buf.subarray(0, await this.#recvInto(sock, buf));
  }

  /**
   * Receives into `buf`: the number of bytes, 0 at EOF.
   *
   * @throws {TypeError} `sock` is not a socket object or `buf` is not a `Uint8Array`.
   */
  async recvInto(sock: unknown, buf: Uint8Array): Promise<number> {
    checkSocket(sock, "receive");
    if (!(buf instanceof Uint8Array)) {
      throw new TypeError(`Cannot receive as 'buf' must be a Uint8Array: received ${typeof buf}`);
    }
    return await this.#recvInto(sock, buf);
  }

  /**
   * Sends all of `data`; resolves when it drained to the kernel.
   *
   * @throws {TypeError} `sock` is not a connected socket object or `data` is not a `Uint8Array`.
   */
  async sendall(sock: unknown, data: Uint8Array): Promise<void> {
    checkSocket(sock, "send");
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`Cannot send as 'data' must be a Uint8Array: received ${typeof data}`);
    }
    if (data.length === 0) return;
    await this.#until(sock, () => sock._writable());
    sock._startSend(data);
    await this.#until(sock, () => sock._writable());
    sock._throwWriteError();
  }

  /**
   * Connects `sock` to `address` (`[host, port]`, or a path for `AF_UNIX`);
   * cancelling the caller aborts the attempt.
   *
   * @throws {TypeError} `sock` is not a new socket object or `address` does not fit its family.
   * @throws {NotImplementedError} `sock` is bound (Deno cannot bind a connecting socket).
   */
  async connect(sock: unknown, address: unknown): Promise<void> {
    checkSocket(sock, "connect");
    sock._startConnect(address as SocketAddress);
    try {
      await this.#until(sock, () => sock._writable());
    } catch (err) {
      sock._abortConnect();
      throw err;
    }
    sock._throwWriteError();
  }

  /**
   * Accepts a connection on the listening `sock`: `[conn, address]`.
   *
   * @throws {TypeError} `sock` is not a socket object.
   */
  async accept(sock: unknown): Promise<[Socket, SocketAddress]> {
    checkSocket(sock, "accept");
    for (;;) {
      const accepted = sock._tryAccept();
      if (accepted !== null) return accepted;
      sock._armRead();
      await this.#until(sock, () => sock._readable());
    }
  }

  async #recvInto(sock: Socket, buf: Uint8Array): Promise<number> {
    for (;;) {
      const n = sock._tryRecvInto(buf);
      if (n !== null) return n;
      sock._armRead();
      await this.#until(sock, () => sock._readable());
    }
  }

  // Waits until `ready()` holds, waking whenever an operation of `sock` settles.
  async #until(sock: Socket, ready: () => boolean): Promise<void> {
    while (!ready()) {
      const fut = this.#loop.createFuture<void>();
      let waiting = this.#waiting.get(sock);
      if (waiting === undefined) {
        waiting = new Set();
        this.#waiting.set(sock, waiting);
        sock._watch(() => this.#settled(sock));
      }
      waiting.add(fut);
      this.#io.begin();
      try {
        await fut;
      } finally {
        this.#io.end();
        waiting.delete(fut);
        if (waiting.size === 0) {
          this.#waiting.delete(sock);
          sock._watch(null);
        }
      }
    }
  }

  // An operation of `sock` settled (a Deno promise callback): wake its
  // waiters from the loop.
  #settled(sock: Socket): void {
    if (this.#loop.isClosed()) return;
    this.#loop.callSoon(() => {
      for (const fut of this.#waiting.get(sock) ?? []) if (!fut.done()) fut.setResult(undefined);
    });
  }
}
