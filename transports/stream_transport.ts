/**
 * The stream transport of the completion-based loop (`ProactorEventLoop`),
 * over anything with Deno's `read`/`write`/`close` shape: a `Deno.TcpConn`
 * or `Deno.UnixConn` (duplex), or a `Deno.FsFile`-like pipe end (read-only
 * or write-only). Equivalent to Python's `_ProactorSocketTransport`,
 * `_ProactorReadPipeTransport` and `_ProactorWritePipeTransport`: one class
 * with a mode, as CPython's are one hierarchy over one base.
 *
 * How it works (also in `docs/architecture.md`, "Transports"):
 * - **One read in flight**, into the unused tail of a 512 KiB slab, at most
 *   256 KiB at a time. `dataReceived` gets a `subarray` view of the slab.
 *   The slab rule: a byte handed to the protocol is never written again, so
 *   a protocol may keep its views; the next read goes after it, and a fresh
 *   slab is allocated when the tail is shorter than 64 KiB. A
 *   `BufferedProtocol` is read into directly (its `getBuffer()`).
 * - **Writes** are copied into the transport's reused write buffer
 *   (`_write_buffer.ts`: no allocation per write) and queued; consecutive
 *   copies are contiguous and go out as one `conn.write`, one at a time,
 *   looping over partial writes. Buffered bytes above the high-water mark
 *   call `pauseWriting()`, draining to the low-water mark calls
 *   `resumeWriting()`.
 * - **Callbacks** reach the protocol only from loop callbacks: every Deno
 *   promise settles into `loop.callSoon`, never into the protocol directly.
 *   Order: `connectionMade`, `dataReceived`*, `eofReceived`,
 *   `connectionLost(err | null)` exactly once.
 * - **Errors** of Deno operations become `connectionLost(err)`; errors
 *   after a local close (`BadResource`, `Interrupted`) are expected and
 *   dropped. No promise is left without a rejection handler.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { NotImplementedError, RuntimeError, TimeoutError } from "../loop/exceptions.ts";
import type { TimerHandle } from "../loop/handle.ts";
import type { Future } from "../tasks/future.ts";
import {
  callConnectionLost,
  callConnectionMade,
  checkWriteData,
  ignoreLostWrite,
  reportFatalError,
  settleWaiter,
  WaterMarks,
} from "./_transport_core.ts";
import type { BaseProtocol } from "./base_protocol.ts";
import { BufferedProtocol } from "./buffered_protocol.ts";
import type { Protocol } from "./protocol.ts";
import type { ProactorIo } from "./proactor_io.ts";
import { addressOf, socketForConn, SocketStreamConn } from "./socket.ts";
import { watchUnclosed } from "./_unclosed.ts";
import type { Transport } from "./transport.ts";
import type { WriteBufferLimits } from "./write_transport.ts";
import { WriteBuffer } from "./_write_buffer.ts";

const SLAB_SIZE = 512 * 1024;
const MAX_READ = 256 * 1024;
const MIN_TAIL = 64 * 1024;

/** What a transport tells its server (the server tracks its clients). */
export interface ServerLink {
  /** The transport is open and serving a client. */
  attach(transport: Transport): void;
  /** The transport's `connectionLost` ran. */
  detach(transport: Transport): void;
}

/**
 * What the transport reads from and writes to: a subset of `Deno.Conn` and
 * `Deno.FsFile`. A read-only end needs `read`, a write-only end `write`.
 */
export interface StreamConn {
  /** Reads into `p`; `null` at end of stream. */
  read?(p: Uint8Array): Promise<number | null>;
  /** Writes part or all of `p`; resolves with the count written. */
  write?(p: Uint8Array): Promise<number>;
  /** Half-closes (sockets only). */
  closeWrite?(): Promise<void>;
  /** Releases the resource; a pending read or write rejects. */
  close(): void;
}

/** Which directions a transport carries: a socket both, a pipe end one. */
export type StreamMode = "duplex" | "read" | "write";

