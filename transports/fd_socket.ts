/**
 * `FdSocket`: a real, non-blocking socket descriptor through libc (Deno
 * FFI), for `SelectorEventLoop` on its epoll selector. This is Python's
 * non-blocking `socket.socket`: `fileno()` is the kernel descriptor, every
 * operation is one system call that fails with EAGAIN instead of blocking.
 *
 * It needs `--allow-ffi` on Linux (x86_64 or aarch64): FFI is native access,
 * so these sockets are not bound by `--allow-net` (see the README).
 * `createFdSocket()` makes one; `createSocket()` always gives the Deno-ops
 * {@linkcode Socket} (no FFI needed).
 *
 * The methods whose names start with `_` are the readiness protocol shared
 * with {@linkcode Socket} (the selector loop's `sock*` methods call them):
 * non-blocking attempts that return `null` where Python's non-blocking
 * socket raises `BlockingIOError`, errors shaped as Deno's own
 * (`Deno.errors.ConnectionReset` with `code` `"ECONNRESET"`, ...).
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import {
  EAGAIN,
  EINPROGRESS,
  EINTR,
  ENOTCONN,
  IOV_MAX,
  IPPROTO_TCP,
  libc,
  MSG_NOSIGNAL,
  MSGHDR_IOV,
  MSGHDR_IOVLEN,
  MSGHDR_SIZE,
  osError,
  SHUT_WR,
  SO_ERROR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOL_SOCKET,
  TCP_NODELAY,
} from "./_libc.ts";
import { decodeSockaddr, encodeSockaddr, SOCKADDR_MAX } from "./_sockaddr.ts";
import { AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM } from "./socket_constants.ts";
import type { SocketState } from "./socket.ts";

// Reads that hand out views go into the tail of a slab, never written again
// (as `Socket._recvView`): at most MAX_VIEW_READ per read, a fresh slab when
// the tail is below MIN_TAIL. One slab serves every descriptor socket of the
// isolate, since their reads are synchronous, one at a time: an idle
// connection holds no slab of its own, and the live read memory stays one
// slab however many connections there are (with a slab per connection, V8's
// collection limits, which count that memory, ran full collections several
// times a second at 1 KiB echoes over 10 connections). A slab lives as long
// as some view of it.
const SLAB_SIZE = 512 * 1024;
const MAX_VIEW_READ = 256 * 1024;
const MIN_TAIL = 64 * 1024;
const EMPTY = new Uint8Array(0);
let slab: Uint8Array<ArrayBuffer> = new Uint8Array(0);
let slabUsed = 0;

// Scratch space for one call at a time (JavaScript is single-threaded here).
const addrBuf = new Uint8Array(SOCKADDR_MAX);
const lenBuf = new Uint32Array(1);
const intBuf = new Int32Array(1);
// The `struct msghdr` and `struct iovec[IOV_MAX]` of a gather send, made on
// the first one (a pointer needs FFI); module-level, so never moved or freed.
// Both are native-endian `u64` words: pointers and `size_t`s (LP64).
let gather: { hdr: BigUint64Array; iov: BigUint64Array } | null = null;
const NOTHING: readonly Uint8Array[] = [];

/** A socket address as Python shows it: `[host, port]`, or a Unix path. */
export type SockAddr = [host: string, port: number] | string;

/** Options of {@linkcode createFdSocket}. */
export interface CreateFdSocketOptions {
  /** `AF_INET` (default), `AF_INET6` or `AF_UNIX`. */
  family?: number;
  /** `SOCK_STREAM` (default; the only type so far). */
  type?: number;
}

/**
 * A non-blocking socket descriptor. Equivalent to Python's non-blocking
 * `socket.socket` as asyncio's `sock_*` methods and `add_reader` use it.
 *
 * @example Accept and connect over loopback on the epoll selector
 * ```ts
 * // deno run --allow-ffi example.ts
 * import { SelectorEventLoop } from "@aio/asyncio/loop";
 * import { createFdSocket, EpollSelector } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const loop = new SelectorEventLoop({ selector: "epoll" });
 * await loop.runUntilComplete(async () => {
 *   const server = createFdSocket();
 *   server.bind(["127.0.0.1", 0]);
 *   server.listen();
 *   const client = createFdSocket();
 *   const accepted = loop.sockAccept(server);
 *   await loop.sockConnect(client, server.getsockname());
 *   const [conn] = await accepted;
 *   await loop.sockSendall(client, new TextEncoder().encode("hi"));
 *   assert.equal(new TextDecoder().decode(await loop.sockRecv(conn, 16)), "hi");
 *   for (const s of [conn, client, server]) s.close();
 * });
 * loop.close();
 * await (loop.selector as EpollSelector).closed;
 * ```
 */
