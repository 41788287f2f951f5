/**
 * `Server`: what `loop.createServer()` returns. Equivalent to Python's
 * `asyncio.Server`.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { CancelledError, NotImplementedError, RuntimeError } from "../loop/exceptions.ts";
import type { Future } from "../tasks/future.ts";
import { sleep } from "../tasks/sleep.ts";
import type { BaseProtocol } from "./base_protocol.ts";
import type { FdSocket } from "./fd_socket.ts";
import type { Closable, ProactorIo } from "./proactor_io.ts";
import {
  type MakeTransport,
  prepareSocket,
  type ServerLink,
  type StreamConn,
} from "./stream_transport.ts";
import type { Transport } from "./transport.ts";
import { watchUnclosed } from "./_unclosed.ts";

// asyncio's pause after an accept error such as EMFILE, so a persistent error does not spin.
const ACCEPT_RETRY_DELAY = 1;

/**
 * A listening socket as `Server.sockets` shows it. Equivalent to the
 * `TransportSocket` objects of Python's `Server.sockets`.
 */
export class TransportSocket {
  readonly #addr: [string, number] | string;
  readonly #sock: FdSocket | undefined;

  /**
   * Wraps a socket address: `[host, port]`, or the path of a Unix socket;
   * and the listening descriptor on the epoll selector (`sock`).
   */
  constructor(address: [host: string, port: number] | string, sock?: FdSocket) {
    this.#addr = typeof address === "string" ? address : [address[0], address[1]];
    this.#sock = sock;
  }

  /**
   * An integer option of the listening socket. Equivalent to
   * `TransportSocket.getsockopt(level, option)`.
   *
   * @throws {NotImplementedError} The server listens through Deno (not on
   *   the epoll selector's descriptors): Deno exposes no socket options.
   */
  getsockopt(level: number, option: number): number {
    if (this.#sock === undefined) {
      throw new NotImplementedError(
        "Cannot get socket option: a Deno listener exposes none (the epoll selector's descriptors do)",
      );
    }
    return this.#sock.getsockopt(level, option);
  }

  /**
   * The address the socket is bound to: `[host, port]` for TCP, the path for
   * a Unix socket. Equivalent to `getsockname()`.
   */
  getsockname(): [host: string, port: number] | string {
    return typeof this.#addr === "string" ? this.#addr : [this.#addr[0], this.#addr[1]];
  }
}

/** What a {@linkcode ServerListener} tells its server. */
export interface ListenerEvents {
  /** A connection was accepted, with its `sockname` and `peername` (called from a loop callback). */
  accepted(conn: StreamConn, extra: Record<string, unknown>): void;
  /** Accepting failed (called from a loop callback); the listener stops until `start()` again. */
  failed(err: unknown): void;
  /** The accept that was in flight settled (`pending` turned false). */
  settled(): void;
}

/**
 * A listening socket a {@linkcode Server} accepts on: a Deno listener
 * ({@linkcode denoListener}), or a listening descriptor on the epoll
 * selector. Closing it stops accepting and releases the socket (a Unix
 * socket's file is unlinked).
 */
export interface ServerListener extends Closable {
  /** The bound address: `[host, port]`, or the path of a Unix socket. */
  readonly address: [host: string, port: number] | string;
  /** The listening descriptor (the epoll selector), for `Server.sockets`. */
  readonly sock?: FdSocket;
  /** Whether an accept is still in flight (a Deno accept settles only after close). */
  readonly pending: boolean;
  /** Starts accepting, telling `events`; does nothing while started. */
  start(events: ListenerEvents): void;
}

/**
 * A Deno listener as a {@linkcode ServerListener}: one `accept()` in flight,
 * counted by `io`, its completion delivered through `loop.callSoon`.
 */
export function denoListener(
  loop: AbstractEventLoop,
  io: ProactorIo,
  listener: Deno.Listener,
): ServerListener {
  return new DenoServerListener(loop, io, listener);
}

class DenoServerListener implements ServerListener {
  readonly address: [host: string, port: number] | string;
  readonly #loop: AbstractEventLoop;
  readonly #io: ProactorIo;
  readonly #listener: Deno.Listener;
  #events: ListenerEvents | null = null; // while accepting
  #owner: ListenerEvents | null = null; // told when an accept settles, even after close()
  #pending = false;

