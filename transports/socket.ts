/**
 * `Socket`: the project's socket object, what the loops' `sock*` operations
 * and `SelectorEventLoop`'s `addReader`/`addWriter` take. Deno has no raw
 * sockets or descriptors, so this is not Python's `socket.socket`: it wraps a
 * Deno TCP or Unix conn or listener and turns Deno's completions into
 * readiness (see `selector.ts` for the exact semantics).
 *
 * `createSocket()` makes stream sockets: TCP (`AF_INET`, `AF_INET6`) and
 * Unix (`AF_UNIX`, whose address is a path). The life cycle is Python's:
 * `createSocket()`, then either `bind()` + `listen()` + `loop.sockAccept()`,
 * or `loop.sockConnect()`. Deno cannot bind the local end of a connecting
 * socket, so `bind()` is for listening sockets only, and a Unix socket's
 * file appears at `listen()` (Deno binds and listens in one call).
 *
 * The methods whose names start with `_` are the readiness protocol between
 * a socket and the loops (the selector, `SelectorEventLoop`, and the
 * proactor loop's socket operations): non-blocking attempts that return
 * `null` where Python's non-blocking socket raises `BlockingIOError`. User
 * code calls the loop's `sock*` methods instead.
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";
import { AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM } from "./socket_constants.ts";
import type { StreamConn } from "./stream_transport.ts";

// The read buffer of one socket: a read lands here and waits for `_tryRecvInto`.
const READ_BUFFER_SIZE = 64 * 1024;
// Once `_recvView` hands out views (a transport owns the socket), reads go
// into the unused tail of a slab instead, so a view stays valid: at most
// MAX_VIEW_READ per read, a fresh slab when the tail is below MIN_TAIL.
const SLAB_SIZE = 512 * 1024;
const MAX_VIEW_READ = 256 * 1024;
const MIN_TAIL = 64 * 1024;
const EMPTY = new Uint8Array(0);

/** Options of {@linkcode createSocket}. */
export interface CreateSocketOptions {
  /** `AF_INET` (default), `AF_INET6` or `AF_UNIX`. */
  family?: number;
  /** `SOCK_STREAM` (default; the only type so far). */
  type?: number;
}

/** The state of a {@linkcode Socket}. */
export type SocketState = "new" | "bound" | "listening" | "connecting" | "connected" | "closed";

/**
 * An address as the socket methods take it: `[host, port]` for TCP, a path
 * for a Unix socket.
 */
export type SocketAddress = [host: string, port: number] | string;

