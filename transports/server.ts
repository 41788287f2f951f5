/**
 * `Server`: what `loop.createServer()` returns. Equivalent to Python's
 * `asyncio.Server`.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { CancelledError, RuntimeError } from "../loop/exceptions.ts";
import type { Future } from "../tasks/future.ts";
import { sleep } from "../tasks/sleep.ts";
import type { BaseProtocol } from "./base_protocol.ts";
import type { ProactorIo } from "./proactor_io.ts";
import { type MakeTransport, prepareSocket, type ServerLink } from "./stream_transport.ts";
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

  /** Wraps a socket address: `[host, port]`, or the path of a Unix socket. */
  constructor(address: [host: string, port: number] | string) {
    this.#addr = typeof address === "string" ? address : [address[0], address[1]];
  }

  /**
   * The address the socket is bound to: `[host, port]` for TCP, the path for
   * a Unix socket. Equivalent to `getsockname()`.
   */
  getsockname(): [host: string, port: number] | string {
    return typeof this.#addr === "string" ? this.#addr : [this.#addr[0], this.#addr[1]];
  }
}

/** What a {@linkcode Server} is built from (made by `createServer`). */
export interface ServerInit {
  /** The loop the server runs on. */
  loop: AbstractEventLoop;
  /** The loop's I/O driver. */
  io: ProactorIo;
  /** The bound listeners (TCP or Unix; a Unix listener unlinks its path on close). */
  listeners: Deno.Listener[];
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
  #listeners: Deno.Listener[] | null;
  readonly #sockets: TransportSocket[];
  #serving = false;
  #accepting = new Set<Deno.Listener>();
  readonly #clients = new Set<Transport>();
  #activeCount = 0;
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
    this.#sockets = this.#listeners.map((l) =>
      new TransportSocket(
        l.addr.transport === "tcp"
          ? [l.addr.hostname, l.addr.port]
          : (l.addr as Deno.UnixAddr).path,
      )
    );
    for (const listener of this.#listeners) this.#io.track(listener);
    watchUnclosed(this, `server ${this}`, this.#loop, this.#io, this.#listeners);
    this.#link = {
      attach: (transport) => {
        this.#activeCount++;
        this.#clients.add(transport);
      },
      detach: (transport) => {
        this.#clients.delete(transport);
        this.#activeCount--;
        this.#maybeWakeup();
      },
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
        listener.close(); // a pending accept rejects with BadResource, which is expected
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
    for (const transport of [...this.#clients]) transport.close();
  }

  /** Aborts every client transport. Equivalent to `abort_clients()`. */
  abortClients(): void {
    for (const transport of [...this.#clients]) transport.abort();
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
   * lost, and its pending accepts settled (a Unix socket file is gone by
   * then). Equivalent to `wait_closed()` (3.12+ semantics).
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

  #startServing(): void {
    if (this.#listeners === null) {
      throw new RuntimeError(`Cannot start serving: server ${this} is closed`);
    }
    if (this.#serving) return;
    this.#serving = true;
    for (const listener of this.#listeners) this.#accept(listener);
  }

  #accept(listener: Deno.Listener): void {
    if (!this.#serving || this.#accepting.has(listener)) return;
    this.#accepting.add(listener);
    this.#io.begin();
    listener.accept().then(
      (conn) => this.#complete(listener, () => this.#onAccepted(listener, conn), conn),
      (err) => this.#complete(listener, () => this.#onAcceptError(listener, err), null),
    );
  }

  #complete(listener: Deno.Listener, callback: () => void, conn: Deno.Conn | null): void {
    this.#io.end();
    this.#accepting.delete(listener);
    this.#maybeWakeup();
    if (this.#loop.isClosed()) {
      conn?.close();
      return;
    }
    this.#loop.callSoon(callback);
  }

  #onAccepted(listener: Deno.Listener, conn: Deno.Conn): void {
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
      this.#accept(listener);
      return;
    }
    try {
      this.#make(conn, protocol, { server: this.#link, extra: prepareSocket(conn) });
    } catch (err) {
      conn.close();
      this.#loop.callExceptionHandler({ message: "Error making a transport", exception: err });
    }
    this.#accept(listener);
  }

  #onAcceptError(listener: Deno.Listener, err: unknown): void {
    if (!this.#serving) return; // BadResource after close(): expected
    this.#loop.callExceptionHandler({
      message: "Accept failed on a server socket",
      exception: err,
      socket: this.#sockets[0],
    });
    this.#loop.callLater(ACCEPT_RETRY_DELAY, () => this.#accept(listener));
  }

  // Closed means: no listener, no client, and no accept in flight. Deno
  // unlinks a Unix listener's path only when its pending accept settles, so
  // a server re-created on the path before that would lose its file.
  #maybeWakeup(): void {
    if (this.#listeners !== null || this.#activeCount > 0 || this.#accepting.size > 0) return;
    this.#wakeup();
  }

  #wakeup(): void {
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    for (const waiter of waiters) if (!waiter.done()) waiter.setResult(undefined);
  }
}
