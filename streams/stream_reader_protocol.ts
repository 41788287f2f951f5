/**
 * {@linkcode StreamReaderProtocol}: the protocol between a transport and a
 * {@linkcode StreamReader}/{@linkcode StreamWriter} pair. Equivalent to
 * Python's `asyncio.StreamReaderProtocol` (with its `FlowControlMixin`).
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { getRunningLoop } from "../loop/current.ts";
import type { Future } from "../tasks/future.ts";
import type { Task } from "../tasks/task.ts";
import type { BaseTransport } from "../transports/base_transport.ts";
import { Protocol } from "../transports/protocol.ts";
import type { Transport } from "../transports/transport.ts";
import { connectionLostError } from "./_errors.ts";
import type { StreamReader } from "./stream_reader.ts";
import { StreamWriter } from "./stream_writer.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Called once per connection of a stream server with the connection's
 * reader and writer; may be an async function (it then runs as a task).
 */
export type ClientConnectedCallback = (
  reader: StreamReader,
  writer: StreamWriter,
) => unknown;

/** Options of {@linkcode StreamReaderProtocol}. */
export interface StreamReaderProtocolOptions {
  /** The loop (default: the running loop). */
  loop?: AbstractEventLoop;
}

/**
 * Feeds a {@linkcode StreamReader} from a transport and gives
 * {@linkcode StreamWriter.drain} the transport's flow control. With a
 * `clientConnected` callback (a server's connections), `connectionMade`
 * makes the writer and calls it; an async callback runs as a task whose
 * error is reported to the loop's exception handler and closes the
 * transport.
 *
 * Data from the transport is buffered without a copy
 * ({@linkcode StreamReader.feedStableData}): the transport must keep the
 * `dataReceived` contract (bytes never written again), as the transports
 * of this package do.
 *
 * @example A reader and writer over a connection made by hand
 * ```ts ignore
 * import { getRunningLoop } from "@aio/asyncio";
 * import { StreamReader, StreamReaderProtocol, StreamWriter } from "@aio/asyncio/streams";
 *
 * const loop = getRunningLoop();
 * const reader = new StreamReader();
 * const protocol = new StreamReaderProtocol(reader);
 * const [transport] = await loop.createConnection(() => protocol, "127.0.0.1", 8888);
 * const writer = new StreamWriter(transport, protocol, reader);
 * ```
 */
export class StreamReaderProtocol extends Protocol {
  readonly #loop: AbstractEventLoop;
  readonly #reader: StreamReader;
  readonly #clientConnected: ClientConnectedCallback | null;
  #transport: Transport | null = null;
  #task: Task<unknown> | null = null;
  readonly #closed: Future<void>;
  // Flow control (Python's FlowControlMixin).
  #paused = false;
  #connectionLost = false;
  readonly #drainWaiters = new Set<Future<void>>();

  /**
   * Creates the protocol for `reader`; `clientConnected` makes it a server
   * connection's protocol.
   *
   * @throws {TypeError} `clientConnected` is given and is not a function.
   * @throws {RuntimeError} No loop is given and none is running.
   */
  constructor(
    reader: StreamReader,
    clientConnected?: ClientConnectedCallback | null,
    options?: StreamReaderProtocolOptions,
  ) {
    super();
    if (clientConnected != null && typeof clientConnected !== "function") {
      throw new TypeError(
        `Cannot create StreamReaderProtocol as 'clientConnected' must be a function: received ${typeof clientConnected}`,
      );
    }
    this.#loop = options?.loop ?? getRunningLoop();
    this.#reader = reader;
    this.#clientConnected = clientConnected ?? null;
    this.#closed = this.#loop.createFuture<void>();
  }

  /** Sets the reader's transport; with a callback, makes the writer and calls it. */
  override connectionMade(transport: BaseTransport): void {
    const conn = transport as Transport;
    this.#transport = conn;
    this.#reader.setTransport(conn);
    const callback = this.#clientConnected;
    if (callback === null) return;
    const writer = new StreamWriter(conn, this, this.#reader, { loop: this.#loop });
    const reader = this.#reader;
    const task = this.#loop.createTask(() => callback(reader, writer));
    this.#task = task;
    task.addDoneCallback(() => {
      if (task.cancelled()) {
        conn.close();
        return;
      }
      const exc = task.exception();
      if (exc !== null && exc !== undefined) {
        this.#loop.callExceptionHandler({
          message: "Unhandled exception in the clientConnected callback of a stream server",
          exception: exc,
          transport: conn,
        });
        conn.close();
      }
    });
  }

  /** Ends the reader (with `err` if any), settles `waitClosed()` and wakes `drain()`. */
  override connectionLost(err: unknown | null): void {
    if (err === null || err === undefined) this.#reader.feedEof();
    else this.#reader.setException(err);
    if (!this.#closed.done()) {
      if (err === null || err === undefined) {
        this.#closed.setResult(undefined);
      } else {
        this.#closed.setException(err);
        // Marked as retrieved: only `waitClosed()` callers care (Python's __del__ does the same).
        this.#closed.exception();
      }
    }
    this.#connectionLost = true;
    if (this.#paused) {
      for (const waiter of this.#drainWaiters) {
        if (waiter.done()) continue;
        if (err === null || err === undefined) waiter.setResult(undefined);
        else waiter.setException(err);
      }
    }
    this.#transport = null;
    this.#task = null;
  }

  /** Buffers `data` in the reader. */
  override dataReceived(data: Uint8Array): void {
    this.#reader.feedStableData(data);
  }

  /** Ends the reader; returns true so the transport stays open for writing. */
  override eofReceived(): boolean {
    this.#reader.feedEof();
    return true;
  }

  /** The transport's buffer is full: `drain()` waits from now on. */
  override pauseWriting(): void {
    this.#paused = true;
  }

  /** The transport's buffer drained: waiting `drain()` calls return. */
  override resumeWriting(): void {
    this.#paused = false;
    for (const waiter of this.#drainWaiters) {
      if (!waiter.done()) waiter.setResult(undefined);
    }
  }

  /** The task running the `clientConnected` callback, while the connection is open. */
  get task(): Task<unknown> | null {
    return this.#task;
  }

  /**
   * Waits until writing may go on: at once unless the transport paused
   * writing. Python's `_drain_helper()`, used by `StreamWriter.drain()`.
   *
   * @throws {Error} The connection was lost (`ConnectionReset`), or the
   *   error it was lost with.
   */
  _drainHelper(): Promise<void> {
    if (this.#connectionLost) return Promise.reject(connectionLostError());
    if (!this.#paused) return RESOLVED;
    return this.#waitDrained();
  }

  async #waitDrained(): Promise<void> {
    const waiter = this.#loop.createFuture<void>();
    this.#drainWaiters.add(waiter);
    try {
      await waiter;
    } finally {
      this.#drainWaiters.delete(waiter);
    }
  }

  /** The future `StreamWriter.waitClosed()` awaits. Python's `_get_close_waiter()`. */
  _closeWaiter(): Future<void> {
    return this.#closed;
  }
}