/**
 * A TCP or Unix stream socket object for the loops' `sock*` methods.
 * Equivalent to a non-blocking Python `socket.socket` as far as asyncio's
 * `sock_*` methods use it.
 *
 * @example Accept and connect over a Unix socket
 * ```ts
 * import { SelectorEventLoop } from "@aio/asyncio/loop";
 * import { AF_UNIX, createSocket } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const loop = new SelectorEventLoop();
 * await loop.runUntilComplete(async () => {
 *   const server = createSocket({ family: AF_UNIX });
 *   server.bind(`${dir}/s.sock`);
 *   server.listen();
 *   const client = createSocket({ family: AF_UNIX });
 *   const accepted = loop.sockAccept(server);
 *   await loop.sockConnect(client, server.getsockname());
 *   const [conn, address] = await accepted;
 *   assert.equal(address, ""); // the client is unnamed
 *   assert.equal(client.getpeername(), `${dir}/s.sock`);
 *   for (const s of [conn, client, server]) s.close();
 * });
 * loop.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class Socket {
  /** The address family (`AF_INET`, `AF_INET6` or `AF_UNIX`). */
  readonly family: number;
  /** The socket type (`SOCK_STREAM`). */
  readonly type: number;
  #state: SocketState = "new";
  #bound: SocketAddress | null = null;
  #conn: Deno.TcpConn | Deno.UnixConn | null = null;
  #listener: Deno.TcpListener | Deno.UnixListener | null = null;
  #connectAbort: AbortController | null = null;
  // Readiness state: at most one read (or accept) and one write (or connect) in flight.
  #rbuf: Uint8Array | null = null;
  #rstart = 0;
  #rend = 0;
  #views = false; // _recvView was used: bytes handed out are never overwritten
  #eof = false;
  #readError: unknown = null;
  #reading = false;
  #accepted: Deno.TcpConn | Deno.UnixConn | null = null;
  #writing = false;
  #writeError: unknown = null;
  #listener_cb: (() => void) | null = null;

  /**
   * Use {@linkcode createSocket}, or the loop's `sockAccept`, to make one.
   * A `conn` given here is wrapped as it is (its owner sets no-delay).
   */
  constructor(family: number, type: number, conn?: Deno.TcpConn | Deno.UnixConn) {
    this.family = family;
    this.type = type;
    if (conn !== undefined) {
      this.#conn = conn;
      this.#state = "connected";
    }
  }

  /** The socket's state. */
  get state(): SocketState {
    return this.#state;
  }

  /**
   * Records the local address to listen on: `[host, port]`, or a path for
   * an `AF_UNIX` socket. Equivalent to `socket.bind()`; the port of
   * `["host", 0]` is known after `listen()`, and a Unix socket's file is
   * made by `listen()`.
   *
   * @throws {TypeError} `address` does not fit the family, or the socket is not new.
   */
  bind(address: SocketAddress): void {
    const checked = checkAddress(this.family, address, "bind socket");
    if (this.#state !== "new") {
      throw new TypeError(`Cannot bind socket: socket is ${this.#state}`);
    }
    this.#bound = checked;
    this.#state = "bound";
  }

  /**
   * Starts listening on the bound address (`Deno.listen`). Equivalent to
   * `socket.listen()`; a Unix listener unlinks its file when it closes.
   *
   * @throws {TypeError} The socket is not bound.
   */
  listen(backlog = 100): void {
    if (this.#state !== "bound") {
      throw new TypeError(`Cannot listen on socket: socket is ${this.#state}, not bound`);
    }
    const bound = this.#bound!;
    if (typeof bound === "string") {
      this.#listener = Deno.listen({ transport: "unix", path: bound });
    } else {
      this.#listener = Deno.listen({ hostname: bound[0], port: bound[1], tcpBacklog: backlog });
    }
    this.#state = "listening";
  }

  /**
   * The local `[host, port]`, or the path of a Unix socket (`""` when
   * unnamed, as Python shows a connecting Unix socket). Equivalent to
   * `socket.getsockname()`.
   */
  getsockname(): SocketAddress {
    const addr = this.#listener?.addr ?? this.#conn?.localAddr;
    if (addr !== undefined) return addressOf(addr);
    if (typeof this.#bound === "string") return this.#bound;
    if (this.#bound !== null) return [this.#bound[0], this.#bound[1]];
    return this.family === AF_UNIX ? "" : [this.family === AF_INET6 ? "::" : "0.0.0.0", 0];
  }

  /**
   * The remote `[host, port]` of a connected socket, or the path of a Unix
   * socket (`""` when unnamed). Equivalent to `socket.getpeername()`.
   *
   * @throws {TypeError} The socket is not connected.
   */
  getpeername(): SocketAddress {
    if (this.#conn === null) {
      throw new TypeError(`Cannot get peer name: socket is ${this.#state}`);
    }
    return addressOf(this.#conn.remoteAddr);
  }

  /**
   * Closes the socket; a read, accept or connect in flight is dropped.
   * Equivalent to `socket.close()`; closing twice does nothing.
   */
  close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#listener_cb = null;
    this.#connectAbort?.abort();
    for (const r of [this.#conn, this.#listener, this.#accepted]) {
      try {
        r?.close();
      } catch {
        // Closed already by the peer's reset: nothing to release.
      }
    }
    this.#conn = this.#listener = this.#accepted = null;
  }

  // ----------------------------------------------------------------------
  // The readiness protocol (selector and loop only).

  /**
   * Whether a non-blocking read or accept would not block: data, EOF or an
   * error is waiting, or an accepted connection is.
   */
  _readable(): boolean {
    return this.#rend > this.#rstart || this.#eof || this.#readError !== null ||
      this.#accepted !== null;
  }

  /** Whether no write or connect is in flight (the last write drained, or the connect settled). */
  _writable(): boolean {
    return !this.#writing;
  }

  /** Sets the function called whenever a read, accept, write or connect settles. */
  _watch(listener: (() => void) | null): void {
    this.#listener_cb = listener;
  }

  /** Starts a read (or accept) unless one is in flight or something is already readable. */
  _armRead(): void {
    if (this.#reading || this._readable()) return;
    if (this.#conn !== null) this.#startRead(this.#conn);
    else if (this.#listener !== null) this.#startAccept(this.#listener);
  }

  /**
   * Copies waiting data into `buf`: the number of bytes, 0 at EOF, or `null`
   * when nothing is waiting (Python's `BlockingIOError`).
   *
   * @throws {unknown} The error the last read failed with.
   * @throws {TypeError} The socket is not connected.
   */
  _tryRecvInto(buf: Uint8Array): number | null {
    if (this.#rend > this.#rstart) {
      const n = Math.min(buf.length, this.#rend - this.#rstart);
      buf.set(this.#rbuf!.subarray(this.#rstart, this.#rstart + n));
      this.#rstart += n;
      if (this.#rstart === this.#rend && !this.#views) this.#rstart = this.#rend = 0;
      return n;
    }
    return this.#nothingBuffered(0);
  }

  /**
   * Takes the waiting data as a view of the socket's slab (no copy): the
   * bytes are never written again, so the caller may keep the view. An empty
   * array at EOF, `null` when nothing is waiting. Used by the selector
   * loop's transports; from the first call on, reads go into slabs.
   *
   * @throws {unknown} The error the last read failed with.
   */
  _recvView(): Uint8Array | null {
    this.#views = true;
    if (this.#rend > this.#rstart) {
      const view = this.#rbuf!.subarray(this.#rstart, this.#rend);
      this.#rstart = this.#rend;
      return view;
    }
    return this.#nothingBuffered(EMPTY);
  }

  /**
   * Half-closes the connection (`conn.closeWrite()`), once no write is in
   * flight. Equivalent to `socket.shutdown(SHUT_WR)`.
   */
  _shutdownWrite(): Promise<void> {
    if (this.#conn === null) {
      return Promise.reject(new TypeError(`Cannot shut down: socket is ${this.#state}`));
    }
    return this.#conn.closeWrite();
  }

  #nothingBuffered<T>(atEof: T): T | null {
    if (this.#readError !== null) throw this.#readError;
    if (this.#eof) return atEof;
    if (this.#state === "closed") throw new Deno.errors.BadResource("Socket is closed");
    // Nothing would ever arrive (Python's ENOTCONN): fail instead of waiting forever.
    if (this.#conn === null) {
      throw new TypeError(`Cannot receive: socket is ${this.#state}, not connected`);
    }
    return null;
  }

  /**
   * The accepted connection and its peer address (`""` for a Unix peer, as
   * Python shows an unnamed one), or `null` when none is waiting.
   *
   * @throws {unknown} The error the last accept failed with.
   * @throws {TypeError} The socket is not listening.
   */
  _tryAccept(): [Socket, SocketAddress] | null {
    if (this.#readError !== null) {
      const err = this.#readError;
      this.#readError = null;
      throw err;
    }
    const conn = this.#accepted;
    if (conn === null) {
      if (this.#state === "closed") throw new Deno.errors.BadResource("Socket is closed");
      if (this.#listener === null) {
        throw new TypeError(`Cannot accept: socket is ${this.#state}, not listening`);
      }
      return null;
    }
    this.#accepted = null;
    if (conn.remoteAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
    const sock = new Socket(this.family, this.type, conn);
    return [sock, sock.getpeername()];
  }

  /**
   * The connected socket as a {@linkcode SocketStreamConn}, for a transport
   * that takes it over (`connectAcceptedSocket`, the `sock` option of
   * `createConnection`): data already read by the socket is delivered
   * first, then reads go to the conn directly.
   *
   * @throws {TypeError} The socket is not connected.
   */
  _streamConn(): StreamConn {
    const conn = this.#conn;
    if (conn === null || this.#state !== "connected") {
      throw new TypeError(`Cannot take over socket: socket is ${this.#state}, not connected`);
    }
    return new SocketStreamConn(this, conn, async (p) => {
      for (;;) {
        const n = this._tryRecvInto(p);
        if (n !== null) return n === 0 ? null : n;
        if (!this.#reading) return await conn.read(p);
        // A read of the socket's own (a cancelled sockRecv's) is in flight: its data comes first.
        await new Promise<void>((resolve) => this._watch(resolve));
        this._watch(null);
      }
    });
  }

  /**
   * The listener of a listening socket, listening first if it is only
   * bound, for a server that takes it over (the `sock` option of
   * `createServer`); closing the server closes it.
   *
   * @throws {TypeError} The socket is neither bound nor listening.
   */
  _serverListener(backlog: number): Deno.TcpListener | Deno.UnixListener {
    if (this.#state === "bound") this.listen(backlog);
    if (this.#listener === null || this.#state !== "listening") {
      throw new TypeError(
        `Cannot serve on socket: socket is ${this.#state}, not bound or listening`,
      );
    }
    return this.#listener;
  }

  /**
   * Starts writing all of `data` (looping over Deno's partial writes); the
   * socket is writable again when it drained. `data` must stay unchanged
   * until then.
   *
   * @throws {unknown} The error a previous write failed with.
   */
  _startSend(data: Uint8Array): void {
    this._throwWriteError();
    if (this.#conn === null) throw new TypeError(`Cannot send: socket is ${this.#state}`);
    this.#writing = true;
    this.#writeAll(this.#conn, data);
  }

  /** Throws (once) the error the last write or connect failed with. */
  _throwWriteError(): void {
    const err = this.#writeError;
    if (err === null) return;
    this.#writeError = null;
    throw err;
  }

  /**
   * Starts connecting to `[host, port]` (a path for `AF_UNIX`); the socket
   * becomes writable when the attempt settled, and `_throwWriteError` then
   * reports a failure.
   *
   * @throws {NotImplementedError} The socket is bound (Deno cannot bind a connecting socket).
   * @throws {TypeError} The socket is not new, or `address` does not fit the family.
   */
  _startConnect(address: SocketAddress): void {
    const target = checkAddress(this.family, address, "connect");
    if (this.#state === "bound") {
      throw new NotImplementedError(
        "Cannot connect a bound socket: Deno.connect cannot bind the local end",
      );
    }
    if (this.#state !== "new") throw new TypeError(`Cannot connect: socket is ${this.#state}`);
    this.#state = "connecting";
    this.#writing = true;
    // A Unix connect cannot be aborted: a conn arriving after _abortConnect is closed.
    let connecting: Promise<Deno.TcpConn | Deno.UnixConn>;
    if (typeof target === "string") {
      connecting = Deno.connect({ transport: "unix", path: target });
    } else {
      const abort = new AbortController();
      this.#connectAbort = abort;
      connecting = Deno.connect({ hostname: target[0], port: target[1], signal: abort.signal });
    }
    connecting.then(
      (conn) => {
        this.#connectAbort = null;
        if (this.#state !== "connecting") {
          conn.close();
          return;
        }
        if (typeof target !== "string") (conn as Deno.TcpConn).setNoDelay(true);
        this.#conn = conn;
        this.#state = "connected";
        this.#settleWrite(null);
      },
      (err) => {
        this.#connectAbort = null;
        if (this.#state === "connecting") this.#state = "new";
        this.#settleWrite(err);
      },
    );
  }

  /** Aborts a connect in flight (its awaiting caller was cancelled). */
  _abortConnect(): void {
    if (this.#state !== "connecting") return;
    this.#state = "new";
    this.#connectAbort?.abort();
  }

  #startRead(conn: Deno.TcpConn | Deno.UnixConn): void {
    this.#reading = true;
    let buf: Uint8Array;
    if (this.#views) {
      // Nothing is buffered (rstart === rend): read after what was handed out.
      if (this.#rbuf === null || this.#rbuf.length - this.#rend < MIN_TAIL) {
        this.#rbuf = new Uint8Array(SLAB_SIZE);
        this.#rstart = this.#rend = 0;
      }
      buf = this.#rbuf.subarray(
        this.#rend,
        Math.min(this.#rbuf.length, this.#rend + MAX_VIEW_READ),
      );
    } else {
      this.#rbuf ??= new Uint8Array(READ_BUFFER_SIZE);
      buf = this.#rbuf; // nothing is buffered, so rstart === rend === 0
    }
    conn.read(buf).then(
      (n) => {
        this.#reading = false;
        if (n === null) this.#eof = true;
        else this.#rend += n;
        this.#listener_cb?.();
      },
      (err) => {
        this.#reading = false;
        // A read dropped by our own close() is not an error anyone waits for.
        if (this.#state === "closed") return;
        this.#readError = err;
        this.#listener_cb?.();
      },
    );
  }

  #startAccept(listener: Deno.TcpListener | Deno.UnixListener): void {
    this.#reading = true;
    listener.accept().then(
      (conn) => {
        this.#reading = false;
        if (this.#state === "closed") {
          conn.close();
          return;
        }
        this.#accepted = conn;
        this.#listener_cb?.();
      },
      (err) => {
        this.#reading = false;
        if (this.#state === "closed") return;
        this.#readError = err;
        this.#listener_cb?.();
      },
    );
  }

  async #writeAll(conn: Deno.TcpConn | Deno.UnixConn, data: Uint8Array): Promise<void> {
    let err: unknown = null;
    try {
      for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
    } catch (e) {
      err = e;
    }
    this.#settleWrite(this.#state === "closed" ? null : err);
  }

  #settleWrite(err: unknown): void {
    this.#writing = false;
    if (err !== null) this.#writeError = err;
    this.#listener_cb?.();
  }
}

/**
 * A connected {@linkcode Socket} as the stream transports' conn (made by
 * `Socket._streamConn()`): reads deliver what the socket buffered first;
 * `close()` closes the socket.
 */
export class SocketStreamConn implements StreamConn {
  /** The socket taken over (a transport's `getExtraInfo("socket")`). */
  readonly socket: Socket;
  /** The Deno conn under the socket (addresses, no-delay). */
  readonly conn: Deno.TcpConn | Deno.UnixConn;
  readonly #read: (p: Uint8Array) => Promise<number | null>;

  /** Use `Socket._streamConn()`. */
  constructor(
    socket: Socket,
    conn: Deno.TcpConn | Deno.UnixConn,
    read: (p: Uint8Array) => Promise<number | null>,
  ) {
    this.socket = socket;
    this.conn = conn;
    this.#read = read;
  }

  /** Reads into `p`; `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null> {
    return this.#read(p);
  }

  /** Writes part or all of `p`. */
  write(p: Uint8Array): Promise<number> {
    return this.conn.write(p);
  }

  /** Half-closes. */
  closeWrite(): Promise<void> {
    return this.conn.closeWrite();
  }

  /** Closes the socket. */
  close(): void {
    this.socket.close();
  }
}

/**
 * Wraps a connected Deno TCP or Unix conn in a {@linkcode Socket} of its
 * family (`AF_INET6` when the peer's address has a colon).
 */
export function socketForConn(conn: Deno.TcpConn | Deno.UnixConn): Socket {
  const addr = conn.remoteAddr;
  const family = addr.transport === "unix"
    ? AF_UNIX
    : (addr as Deno.NetAddr).hostname.includes(":")
    ? AF_INET6
    : AF_INET;
  return new Socket(family, SOCK_STREAM, conn);
}

/** A Deno address as Python shows it: `[host, port]`, or a Unix path (`""` when unnamed). */
export function addressOf(addr: Deno.Addr): [host: string, port: number] | string {
  if (addr.transport === "tcp" || addr.transport === "udp") return [addr.hostname, addr.port];
  return (addr as Deno.UnixAddr).path ?? "";
}

/**
 * Checks an address for a socket of `family`: a non-empty path for
 * `AF_UNIX`, else `[host, port]` with a port from 0 to 65535. Returns a copy.
 *
 * @throws {TypeError} It does not fit.
 */
export function checkAddress(family: number, address: unknown, action: string): SocketAddress {
  if (family === AF_UNIX) {
    if (typeof address === "string" && address !== "") return address;
    throw new TypeError(
      `Cannot ${action} as 'address' must be a non-empty path for an AF_UNIX socket: received ${
        Array.isArray(address) ? "an array" : typeof address
      }`,
    );
  }
  if (
    !Array.isArray(address) || typeof address[0] !== "string" ||
    !Number.isInteger(address[1]) || address[1] < 0 || address[1] > 65535
  ) {
    throw new TypeError(
      `Cannot ${action} as 'address' must be [host, port] with a port from 0 to 65535: received ${
        String(address)
      }`,
    );
  }
  return [address[0], address[1]];
}

/**
 * Creates a stream socket object for the loops' `sock*` methods: TCP
 * (`AF_INET`, `AF_INET6`) or Unix (`AF_UNIX`). Equivalent to Python's
 * `socket.socket(family, type)` (non-blocking).
 *
 * @example
 * ```ts
 * import { AF_INET, createSocket } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const sock = createSocket({ family: AF_INET });
 * assert.equal(sock.state, "new");
 * sock.close();
 * ```
 *
 * @throws {NotImplementedError} A family other than `AF_INET`, `AF_INET6`
 *   or `AF_UNIX`, or a type other than `SOCK_STREAM`.
 */
export function createSocket(options?: CreateSocketOptions): Socket {
  const family = options?.family ?? AF_INET;
  const type = options?.type ?? SOCK_STREAM;
  if ((family !== AF_INET && family !== AF_INET6 && family !== AF_UNIX) || type !== SOCK_STREAM) {
    throw new NotImplementedError(
      `Cannot create socket: only AF_INET/AF_INET6/AF_UNIX SOCK_STREAM sockets exist so far: received family ${family}, type ${type}`,
    );
  }
  return new Socket(family, type);
}
