/**
 * The socket transport of the readiness-based loop (`SelectorEventLoop`).
 * Equivalent to Python's `_SelectorSocketTransport`.
 *
 * How it works (also in `docs/architecture.md`, "Transports"):
 * - **Reading**: the socket is registered with the loop's selector for
 *   reading (`loop._addReader`, the internal call that the ownership check
 *   of the public `addReader` does not apply to) while the transport reads; each readiness
 *   event hands `dataReceived` a view of the socket's slab
 *   (`Socket._recvView`, no copy; the bytes are never written again, so the
 *   protocol may keep the view). A `BufferedProtocol` gets the data copied
 *   into its `getBuffer()`. `pauseReading()` stops the deliveries at once
 *   and leaves the reader registered until the socket's next readiness
 *   event, which removes it (as libuv does), and meanwhile holds the
 *   transport only weakly; `resumeReading()` registers it again, or
 *   restores its reader. A pause that ends before the socket is
 *   readable again (a stream reader's flow control, typically) so costs no
 *   system call, and a paused socket holds at most one read.
 * - **Writing**: `write()` copies into the transport's reused write buffer
 *   (`_write_buffer.ts`) and starts sending at once when nothing is
 *   buffered (on a descriptor it sends the caller's bytes at once, and the
 *   `FdSocket` copies only what the kernel did not take); otherwise the
 *   copy is queued (consecutive copies join). The socket is registered for
 *   writing only while a write is in flight or queued: writable means the
 *   write in flight drained, and the writer then sends the queue or removes
 *   itself. A Deno-ops socket sends one queued chunk per round; a
 *   descriptor sends the whole queue in one gather `sendmsg` (up to
 *   `IOV_MAX` buffers per call), keeping the unsent rest as views of the
 *   queued copies, and `writelines()` on an idle descriptor sends its
 *   buffers the same way. Bytes in flight or queued count as buffered for
 *   the water marks (`pauseWriting`/`resumeWriting`).
 * - **Callbacks** run only from loop callbacks and readiness dispatch, in
 *   asyncio's order: `connectionMade`, `dataReceived`*, `eofReceived`,
 *   `connectionLost(err | null)` exactly once.
 *
 * @module
 */
import type { SelectorEventLoop } from "../loop/selector_event_loop.ts";
import { RuntimeError } from "../loop/exceptions.ts";
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
import { FdSocket } from "./fd_socket.ts";
import { type Socket, socketForConn, SocketStreamConn } from "./socket.ts";
import { type MakeTransport, proactorTransports, type ServerLink } from "./stream_transport.ts";
import { ownSocket } from "./socket_owners.ts";
import { watchUnclosed } from "./_unclosed.ts";
import type { Transport } from "./transport.ts";
import type { WriteBufferLimits } from "./write_transport.ts";
import { WriteBuffer } from "./_write_buffer.ts";

/** Options of {@linkcode SelectorSocketTransport}. */
export interface SelectorSocketTransportOptions {
  /** Resolved (with undefined) after `connectionMade` ran. */
  waiter?: Future<void>;
  /** The server that accepted the connection. */
  server?: ServerLink;
  /** Extra information (`getExtraInfo`) beside `socket`. */
  extra?: Record<string, unknown>;
}

/**
 * The selector loop's hook for the shared connect, listen, accept and pipe
 * code: wraps a connected `Deno.TcpConn` or `Deno.UnixConn` in a
 * {@linkcode Socket} (or takes the socket of a `SocketStreamConn`, or an
 * `FdSocket` on the epoll selector, as it is) and a
 * {@linkcode SelectorSocketTransport}. A pipe end
 * (`mode` `"read"` or `"write"`: no socket, no readiness to watch) gets the
 * shared stream transport, as on the proactor loop.
 */