  constructor(loop: AbstractEventLoop, io: ProactorIo, listener: Deno.Listener) {
    this.#loop = loop;
    this.#io = io;
    this.#listener = listener;
    const addr = listener.addr;
    this.address = addr.transport === "tcp"
      ? [addr.hostname, addr.port]
      : (addr as Deno.UnixAddr).path;
  }

  get pending(): boolean {
    return this.#pending;
  }

  start(events: ListenerEvents): void {
    if (this.#events !== null) return;
    this.#events = events;
    this.#owner = events;
    this.#next();
  }

  close(): void {
    this.#events = null;
    this.#listener.close(); // a pending accept rejects with BadResource, which is expected
  }

  #next(): void {
    if (this.#pending || this.#events === null) return;
    this.#pending = true;
    this.#io.begin();
    this.#listener.accept().then(
      (conn) =>
        this.#settle(conn, (to) => {
          to.accepted(conn, prepareSocket(conn));
          this.#next();
        }),
      (err) =>
        this.#settle(null, (to) => {
          to.failed(err);
        }),
    );
  }

  #settle(conn: Deno.Conn | null, deliver: (to: ListenerEvents) => void): void {
    this.#io.end();
    this.#pending = false;
    this.#owner?.settled();
    const to = this.#events;
    if (to === null || this.#loop.isClosed()) {
      conn?.close();
      return;
    }
    // A failure stops accepting until start() again (the server retries later).
    if (conn === null) this.#events = null;
    this.#loop.callSoon(() => deliver(to));
  }
}

/**
 * A listening `FdSocket` (the epoll selector) as a {@linkcode ServerListener}:
 * while started, a reader accepts (`accept4`) until EAGAIN on each readiness
 * event, as Python's `_accept_connection`. An accept error stops it until
 * `start()` again. `close()` removes the reader, closes the descriptor and
 * unlinks a Unix socket's file (only the file it bound: the same inode).
 */
export function fdListener(loop: AbstractEventLoop, sock: FdSocket): ServerListener {
  return new FdServerListener(loop, sock);
}

class FdServerListener implements ServerListener {
  readonly address: [host: string, port: number] | string;
  readonly sock: FdSocket;
  readonly pending = false; // the kernel accepts: nothing is ever in flight
  readonly #loop: AbstractEventLoop;
  readonly #ino: number | null = null; // of the Unix socket file it bound
  #events: ListenerEvents | null = null;

  constructor(loop: AbstractEventLoop, sock: FdSocket) {
    this.#loop = loop;
    this.sock = sock;
    this.address = sock.getsockname();
    const path = this.address;
    if (typeof path === "string" && path !== "" && !path.startsWith("\0")) {
      this.#ino = Deno.lstatSync(path).ino;
    }
  }