export class FdSocket {
  /** The address family (`AF_INET`, `AF_INET6` or `AF_UNIX`). */
  readonly family: number;
  /** The socket type (`SOCK_STREAM`). */
  readonly type: number;
  #fd: number;
  #state: SocketState;
  // The unsent rest of the last _startSend: #pending from #head on, the first
  // #offset bytes of #pending[#head] sent (not writable until it drained).
  #pending: readonly Uint8Array[] = NOTHING;
  #head = 0;
  #offset = 0;
  #owned = false; // #pending stays untouched until sent: ours, not the caller's
  #writeError: unknown = null;

  /** Use {@linkcode createFdSocket}, or the loop's `sockAccept`, to make one. */
  constructor(fd: number, family: number, type: number, state: SocketState) {
    this.#fd = fd;
    this.family = family;
    this.type = type;
    this.#state = state;
  }

  /** The socket's state. */
  get state(): SocketState {
    return this.#state;
  }

  /** The kernel descriptor, -1 once closed. Equivalent to `socket.fileno()`. */
  fileno(): number {
    return this.#fd;
  }

  /**
   * Binds the local address: `[host, port]` (a numeric host) or a Unix
   * path. Equivalent to `socket.bind()`.
   *
   * @throws {TypeError} The address is invalid or the socket is not new.
   * @throws {Deno.errors.AddrInUse} The address is taken (and other OS errors).
   */
  bind(address: SockAddr): void {
    if (this.#state !== "new") throw new TypeError(`Cannot bind socket: socket is ${this.#state}`);
    const len = encodeSockaddr(this.family, address, addrBuf);
    if (libc().fn.bind(this.#fd, addrBuf, len) < 0) throw this.#error("bind socket");
    this.#state = "bound";
  }

  /**
   * Listens for connections. Equivalent to `socket.listen()`.
   *
   * @throws {Deno.errors.BadResource} The socket is closed.
   */
  listen(backlog = 100): void {
    this.#checkOpen("listen on socket");
    if (libc().fn.listen(this.#fd, backlog) < 0) throw this.#error("listen on socket");
    this.#state = "listening";
  }

  /** The local address. Equivalent to `socket.getsockname()`. */
  getsockname(): SockAddr {
    this.#checkOpen("get socket name");
    lenBuf[0] = SOCKADDR_MAX;
    if (libc().fn.getsockname(this.#fd, addrBuf, lenBuf) < 0) throw this.#error("get socket name");
    return decodeSockaddr(addrBuf, lenBuf[0]);
  }

  /**
   * The remote address. Equivalent to `socket.getpeername()`.
   *
   * @throws {Deno.errors.NotConnected} The socket is not connected.
   */
  getpeername(): SockAddr {
    this.#checkOpen("get peer name");
    lenBuf[0] = SOCKADDR_MAX;
    if (libc().fn.getpeername(this.#fd, addrBuf, lenBuf) < 0) throw this.#error("get peer name");
    return decodeSockaddr(addrBuf, lenBuf[0]);
  }

  /** An integer socket option. Equivalent to `socket.getsockopt(level, option)`. */
  getsockopt(level: number, option: number): number {
    this.#checkOpen("get socket option");
    lenBuf[0] = 4;
    const bytes = new Uint8Array(intBuf.buffer);
    if (libc().fn.getsockopt(this.#fd, level, option, bytes, new Uint8Array(lenBuf.buffer)) < 0) {
      throw this.#error("get socket option");
    }
    return intBuf[0];
  }

  /** Sets an integer socket option. Equivalent to `socket.setsockopt(level, option, value)`. */
  setsockopt(level: number, option: number, value: number): void {
    this.#checkOpen("set socket option");
    intBuf[0] = value;
    if (libc().fn.setsockopt(this.#fd, level, option, new Uint8Array(intBuf.buffer), 4) < 0) {
      throw this.#error("set socket option");
    }
  }

  /**
   * Closes the descriptor. Equivalent to `socket.close()`; closing twice
   * does nothing. Unregister it from the loop first (`removeReader`).
   */
  close(): void {
    if (this.#fd < 0) return;
    libc().fn.close(this.#fd);
    this.#fd = -1;
    this.#state = "closed";
    this.#pending = NOTHING;
  }

  // ----------------------------------------------------------------------
  // The readiness protocol (the selector loop only).

  /** Nothing to start: the kernel receives by itself (the Deno-ops `Socket` starts a read here). */
  _armRead(): void {}

  /** The socket has no send or connect still under way. */
  _writable(): boolean {
    if (this.#state === "connecting") this.#checkConnected();
    if (this.#pending !== NOTHING) this.#flush();
    return this.#pending === NOTHING && this.#state !== "connecting";
  }

  /**
   * Receives into `buf`: the number of bytes, 0 at EOF, `null` when nothing
   * is waiting (EAGAIN).
   *
   * @throws {Error} The OS error (`ConnectionReset`, ...).
   */
  _tryRecvInto(buf: Uint8Array): number | null {
    this.#checkOpen("receive");
    const { fn } = libc();
    for (;;) {
      const n = fn.recv(this.#fd, buf, BigInt(buf.length), 0);
      if (n >= 0) return n;
      const errno = libc().errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN) return null;
      throw osError(errno, "receive");
    }
  }

  /**
   * Receives into the shared read slab and returns a view of it (no copy; the
   * bytes are never written again): an empty array at EOF, `null` when
   * nothing is waiting.
   *
   * @throws {Error} The OS error.
   */
  _recvView(): Uint8Array | null {
    // (A slab detached by a protocol, through its view's buffer, has length
    // 0: a fresh one is made.)
    if (slab.length - slabUsed < MIN_TAIL) {
      slab = new Uint8Array(SLAB_SIZE);
      slabUsed = 0;
    }
    const start = slabUsed;
    const into = slab;
    const n = this._tryRecvInto(into.subarray(start, Math.min(into.length, start + MAX_VIEW_READ)));
    if (n === null) return null;
    if (n === 0) return EMPTY;
    slabUsed += n;
    return into.subarray(start, start + n);
  }

  /**
   * Accepts a waiting connection (`accept4` with `SOCK_NONBLOCK |
   * SOCK_CLOEXEC`): the socket and its peer address, or `null` when none is
   * waiting.
   *
   * @throws {Error} The OS error.
   */
  _tryAccept(): [FdSocket, SockAddr] | null {
    this.#checkOpen("accept");
    const { fn } = libc();
    for (;;) {
      lenBuf[0] = SOCKADDR_MAX;
      const fd = fn.accept4(
        this.#fd,
        addrBuf,
        new Uint8Array(lenBuf.buffer),
        SOCK_NONBLOCK | SOCK_CLOEXEC,
      );
      if (fd >= 0) {
        const sock = new FdSocket(fd, this.family, this.type, "connected");
        try {
          const peer = decodeSockaddr(addrBuf, lenBuf[0]);
          sock.#noDelay();
          return [sock, this.family === AF_UNIX ? "" : peer];
        } catch (err) {
          sock.close(); // the accepted descriptor is ours until it is returned
          throw err;
        }
      }
      const errno = libc().errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN) return null;
      throw osError(errno, "accept");
    }
  }

  /**
   * Sends what the kernel takes of `data` now; a copy of the rest is sent as
   * the socket becomes writable (`_writable()`), so the caller may reuse
   * `data` at once (with `owned`, `data` stays untouched until then and the
   * rest is kept as a view). A failure is reported by `_throwWriteError`.
   *
   * True when the kernel took all of `data` at once and nothing else was
   * pending: there is nothing to wait for (false tells nothing).
   *
   * @throws {unknown} The error a previous send failed with.
   * @throws {TypeError} The socket is not connected.
   */
  _startSend(data: Uint8Array, owned = false): boolean {
    this._throwWriteError();
    if (this.#state !== "connected") throw new TypeError(`Cannot send: socket is ${this.#state}`);
    // The common case, without the bookkeeping: the kernel takes it all.
    if (this.#pending !== NOTHING) {
      this.#start([data], owned, 0);
      return false;
    }
    const n = libc().fn.send(this.#fd, data, BigInt(data.length), MSG_NOSIGNAL);
    if (n === data.length) return true;
    // The rest, as any send's (a failed send is tried again there, where its errno is read).
    this.#start([data], owned, Math.max(n, 0));
    return false;
  }

  /**
   * Sends `chunks` in order as one stream, several at a time in one gather
   * `sendmsg` (at most `IOV_MAX` per call), and what the kernel does not take
   * as the socket becomes writable, as `_startSend`. The rest is copied
   * once, into one buffer, unless `owned`: the chunks then stay untouched
   * until the socket is writable again (a transport's own copies), and the
   * rest is kept as views.
   *
   * @throws {unknown} The error a previous send failed with.
   * @throws {TypeError} The socket is not connected.
   */
  _startSendv(chunks: readonly Uint8Array[], owned = false): void {
    this._throwWriteError();
    if (this.#state !== "connected") throw new TypeError(`Cannot send: socket is ${this.#state}`);
    this.#start(chunks, owned, 0);
  }

  // Sends `chunks` of which `sent` bytes already left; the rest waits in #pending.
  #start(chunks: readonly Uint8Array[], owned: boolean, sent: number): void {
    this.#pending = chunks;
    this.#head = 0;
    this.#offset = 0;
    this.#owned = owned;
    this.#advance(sent);
    this.#flush();
  }

  /** Throws (once) the error the last send or connect failed with. */
  _throwWriteError(): void {
    const err = this.#writeError;
    if (err === null) return;
    this.#writeError = null;
    throw err;
  }

  /**
   * Starts a non-blocking connect; the socket is writable once it settled,
   * and `_throwWriteError` then reports a failure (`SO_ERROR`).
   *
   * @throws {TypeError} The socket is not new or bound, or the address is invalid.
   */
  _startConnect(address: SockAddr): void {
    if (this.#state !== "new" && this.#state !== "bound") {
      throw new TypeError(`Cannot connect: socket is ${this.#state}`);
    }
    const len = encodeSockaddr(this.family, address, addrBuf);
    const { fn } = libc();
    if (fn.connect(this.#fd, addrBuf, len) === 0) {
      this.#connected();
      return;
    }
    const errno = libc().errno();
    if (errno === EINPROGRESS || errno === EINTR || errno === EAGAIN) {
      this.#state = "connecting";
      return;
    }
    this.#writeError = osError(errno, "connect");
  }

  // The kernel goes on with a connect whose caller was cancelled, as with a
  // Python socket: the socket stays "connecting" until it is closed.
  /** Leaves a connect whose caller was cancelled to the kernel. */
  _abortConnect(): void {}

  /** Half-closes the connection. Equivalent to `socket.shutdown(SHUT_WR)`. */
  _shutdownWrite(): Promise<void> {
    if (this.#fd < 0 || libc().fn.shutdown(this.#fd, SHUT_WR) < 0) {
      return Promise.reject(this.#fd < 0 ? closedError("shut down") : this.#error("shut down"));
    }
    return Promise.resolve();
  }

  #flush(): void {
    const chunks = this.#pending;
    while (this.#head < chunks.length) {
      const n = this.#head === chunks.length - 1 ? this.#sendOne() : this.#sendGathered();
      if (n >= 0) {
        this.#advance(n);
        continue;
      }
      const errno = libc().errno();
      if (errno === EINTR) continue;
      if (errno === EAGAIN) {
        if (!this.#owned) this.#copyRest();
        return;
      }
      this.#writeError = osError(errno, "send");
      break;
    }
    this.#pending = NOTHING;
  }

  #sendOne(): number {
    const chunk = this.#pending[this.#head];
    const rest = this.#offset === 0 ? chunk : chunk.subarray(this.#offset);
    return libc().fn.send(this.#fd, rest, BigInt(rest.length), MSG_NOSIGNAL);
  }

  // One sendmsg of up to IOV_MAX chunks from #head on.
  #sendGathered(): number {
    if (gather === null) {
      const iov = new BigUint64Array(2 * IOV_MAX);
      const hdr = new BigUint64Array(MSGHDR_SIZE / 8);
      hdr[MSGHDR_IOV / 8] = address(iov, 0);
      gather = { hdr, iov };
    }
    const { hdr, iov } = gather;
    const chunks = this.#pending;
    const end = Math.min(chunks.length, this.#head + IOV_MAX);
    let offset = this.#offset;
    for (let i = this.#head, j = 0; i < end; i++, j += 2) {
      const chunk = chunks[i];
      iov[j] = address(chunk, offset);
      iov[j + 1] = BigInt(chunk.length - offset);
      offset = 0;
    }
    hdr[MSGHDR_IOVLEN / 8] = BigInt(end - this.#head);
    return libc().fn.sendmsg(this.#fd, hdr, MSG_NOSIGNAL);
  }

  // `n` more bytes left: past whole chunks (and empty ones), then into the next one.
  #advance(n: number): void {
    const chunks = this.#pending;
    this.#offset += n;
    while (this.#head < chunks.length && this.#offset >= chunks[this.#head].length) {
      this.#offset -= chunks[this.#head].length;
      this.#head++;
    }
  }

  // The caller may reuse its buffers once the send returns: the rest is copied once.
  #copyRest(): void {
    const chunks = this.#pending;
    let size = -this.#offset;
    for (let i = this.#head; i < chunks.length; i++) size += chunks[i].length;
    const copy = new Uint8Array(size);
    let at = 0;
    for (let i = this.#head; i < chunks.length; i++) {
      const rest = i === this.#head ? chunks[i].subarray(this.#offset) : chunks[i];
      copy.set(rest, at);
      at += rest.length;
    }
    this.#pending = [copy];
    this.#head = 0;
    this.#offset = 0;
    this.#owned = true;
  }

  #checkConnected(): void {
    const err = this.getsockopt(SOL_SOCKET, SO_ERROR);
    if (err !== 0) {
      this.#state = "new";
      this.#writeError = osError(err, "connect");
      return;
    }
    lenBuf[0] = SOCKADDR_MAX;
    if (libc().fn.getpeername(this.#fd, addrBuf, lenBuf) === 0) this.#connected();
    else if (libc().errno() !== ENOTCONN) this.#writeError = this.#error("connect");
  }

  #connected(): void {
    this.#state = "connected";
    this.#noDelay();
  }

  // Nagle off on TCP, as the Deno-ops sockets and CPython's transports do.
  #noDelay(): void {
    if (this.family !== AF_UNIX) this.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  }

  #checkOpen(action: string): void {
    if (this.#fd < 0) throw closedError(action);
  }

  #error(action: string): Error {
    return osError(libc().errno(), action);
  }
}

// The address of `view[offset]`, taken from its ArrayBuffer: reading
// `.buffer` moves a small array's bytes out of the V8 heap for good, so the
// address stays valid while other pointers are taken (which may collect).
function address(view: ArrayBufferView, offset: number): bigint {
  const base = Deno.UnsafePointer.value(Deno.UnsafePointer.of(view.buffer));
  return BigInt(base) + BigInt(view.byteOffset + offset);
}

function closedError(action: string): Error {
  return new Deno.errors.BadResource(`Cannot ${action}: socket is closed`);
}

/**
 * Creates a non-blocking socket descriptor (`socket()` with `SOCK_NONBLOCK
 * | SOCK_CLOEXEC`). Equivalent to Python's `socket.socket(family, type)`
 * followed by `setblocking(False)`. Needs `--allow-ffi` on Linux.
 *
 * @example
 * ```ts
 * // deno run --allow-ffi example.ts
 * import { AF_INET, createFdSocket } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const sock = createFdSocket({ family: AF_INET });
 * assert.ok(sock.fileno() >= 0);
 * sock.close();
 * ```
 *
 * @throws {NotImplementedError} A family other than `AF_INET`, `AF_INET6`,
 *   `AF_UNIX`, or a type other than `SOCK_STREAM`.
 * @throws {Deno.errors.NotCapable} FFI is not granted.
 */
export function createFdSocket(options?: CreateFdSocketOptions): FdSocket {
  const family = options?.family ?? AF_INET;
  const type = options?.type ?? SOCK_STREAM;
  if ((family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) || type !== SOCK_STREAM) {
    throw new NotImplementedError(
      `Cannot create socket: only AF_INET/AF_INET6/AF_UNIX SOCK_STREAM descriptor sockets exist so far: received family ${family}, type ${type}`,
    );
  }
  const { fn, errno } = libc();
  const fd = fn.socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw osError(errno(), "create socket");
  return new FdSocket(fd, family, type, "new");
}