/** Options of {@linkcode ProactorStreamTransport}. */
export interface ProactorStreamTransportOptions {
  /** The directions the transport carries (default `"duplex"`). */
  mode?: StreamMode;
  /** Resolved (with undefined) after `connectionMade` ran. */
  waiter?: Future<void>;
  /** The server that accepted the connection. */
  server?: ServerLink;
  /** Extra information (`getExtraInfo`) beside peername and sockname. */
  extra?: Record<string, unknown>;
  /** A TLS conn's handshake and shutdown (see {@linkcode TlsHandshake}). */
  tls?: TlsHandshake;
}

/**
 * How a transport over a TLS conn starts and ends, as Python's
 * `SSLProtocol`: `run()` (the handshake) completes before
 * `connectionMade`, or the connection is aborted after `handshakeTimeout`
 * seconds with `ConnectionAborted`; the protocol hears nothing of a failed
 * handshake (the `waiter` of a client's `createConnection` rejects with
 * its error; without a waiter, a server's connection, it goes to the
 * exception handler in debug mode). `close()`
 * sends TLS's close_notify (`closeWrite`) after the buffered data, for at
 * most `shutdownTimeout` seconds, before the conn is closed.
 */
export interface TlsHandshake {
  /** Runs the handshake; rejects with the TLS error. */
  run(): Promise<void>;
  /** Seconds the handshake may take. */
  handshakeTimeout: number;
  /** Seconds the close_notify may take to send. */
  shutdownTimeout: number;
}

/**
 * `peername` and `sockname` of a TCP or Unix conn, as Python shows them
 * (`[host, port]`, or the path, `""` when unnamed), and no-delay for TCP:
 * Deno leaves Nagle on (44 ms stalls on small writes); asyncio turns it off.
 */
export function prepareSocket(conn: Deno.Conn): Record<string, unknown> {
  // A server's TLS conn has no setNoDelay: Deno keeps its socket to itself.
  const tcp = conn as Partial<Deno.TcpConn>;
  if (conn.remoteAddr.transport === "tcp" && typeof tcp.setNoDelay === "function") {
    tcp.setNoDelay(true);
  }
  return { sockname: addressOf(conn.localAddr), peername: addressOf(conn.remoteAddr) };
}

type PendingRead = { kind: "data"; n: number; buf: Uint8Array } | { kind: "eof" };

/**
 * A socket connection or pipe end of the proactor loop. Made by the loop's
 * `createConnection`, `createUnixConnection`, `connectReadPipe`,
 * `connectWritePipe` and by servers, never by users directly.
 */
export class ProactorStreamTransport implements Transport {
  readonly #loop: AbstractEventLoop;
  readonly #io: ProactorIo;
  readonly #conn: StreamConn;
  readonly #mode: StreamMode;
  #protocol: BaseProtocol;
  #buffered: boolean;
  readonly #server: ServerLink | undefined;
  readonly #extra: Record<string, unknown>;
  // Reading.
  #slab: Uint8Array = new Uint8Array(0);
  #slabUsed = 0;
  #reading = false; // a conn.read is in flight
  #paused = false;
  #eof = false;
  #pending: PendingRead | null = null;
  // Writing.
  readonly #queue: Uint8Array[] = [];
  readonly #copies = new WriteBuffer();
  #bufferSize = 0;
  #writing = false; // a conn.write is in flight
  #eofWritten = false;
  #writeClosed = false; // conn.closeWrite was called
  readonly #marks: WaterMarks;
  // Closing.
  #closing = false;
  #connLost = 0; // > 0 once connectionLost is scheduled
  #lostCalled = false;
  #connClosed = false;
  // TLS: the protocol hears of the connection only after the handshake.
  readonly #tls: TlsHandshake | null;
  #made = false;
  #shutdown: TimerHandle | null = null; // the close_notify's deadline while it is sent
  #aborted = false;