  start(events: ListenerEvents): void {
    if (this.#events !== null) return;
    this.#events = events;
    this.#loop.addReader(this.sock, this.#ready);
  }

  close(): void {
    if (this.sock.fileno() < 0) return;
    this.#stop();
    this.sock.close();
    const path = this.address;
    if (this.#ino === null || typeof path !== "string") return;
    try {
      if (Deno.lstatSync(path).ino === this.#ino) Deno.removeSync(path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }

  #stop(): void {
    this.#events = null;
    if (!this.#loop.isClosed()) this.#loop.removeReader(this.sock);
  }

  readonly #ready = (): void => {
    for (;;) {
      const to = this.#events;
      if (to === null) return; // closed by a callback
      let accepted;
      try {
        accepted = this.sock._tryAccept();
      } catch (err) {
        this.#stop();
        to.failed(err);
        return;
      }
      if (accepted === null) return;
      const [conn, peername] = accepted;
      let sockname;
      try {
        sockname = conn.getsockname();
      } catch (err) {
        conn.close(); // not handed to the server yet: nobody else would close it
        this.#stop();
        to.failed(err);
        return;
      }
      to.accepted(conn, { sockname, peername });
    }
  };
}

/** What a {@linkcode Server} is built from (made by `createServer`). */
export interface ServerInit {
  /** The loop the server runs on. */
  loop: AbstractEventLoop;
  /** The loop's I/O driver. */
  io: ProactorIo;
  /** The bound listeners (TCP or Unix; a Unix listener unlinks its path on close). */
  listeners: ServerListener[];
  /** Makes a protocol per accepted connection. */
  protocolFactory: () => BaseProtocol;
  /** Wraps each accepted conn in the loop's kind of transport. */
  makeTransport: MakeTransport;
}

/**
 * A TCP or Unix socket server: accepts connections and gives each a transport and a
 * protocol from the factory. Equivalent to Python's `asyncio.Server`.
 *
 * `await using` closes it and waits until it is closed (Python's
 * `async with server`).
 *
 * @example Serve until the block ends
 * ```ts ignore
 * import { getRunningLoop, run } from "@aio/asyncio";
 * import { type Server, Protocol } from "@aio/asyncio/transports";
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0) as Server;
 *   console.log("listening on", server.sockets[0].getsockname());
 * });
 * ```
 */
export class Server implements AsyncDisposable {
  readonly #loop: AbstractEventLoop;
  readonly #io: ProactorIo;
  readonly #factory: () => BaseProtocol;
  readonly #make: MakeTransport;
  #listeners: ServerListener[] | null;
  readonly #all: readonly ServerListener[];
  readonly #sockets: TransportSocket[];
  #serving = false;
  readonly #events: ListenerEvents;
  // The accepted transports, held weakly as Python's `WeakSet`: a transport
  // its program dropped unclosed while no read holds it (paused: the selector
  // holds a paused transport weakly, and the proactor loop has no read in
  // flight before the first) is still collected and closed (`_unclosed.ts`),
  // and counts as detached once collected (after a garbage collection).
  readonly #clients = new Set<WeakRef<Transport>>();
  readonly #refs = new WeakMap<Transport, WeakRef<Transport>>();
  readonly #collected = new FinalizationRegistry<WeakRef<Transport>>((ref) => {
    this.#clients.delete(ref);
    if (!this.#loop.isClosed()) this.#maybeWakeup();
  });
  #waiters: Future<void>[] | null = [];
  #servingForever: Future<void> | null = null;
  readonly #link: ServerLink;

  /** Creates a server over bound listeners; it does not accept until `startServing()`. */
  constructor(init: ServerInit) {
    this.#loop = init.loop;
    this.#io = init.io;
    this.#factory = init.protocolFactory;
    this.#make = init.makeTransport;
    this.#listeners = [...init.listeners];
    this.#all = this.#listeners;
    this.#sockets = this.#listeners.map((l) => new TransportSocket(l.address, l.sock));
    for (const listener of this.#listeners) this.#io.track(listener);
    watchUnclosed(this, `server ${this}`, this.#loop, this.#io, this.#listeners);
    this.#link = {
      attach: (transport) => {
        if (this.#refs.has(transport)) return;
        const ref = new WeakRef(transport);
        this.#refs.set(transport, ref);
        this.#clients.add(ref);
        this.#collected.register(transport, ref, ref);
      },
      detach: (transport) => {
        const ref = this.#refs.get(transport);
        if (ref === undefined || !this.#clients.delete(ref)) return;
        this.#refs.delete(transport);
        this.#collected.unregister(ref);
        this.#maybeWakeup();
      },
    };
    this.#events = {
      accepted: (conn, extra) => this.#onAccepted(conn, extra),
      failed: (err) => this.#onAcceptError(err),
      settled: () => this.#maybeWakeup(),
    };
  }

  /** The loop the server runs on. Equivalent to `get_loop()`. */
  getLoop(): AbstractEventLoop {
    return this.#loop;
  }

  /** Whether the server accepts connections. Equivalent to `is_serving()`. */
  isServing(): boolean {
    return this.#serving;
  }

  /** The listening sockets (empty once closed). Equivalent to `sockets`. */
  get sockets(): readonly TransportSocket[] {
    return this.#listeners === null ? [] : this.#sockets;
  }

  /**
   * Stops listening; open connections stay open (see `closeClients`).
   * Idempotent. Equivalent to `close()`.
   */
  close(): void {
    const listeners = this.#listeners;
    if (listeners === null) return;
    this.#listeners = null;
    this.#serving = false;
    for (const listener of listeners) {
      this.#io.untrack(listener);
      try {
        listener.close();
      } catch {
        // Already closed by the loop's driver.
      }
    }
    if (this.#servingForever !== null && !this.#servingForever.done()) {
      this.#servingForever.cancel();
    }
    this.#maybeWakeup();
  }

  /** Closes every client transport (buffered data is sent). Equivalent to `close_clients()`. */
  closeClients(): void {
    for (const transport of this.#liveClients()) transport.close();
  }

  /** Aborts every client transport. Equivalent to `abort_clients()`. */
  abortClients(): void {
    for (const transport of this.#liveClients()) transport.abort();
  }

  /**
   * Starts accepting, if not already. Equivalent to `start_serving()`.
   *
   * @throws {RuntimeError} The server is closed.
   */
  async startServing(): Promise<void> {
    this.#startServing();
    // asyncio yields once so the server is accepting when this returns.
    await sleep(0);
  }

  /**
   * Resolves when the server is closed, every connection it accepted is
   * lost (or its transport was collected unclosed), and its pending accepts
   * settled (a Unix socket file is gone by then). Equivalent to
   * `wait_closed()` (3.12+ semantics).
   */
  async waitClosed(): Promise<void> {
    if (this.#waiters === null) return;
    const waiter = this.#loop.createFuture<void>();
    this.#waiters.push(waiter);
    await waiter;
  }

  /**
   * Accepts connections until cancelled; on cancellation closes the server
   * and waits until it is closed. Equivalent to `serve_forever()`.
   *
   * @throws {RuntimeError} `serveForever()` is already running, or the server is closed.
   */
  async serveForever(): Promise<void> {
    if (this.#servingForever !== null) {
      throw new RuntimeError(`Cannot serve forever: server ${this} is already being awaited on`);
    }
    if (this.#listeners === null) {
      throw new RuntimeError(`Cannot serve forever: server ${this} is closed`);
    }
    this.#startServing();
    this.#servingForever = this.#loop.createFuture<void>();
    try {
      await this.#servingForever;
    } catch (err) {
      if (err instanceof CancelledError) {
        try {
          this.close();
          await this.waitClosed();
        } finally {
          // deno-lint-ignore no-unsafe-finally
          throw err;
        }
      }
      throw err;
    } finally {
      this.#servingForever = null;
    }
  }

  /** Closes the server and waits until it is closed (`await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }

  /** A readable form with the addresses. */
  toString(): string {
    const addrs = this.#sockets.map((s) => {
      const name = s.getsockname();
      return typeof name === "string" ? name : name.join(":");
    }).join(", ");
    return `<Server sockets=(${this.#listeners === null ? "" : addrs})>`;
  }

  #liveClients(): Transport[] {
    const live: Transport[] = [];
    for (const ref of this.#clients) {
      const transport = ref.deref();
      if (transport !== undefined) live.push(transport);
    }
    return live;
  }

  #startServing(): void {
    if (this.#listeners === null) {
      throw new RuntimeError(`Cannot start serving: server ${this} is closed`);
    }
    if (this.#serving) return;
    this.#serving = true;
    for (const listener of this.#listeners) listener.start(this.#events);
  }

  #onAccepted(conn: StreamConn, extra: Record<string, unknown>): void {
    if (!this.#serving) {
      conn.close();
      return;
    }
    let protocol: BaseProtocol;
    try {
      protocol = this.#factory();
    } catch (err) {
      conn.close();
      this.#loop.callExceptionHandler({ message: "Error in the protocol factory", exception: err });
      return;
    }
    try {
      this.#make(conn, protocol, { server: this.#link, extra });
    } catch (err) {
      conn.close();
      this.#loop.callExceptionHandler({ message: "Error making a transport", exception: err });
    }
  }

  #onAcceptError(err: unknown): void {
    if (!this.#serving) return; // BadResource after close(): expected
    this.#loop.callExceptionHandler({
      message: "Accept failed on a server socket",
      exception: err,
      socket: this.#sockets[0],
    });
    // Every listener that failed has stopped; start() restarts those only.
    this.#loop.callLater(ACCEPT_RETRY_DELAY, () => {
      if (this.#serving) { for (const listener of this.#listeners!) listener.start(this.#events); }
    });
  }

  // Closed means: no listener, no client, and no accept in flight. Deno
  // unlinks a Unix listener's path only when its pending accept settles, so
  // a server re-created on the path before that would lose its file.
  #maybeWakeup(): void {
    if (this.#listeners !== null || this.#clients.size > 0) return;
    if (this.#all.some((l) => l.pending)) return;
    this.#wakeup();
  }

  #wakeup(): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    for (const waiter of waiters) if (!waiter.done()) waiter.setResult(undefined);
  }
}