export function selectorTransports(loop: SelectorEventLoop, io: ProactorIo): MakeTransport {
  const pipes = proactorTransports(loop, io);
  return (conn, protocol, options) => {
    if ((options.mode ?? "duplex") !== "duplex") return pipes(conn, protocol, options);
    // A socket taken over (connectAcceptedSocket, a `sock` option) keeps what it buffered.
    const sock = conn instanceof FdSocket
      ? conn
      : conn instanceof SocketStreamConn
      ? conn.socket
      : socketForConn(conn as Deno.TcpConn | Deno.UnixConn);
    const transport = new SelectorSocketTransport(loop, io, sock, protocol, options);
    watchUnclosed(transport, `transport ${transport}`, loop, io, [sock]);
    return transport;
  };
}

// The transport's read handler, set in its static block (it is private).
let readReady: (transport: SelectorSocketTransport) => void;

// What the selector holds as a paused transport's reader: a lazy pause leaves
// the reader registered until the socket is readable again, and a paused
// transport that the program dropped must still be collected and closed
// (`_unclosed.ts`), as when its reader was removed at once. So this refers to
// the transport only weakly; collected first, it unregisters at its event.
class PausedReader {
  readonly #transport: WeakRef<SelectorSocketTransport>;

  constructor(
    transport: SelectorSocketTransport,
    readonly loop: SelectorEventLoop,
    readonly sock: Socket | FdSocket,
  ) {
    this.#transport = new WeakRef(transport);
  }

  readonly ready = (): void => {
    const transport = this.#transport.deref();
    if (transport === undefined) this.loop._removeReader(this.sock);
    else readReady(transport);
  };
}

/**
 * A connected TCP or Unix stream socket of the selector loop. Made by the
 * loop's `createConnection`, `createUnixConnection` and by servers, never
 * by users directly.
 */
export class SelectorSocketTransport implements Transport {
  static {
    readReady = (transport) => transport.#readReady();
  }

  readonly #loop: SelectorEventLoop;
  readonly #io: ProactorIo;
  readonly #sock: Socket | FdSocket;
  #protocol: BaseProtocol;
  #buffered: boolean;
  readonly #server: ServerLink | undefined;
  readonly #extra: Record<string, unknown>;
  // Reading. The reader is registered (#readerAdded) while reading, and
  // while paused until the socket's next readiness event (then as the
  // #pausedReader, which holds the transport weakly).
  #pausedReader: PausedReader | null = null;
  #paused = false;
  #readerAdded = false;
  #eof = false;
  // Writing: one send in flight (#inFlight bytes), the rest queued.
  readonly #queue: Uint8Array[] = [];
  readonly #copies = new WriteBuffer();
  #inFlight = 0;
  #bufferSize = 0;
  #eofWritten = false;
  readonly #marks: WaterMarks;
  // Closing.
  #closing = false;
  #connLost = 0; // > 0 once connectionLost is scheduled
  #lostCalled = false;
  #sockClosed = false;