  /** Wraps `conn` (already connected or open) and schedules `connectionMade`. */
  constructor(
    loop: AbstractEventLoop,
    io: ProactorIo,
    conn: StreamConn,
    protocol: BaseProtocol,
    options?: ProactorStreamTransportOptions,
  ) {
    this.#loop = loop;
    this.#io = io;
    this.#conn = conn;
    this.#mode = options?.mode ?? "duplex";
    this.#protocol = protocol;
    this.#buffered = protocol instanceof BufferedProtocol;
    this.#server = options?.server;
    this.#marks = new WaterMarks(loop, this);
    io.track(conn);
    this.#extra = { ...options?.extra };
    this.#tls = options?.tls ?? null;
    this.#server?.attach(this);
    if (this.#tls === null) loop.callSoon(() => this.#connectionMade(options?.waiter));
    else this.#handshake(this.#tls, options?.waiter);
  }

  // ----------------------------------------------------------------------
  // BaseTransport.

  /**
   * `"peername"`, `"sockname"` (`[host, port]` or a Unix path), `"socket"`
   * (a socket conn's `Socket`), `"pipe"`, the TLS entries (`"sslcontext"`,
   * `"ssl_object"`, `"peercert"`), what the caller passed as `extra`, or
   * `defaultValue`.
   */
  getExtraInfo(name: string, defaultValue: unknown = null): unknown {
    return Object.hasOwn(this.#extra, name) ? this.#extra[name] : defaultValue;
  }

  /** Whether `close()` or `abort()` was called, or the connection was lost. */
  isClosing(): boolean {
    return this.#closing;
  }

  /** Stops reading; sends what is buffered, then closes and calls `connectionLost(null)`. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#pending = null;
    if (!this.#writing && this.#queue.length === 0) {
      this.#connLost++;
      this.#loop.callSoon(() => this.#flushed());
    }
  }

  /** Replaces the protocol; the next read uses its kind (buffered or not). */
  setProtocol(protocol: BaseProtocol): void {
    this.#protocol = protocol;
    this.#buffered = protocol instanceof BufferedProtocol;
  }

  /** The current protocol. */
  getProtocol(): BaseProtocol {
    return this.#protocol;
  }

  // ----------------------------------------------------------------------
  // ReadTransport.

  /** Whether data is being delivered (not paused, not closing). */
  isReading(): boolean {
    return !this.#paused && !this.#closing;
  }

  /** Holds back data until `resumeReading()`; a read already in flight completes into a hold. */
  pauseReading(): void {
    if (this.#closing || this.#paused) return;
    this.#paused = true;
  }

  /** Delivers held data (in a loop callback) and reads again. */
  resumeReading(): void {
    if (this.#closing || !this.#paused) return;
    this.#paused = false;
    const pending = this.#pending;
    if (pending !== null) {
      this.#pending = null;
      this.#loop.callSoon(() => this.#deliver(pending));
    } else {
      this.#startRead();
    }
  }

  // ----------------------------------------------------------------------
  // WriteTransport.

  /**
   * Sets the water marks (see `WriteTransport.setWriteBufferLimits`).
   *
   * @throws {RangeError} Unless `high >= low >= 0`.
   */
  setWriteBufferLimits(limits?: WriteBufferLimits): void {
    this.#marks.set(limits);
    this.#maybePauseProtocol();
  }

  /** `[low, high]`. */
  getWriteBufferLimits(): [low: number, high: number] {
    return this.#marks.get();
  }

  /** Bytes queued or being written. */
  getWriteBufferSize(): number {
    return this.#bufferSize;
  }

  /**
   * Queues a copy of `data` and starts writing.
   *
   * @throws {TypeError} `data` is not a `Uint8Array`.
   * @throws {RuntimeError} `writeEof()` was called.
   */
  write(data: Uint8Array): void {
    checkWriteData(data);
    if (this.#mode === "read") throw new RuntimeError("Cannot write: the transport is a read pipe");
    if (this.#eofWritten) throw new RuntimeError("Cannot write: writeEof() was called");
    if (this.#connLost > 0) {
      ignoreLostWrite(this.#connLost++);
      return;
    }
    if (data.length === 0) return;
    const copy = this.#copies.copy(data);
    const queue = this.#queue;
    // A copy right after the last queued one joins it (one write for both),
    // unless that one is being written.
    const last = queue.length - 1;
    const joined = last >= (this.#writing ? 1 : 0) ? WriteBuffer.join(queue[last], copy) : null;
    if (joined === null) queue.push(copy);
    else queue[last] = joined;
    this.#bufferSize += data.length;
    if (!this.#writing) this.#startWrite();
    this.#maybePauseProtocol();
  }

  /**
   * Writes each buffer of `list`, in order.
   *
   * @throws {TypeError} An item of `list` is not a `Uint8Array` (nothing is written).
   */
  writelines(list: Iterable<Uint8Array>): void {
    const chunks = Array.from(list);
    for (const data of chunks) checkWriteData(data);
    for (const data of chunks) this.write(data);
  }

  /**
   * Half-closes after the buffered data is sent (`conn.closeWrite()`); a
   * write pipe closes instead, as in asyncio.
   *
   * @throws {RuntimeError} The transport is a read pipe.
   * @throws {NotImplementedError} The connection cannot half-close
   *   (`canWriteEof()` is false).
   */
  writeEof(): void {
    if (this.#mode === "write") {
      this.close();
      return;
    }
    if (this.#mode === "read") {
      throw new RuntimeError("Cannot writeEof(): the transport is a read pipe");
    }
    if (typeof this.#conn.closeWrite !== "function") {
      throw new NotImplementedError("Cannot writeEof(): this connection cannot half-close");
    }
    if (this.#closing || this.#eofWritten) return;
    this.#eofWritten = true;
    if (!this.#writing && this.#queue.length === 0) this.#closeWrite();
  }

  /** Whether `writeEof()` works: sockets with `closeWrite` and write pipes. */
  canWriteEof(): boolean {
    return this.#mode === "write" ||
      (this.#mode === "duplex" && typeof this.#conn.closeWrite === "function");
  }

  /** Closes now, dropping buffered data; `connectionLost(null)` follows. */
  abort(): void {
    this.#aborted = true;
    if (this.#shutdown !== null) {
      // A TLS close_notify is in flight: give up on it.
      this.#shutdown.cancel();
      this.#shutdown = null;
      this.#closeConn();
      this.#loop.callSoon(() => this.#callConnectionLost(null));
      return;
    }
    this.#forceClose(null);
  }

  /** A readable form with the state and the peer. */
  toString(): string {
    const state = this.#lostCalled ? "closed" : this.#closing ? "closing" : "open";
    const peer = this.#extra.peername;
    const where = peer === undefined ? "" : ` peer=${Array.isArray(peer) ? peer.join(":") : peer}`;
    return `<ProactorStreamTransport ${this.#mode} ${state}${where} buffer=${this.#bufferSize}>`;
  }

  // ----------------------------------------------------------------------
  // Reading.

  #handshake(tls: TlsHandshake, waiter: Future<void> | undefined): void {
    const timer = this.#loop.callLater(tls.handshakeTimeout, () => {
      this.#handshakeFailed(
        new Deno.errors.ConnectionAborted(
          `SSL handshake is taking longer than ${tls.handshakeTimeout} seconds: aborting the connection`,
        ),
        waiter,
      );
    });
    this.#io.begin();
    tls.run().then(
      () =>
        this.#complete(() => {
          timer.cancel();
          this.#connectionMade(waiter);
        }),
      (err) =>
        this.#complete(() => {
          timer.cancel();
          this.#handshakeFailed(err, waiter);
        }),
    );
  }

  #handshakeFailed(err: unknown, waiter: Future<void> | undefined): void {
    if (this.#connLost > 0) return; // aborted meanwhile: the conn is closed
    if (waiter !== undefined) {
      if (!waiter.done()) waiter.setException(err);
    } else if (this.#loop.getDebug()) {
      // Python's _accept_connection2 reports a failed incoming handshake in debug mode only.
      this.#loop.callExceptionHandler({
        message: "Error on transport creation for incoming connection",
        exception: err,
        transport: this,
        protocol: this.#protocol,
      });
    }
    this.#forceClose(err);
  }

  #connectionMade(waiter: Future<void> | undefined): void {
    if (this.#connLost > 0) {
      settleWaiter(waiter);
      return;
    }
    this.#made = true;
    if (!callConnectionMade(this.#loop, this, waiter, (err) => this.#forceClose(err))) return;
    settleWaiter(waiter);
    this.#startRead();
  }

  #startRead(): void {
    if (this.#reading || this.#paused || this.#closing || this.#eof) return;
    if (this.#mode === "write") return;
    let buf: Uint8Array;
    if (this.#buffered) {
      try {
        buf = (this.#protocol as BufferedProtocol).getBuffer(-1);
        if (!(buf instanceof Uint8Array) || buf.length === 0) {
          throw new RuntimeError("Cannot read: getBuffer() returned an empty buffer");
        }
      } catch (err) {
        this.#fatalError(err, "Fatal error: protocol.getBuffer() call failed.");
        return;
      }
    } else {
      if (this.#slab.length - this.#slabUsed < MIN_TAIL) {
        this.#slab = new Uint8Array(SLAB_SIZE);
        this.#slabUsed = 0;
      }
      const end = Math.min(this.#slab.length, this.#slabUsed + MAX_READ);
      buf = this.#slab.subarray(this.#slabUsed, end);
    }
    this.#reading = true;
    this.#io.begin();
    this.#conn.read!(buf).then(
      (n) => this.#complete(() => this.#onRead(n, buf)),
      (err) => this.#complete(() => this.#onReadError(err)),
    );
  }

  // A Deno operation settled: hand its outcome to the loop, unless the loop
  // is closed (then the driver closed the conn and nobody is listening).
  #complete(callback: () => void): void {
    this.#io.end();
    if (this.#loop.isClosed()) return;
    this.#loop.callSoon(callback);
  }

  #onRead(n: number | null, buf: Uint8Array): void {
    this.#reading = false;
    if (this.#closing) return;
    const pending: PendingRead = n === null ? { kind: "eof" } : { kind: "data", n, buf };
    if (n !== null && !this.#buffered) this.#slabUsed += n;
    if (this.#paused) {
      this.#pending = pending;
      return;
    }
    this.#deliver(pending);
  }

  #deliver(pending: PendingRead): void {
    if (this.#closing) return;
    if (pending.kind === "eof") {
      this.#eofReceived();
      return;
    }
    try {
      if (this.#buffered) (this.#protocol as BufferedProtocol).bufferUpdated(pending.n);
      else (this.#protocol as Protocol).dataReceived(pending.buf.subarray(0, pending.n));
    } catch (err) {
      this.#fatalError(err, "Fatal error: protocol.dataReceived() call failed.");
      return;
    }
    this.#startRead();
  }

  #eofReceived(): void {
    this.#eof = true;
    let keepOpen: boolean | void;
    try {
      keepOpen = (this.#protocol as Protocol).eofReceived();
    } catch (err) {
      this.#fatalError(err, "Error calling protocol.eofReceived()");
      return;
    }
    if (keepOpen !== true) this.close();
  }

  #onReadError(err: unknown): void {
    this.#reading = false;
    if (this.#closing) return; // BadResource/Interrupted after our own close
    this.#fatalError(err, `Fatal read error on ${this.#what()} transport`);
  }

  // ----------------------------------------------------------------------
  // Writing.

  #startWrite(): void {
    this.#writing = true;
    this.#io.begin();
    this.#conn.write!(this.#queue[0]).then(
      (n) => this.#complete(() => this.#onWritten(n)),
      (err) => this.#complete(() => this.#onWriteError(err)),
    );
  }

  #onWritten(n: number): void {
    this.#writing = false;
    if (this.#connLost > 0 && this.#queue.length === 0) return; // aborted meanwhile
    const chunk = this.#queue[0];
    this.#bufferSize -= n;
    if (n < chunk.length) this.#queue[0] = chunk.subarray(n);
    else this.#queue.shift();
    if (this.#queue.length > 0) {
      this.#startWrite();
      this.#maybeResumeProtocol();
      return;
    }
    this.#copies.reset(); // nothing queued or in flight refers to it now
    if (this.#closing) {
      this.#connLost++;
      this.#flushed();
      return;
    }
    if (this.#eofWritten) this.#closeWrite();
    this.#maybeResumeProtocol();
  }

  #onWriteError(err: unknown): void {
    this.#writing = false;
    if (this.#connLost > 0) return;
    this.#fatalError(err, `Fatal write error on ${this.#what()} transport`);
  }

  #closeWrite(): void {
    this.#writeClosed = true;
    this.#io.begin();
    this.#conn.closeWrite!().then(
      () => this.#io.end(),
      (err) => this.#complete(() => this.#onWriteError(err)),
    );
  }

  #what(): string {
    return this.#mode === "duplex" ? "socket" : "pipe";
  }

  #maybePauseProtocol(): void {
    this.#marks.maybePause(this.#bufferSize);
  }

  #maybeResumeProtocol(): void {
    this.#marks.maybeResume(this.#bufferSize);
  }

  // ----------------------------------------------------------------------
  // Closing.

  #fatalError(err: unknown, message: string): void {
    reportFatalError(this.#loop, this, err, message);
    this.#forceClose(err);
  }

  #forceClose(err: unknown | null): void {
    if (this.#connLost > 0) return;
    this.#queue.length = 0;
    this.#bufferSize = 0;
    this.#closing = true;
    this.#pending = null;
    this.#connLost++;
    // Closing now interrupts the read and write in flight: nothing more is sent.
    this.#closeConn();
    this.#loop.callSoon(() => this.#callConnectionLost(err));
  }

  // close() asked and everything buffered is sent: a TLS conn sends its
  // close_notify first (Python's SSL shutdown), for at most shutdownTimeout.
  #flushed(): void {
    const tls = this.#tls;
    if (tls === null || !this.#made || this.#writeClosed || this.#aborted || this.#lostCalled) {
      this.#callConnectionLost(null);
      return;
    }
    this.#writeClosed = true;
    this.#shutdown = this.#loop.callLater(tls.shutdownTimeout, () => {
      this.#shutdown = null;
      this.#closeConn();
      this.#callConnectionLost(new TimeoutError("SSL shutdown timed out"));
    });
    this.#io.begin();
    // A failed close_notify (the peer is gone) still ends in a clean close:
    // every byte was handed over.
    const done = () =>
      this.#complete(() => {
        if (this.#shutdown === null) return; // timed out or aborted meanwhile
        this.#shutdown.cancel();
        this.#shutdown = null;
        this.#callConnectionLost(null);
      });
    this.#conn.closeWrite!().then(done, done);
  }

  #callConnectionLost(err: unknown | null): void {
    if (this.#lostCalled) return;
    this.#lostCalled = true;
    this.#closeConn();
    // A TLS protocol whose handshake never completed never heard of the connection.
    if (this.#tls === null || this.#made) callConnectionLost(this.#loop, this, err);
    this.#server?.detach(this);
  }

  #closeConn(): void {
    if (this.#connClosed) return;
    this.#connClosed = true;
    this.#io.untrack(this.#conn);
    try {
      this.#conn.close();
    } catch {
      // Already closed by the loop's driver (the loop closed first).
    }
  }
}

/** What a loop's transport factory receives beside the conn and the protocol. */
export interface MakeTransportOptions {
  /** Resolved (with undefined) after `connectionMade` ran. */
  waiter?: Future<void>;
  /** The server that accepted the connection. */
  server?: ServerLink;
  /** Extra information (`getExtraInfo`). */
  extra: Record<string, unknown>;
  /** The directions a pipe carries (sockets are duplex). */
  mode?: StreamMode;
}

/**
 * The hook each loop passes to the shared connect, listen and accept code:
 * wraps a connected conn in that loop's kind of transport (the proactor's
 * `ProactorStreamTransport`, the selector's `SelectorSocketTransport`),
 * which schedules `connectionMade`.
 */
export type MakeTransport = (
  conn: StreamConn,
  protocol: BaseProtocol,
  options: MakeTransportOptions,
) => Transport;

/**
 * The completion-based loop's transports. A socket conn's transport has the
 * project's `Socket` as `getExtraInfo("socket")`: the one taken over
 * (`SocketStreamConn`), else one wrapping the conn.
 */
export function proactorTransports(loop: AbstractEventLoop, io: ProactorIo): MakeTransport {
  return (conn, protocol, options) => {
    if ((options.mode ?? "duplex") === "duplex") {
      const socket = conn instanceof SocketStreamConn
        ? conn.socket
        : socketForConn(conn as Deno.TcpConn | Deno.UnixConn);
      options = { ...options, extra: { ...options.extra, socket } };
    }
    const transport = new ProactorStreamTransport(loop, io, conn, protocol, options);
    watchUnclosed(transport, `transport ${transport}`, loop, io, [conn]);
    return transport;
  };
}