  /**
   * Wraps the connected `sock` (a Deno-ops `Socket`, or an `FdSocket` on the
   * epoll selector) and schedules `connectionMade`, then reading.
   */
  constructor(
    loop: SelectorEventLoop,
    io: ProactorIo,
    sock: Socket | FdSocket,
    protocol: BaseProtocol,
    options?: SelectorSocketTransportOptions,
  ) {
    this.#loop = loop;
    this.#io = io;
    this.#sock = sock;
    this.#protocol = protocol;
    this.#buffered = protocol instanceof BufferedProtocol;
    this.#server = options?.server;
    this.#marks = new WaterMarks(loop, this);
    this.#extra = { ...options?.extra, socket: sock };
    ownSocket(sock, this);
    io.track(sock);
    this.#server?.attach(this);
    loop.callSoon(() => this.#connectionMade(options?.waiter));
  }

  // ----------------------------------------------------------------------
  // BaseTransport.

  /** `"peername"`, `"sockname"`, `"socket"` (the {@linkcode Socket}), or `defaultValue`. */
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
    this.#readerAdded = false;
    this.#loop._removeReader(this.#sock);
    if (this.#inFlight === 0 && this.#queue.length === 0) {
      this.#connLost++;
      this.#loop.callSoon(() => this.#callConnectionLost(null));
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

  /**
   * Stops delivering data. The socket stays registered for reading until its
   * next readiness event, which unregisters it without reading.
   */
  pauseReading(): void {
    if (this.#closing || this.#paused) return;
    this.#paused = true;
    if (this.#readerAdded && !this.#loop.isClosed()) {
      // The same registration (no system call), with the weak reader.
      this.#pausedReader ??= new PausedReader(this, this.#loop, this.#sock);
      this.#loop._addReader(this.#sock, this.#pausedReader.ready);
    }
  }

  /** Delivers data again, registering the socket for reading if a pause unregistered it. */
  resumeReading(): void {
    if (this.#closing || !this.#paused) return;
    this.#paused = false;
    // Registers again, or (still registered) swaps the strong reader back.
    this.#addReader();
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
    this.#marks.maybePause(this.#bufferSize);
  }

  /** `[low, high]`. */
  getWriteBufferLimits(): [low: number, high: number] {
    return this.#marks.get();
  }

  /** Bytes queued or being sent. */
  getWriteBufferSize(): number {
    return this.#bufferSize;
  }

  /**
   * Sends a copy of `data` at once when nothing is buffered, else queues it.
   *
   * @throws {TypeError} `data` is not a `Uint8Array`.
   * @throws {RuntimeError} `writeEof()` was called.
   */
  write(data: Uint8Array): void {
    checkWriteData(data);
    if (this.#eofWritten) throw new RuntimeError("Cannot write: writeEof() was called");
    if (this.#connLost > 0) {
      ignoreLostWrite(this.#connLost++);
      return;
    }
    if (data.length === 0) return;
    if (this.#idle()) {
      const sock = this.#sock;
      if (sock instanceof FdSocket) {
        // A descriptor sends at once and copies only what the kernel did not
        // take; when it took everything there is nothing to track.
        let sent: boolean;
        try {
          sent = sock._startSend(data);
        } catch (err) {
          this.#fatalError(err, "Fatal write error on socket transport");
          return;
        }
        if (!sent) this.#sent(data.length);
        return;
      }
      this.#sendNow(this.#copies.copy(data));
      return;
    }
    const queue = this.#queue;
    const copy = this.#copies.copy(data);
    this.#bufferSize += copy.length;
    const last = queue.length - 1;
    const joined = last >= 0 ? WriteBuffer.join(queue[last], copy) : null;
    if (joined === null) queue.push(copy);
    else queue[last] = joined;
    this.#marks.maybePause(this.#bufferSize);
  }

  /**
   * Writes each buffer of `list`, in order. On a descriptor with nothing
   * buffered they leave together, in one gather send (`sendmsg`), as
   * Python's `writelines` does.
   *
   * @throws {TypeError} An item of `list` is not a `Uint8Array` (nothing is written).
   * @throws {RuntimeError} `writeEof()` was called.
   */
  writelines(list: Iterable<Uint8Array>): void {
    const chunks = Array.from(list);
    for (const data of chunks) checkWriteData(data);
    if (!(this.#sock instanceof FdSocket)) {
      for (const data of chunks) this.write(data);
      return;
    }
    const nonEmpty = chunks.filter((data) => data.length > 0);
    if (this.#eofWritten || this.#connLost > 0 || !this.#idle() || nonEmpty.length < 2) {
      for (const data of chunks) this.write(data);
      return;
    }
    this.#sendNow(nonEmpty);
  }

  /** Half-closes (`socket.shutdown(SHUT_WR)`) once the buffered data is sent. */
  writeEof(): void {
    if (this.#closing || this.#eofWritten) return;
    this.#eofWritten = true;
    if (this.#inFlight === 0 && this.#queue.length === 0) this.#shutdown();
  }

  /** Always true: TCP and Unix stream sockets half-close. */
  canWriteEof(): boolean {
    return true;
  }

  /** Closes now, dropping buffered data; `connectionLost(null)` follows. */
  abort(): void {
    this.#forceClose(null);
  }

  /** A readable form with the state and the peer. */
  toString(): string {
    const state = this.#lostCalled ? "closed" : this.#closing ? "closing" : "open";
    const peer = this.#extra.peername;
    const where = Array.isArray(peer) ? ` peer=${peer.join(":")}` : "";
    return `<SelectorSocketTransport ${state}${where} buffer=${this.#bufferSize}>`;
  }

  // ----------------------------------------------------------------------
  // Reading.

  #connectionMade(waiter: Future<void> | undefined): void {
    if (this.#connLost > 0) {
      settleWaiter(waiter);
      return;
    }
    if (!callConnectionMade(this.#loop, this, waiter, (err) => this.#forceClose(err))) return;
    if (this.isReading() && !this.#readerAdded) this.#addReader();
    settleWaiter(waiter);
  }

  #addReader(): void {
    // After end of file there is nothing more to read (Python would report EOF again).
    if (this.#eof) return;
    this.#loop._addReader(this.#sock, this.#readReady);
    this.#readerAdded = true;
  }

  // The reader while reading: an arrow, so the selector calls it directly.
  readonly #readReady = (): void => {
    if (this.#closing) return;
    if (this.#paused) {
      // The pause outlived the data: stop watching until resumeReading().
      this.#readerAdded = false;
      this.#loop._removeReader(this.#sock);
      return;
    }
    if (this.#buffered) this.#readIntoBuffer();
    else this.#readView();
  };

  #readView(): void {
    let data: Uint8Array | null;
    try {
      data = this.#sock._recvView();
    } catch (err) {
      this.#fatalError(err, "Fatal read error on socket transport");
      return;
    }
    if (data === null) return;
    if (data.length === 0) {
      this.#eofReceived();
      return;
    }
    try {
      (this.#protocol as Protocol).dataReceived(data);
    } catch (err) {
      this.#fatalError(err, "Fatal error: protocol.dataReceived() call failed.");
      return;
    }
    // Start the next read now rather than at the next select().
    if (this.isReading()) this.#sock._armRead();
  }

  #readIntoBuffer(): void {
    const protocol = this.#protocol as BufferedProtocol;
    let buf: Uint8Array;
    try {
      buf = protocol.getBuffer(-1);
      if (!(buf instanceof Uint8Array) || buf.length === 0) {
        throw new RuntimeError("Cannot read: getBuffer() returned an empty buffer");
      }
    } catch (err) {
      this.#fatalError(err, "Fatal error: protocol.getBuffer() call failed.");
      return;
    }
    let n: number | null;
    try {
      n = this.#sock._tryRecvInto(buf);
    } catch (err) {
      this.#fatalError(err, "Fatal read error on socket transport");
      return;
    }
    if (n === null) return;
    if (n === 0) {
      this.#eofReceived();
      return;
    }
    try {
      protocol.bufferUpdated(n);
    } catch (err) {
      this.#fatalError(err, "Fatal error: protocol.bufferUpdated() call failed.");
    }
  }

  #eofReceived(): void {
    this.#eof = true;
    let keepOpen: boolean | void;
    try {
      keepOpen = (this.#protocol as Protocol).eofReceived();
    } catch (err) {
      this.#fatalError(err, "Fatal error: protocol.eofReceived() call failed.");
      return;
    }
    if (keepOpen === true) {
      this.#readerAdded = false;
      this.#loop._removeReader(this.#sock);
    } else this.close();
  }

  // ----------------------------------------------------------------------
  // Writing.

  #idle(): boolean {
    return this.#inFlight === 0 && this.#queue.length === 0;
  }

  // Nothing is buffered: sends `data` now (a copy of one chunk to a Deno-ops
  // socket, or the caller's chunks in one gather send to a descriptor, which
  // copies what it keeps), and completes at once when all of it left.
  #sendNow(data: Uint8Array | Uint8Array[]): void {
    if (this.#send(data, false)) this.#sent(this.#inFlight);
  }

  // A send of `size` bytes started with nothing buffered: completes at once
  // when the socket is writable, else when it becomes so.
  #sent(size: number): void {
    this.#inFlight = size;
    this.#bufferSize += size;
    if (this.#sock._writable()) this.#writeReady();
    else this.#loop._addWriter(this.#sock, this.#writeReady);
    this.#marks.maybePause(this.#bufferSize);
  }

  // Starts sending `data`: a chunk to a Deno-ops socket, or chunks to a
  // descriptor in one gather send (`owned`: the transport's copies, kept as
  // they are until sent; a single chunk to a descriptor goes through
  // write()'s own send). False (and the transport is closing) if the socket
  // failed.
  #send(data: Uint8Array | Uint8Array[], owned: boolean): boolean {
    const sock = this.#sock;
    let size = 0;
    try {
      if (!Array.isArray(data)) {
        (sock as Socket)._startSend(data);
        size = data.length;
      } else {
        // Several chunks go to a descriptor only.
        (sock as FdSocket)._startSendv(data, owned);
        for (const chunk of data) size += chunk.length;
      }
    } catch (err) {
      this.#fatalError(err, "Fatal write error on socket transport");
      return false;
    }
    this.#inFlight = size;
    return true;
  }

  // The socket is writable: the send in flight drained (or failed).
  #writeReady = (): void => {
    if (this.#connLost > 0 && this.#inFlight === 0) return; // aborted meanwhile
    // A descriptor is writable when the kernel has room, which may be before its send drained.
    if (!this.#sock._writable()) return;
    try {
      this.#sock._throwWriteError();
    } catch (err) {
      this.#fatalError(err, "Fatal write error on socket transport");
      return;
    }
    this.#bufferSize -= this.#inFlight;
    this.#inFlight = 0;
    if (this.#queue.length > 0) {
      // A descriptor takes the whole queue in one gather send (as Python's
      // _write_sendmsg); a Deno-ops socket one chunk per round.
      const next = this.#sock instanceof FdSocket ? this.#queue.splice(0) : this.#queue.shift()!;
      if (this.#send(next, true)) this.#marks.maybeResume(this.#bufferSize);
      return;
    }
    this.#copies.reset(); // nothing queued or in flight refers to it now
    // resumeWriting() may write (as in Python's _write_ready): check the queue after it.
    this.#marks.maybeResume(this.#bufferSize);
    if (this.#inFlight > 0 || this.#connLost > 0) return;
    this.#loop._removeWriter(this.#sock);
    if (this.#closing) {
      this.#connLost++;
      this.#callConnectionLost(null);
    } else if (this.#eofWritten) {
      this.#shutdown();
    }
  };

  #shutdown(): void {
    this.#sock._shutdownWrite().catch((err) => {
      if (this.#loop.isClosed() || this.#connLost > 0) return;
      this.#loop.callSoon(() => this.#fatalError(err, "Fatal write error on socket transport"));
    });
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
    this.#inFlight = 0;
    this.#closing = true;
    this.#connLost++;
    // Closing now interrupts the send in flight: nothing more is sent.
    this.#closeSock();
    this.#loop.callSoon(() => this.#callConnectionLost(err));
  }

  #callConnectionLost(err: unknown | null): void {
    if (this.#lostCalled) return;
    this.#lostCalled = true;
    this.#closeSock();
    callConnectionLost(this.#loop, this, err);
    this.#server?.detach(this);
  }

  #closeSock(): void {
    if (this.#sockClosed) return;
    this.#sockClosed = true;
    this.#readerAdded = false;
    if (!this.#loop.isClosed()) {
      this.#loop._removeReader(this.#sock);
      this.#loop._removeWriter(this.#sock);
    }
    this.#io.untrack(this.#sock);
    this.#sock.close();
  }
}
