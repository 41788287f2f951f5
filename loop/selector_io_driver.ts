/**
 * The I/O driver of `SelectorEventLoop`: keeps the reader and writer
 * callbacks of each registered socket in its selector key (Python's
 * `(reader, writer)` handle pair) and dispatches readiness events.
 *
 * How readiness reaches the callbacks without touching the base loop's
 * iteration: the selector's wake-up schedules one reused dispatch item on
 * the loop's ready queue (as `callSoon` would, without a `Handle`; it wakes
 * a sleeping loop); the dispatch runs `select(0)` and
 * each ready key's handles. Readiness is level-triggered, so after a batch
 * with events the dispatch schedules itself once more: a key still ready
 * (data nobody consumed, a writer on a drained socket) runs again on the next
 * iteration, as with `epoll`, and the first empty `select(0)` ends the
 * chain.
 *
 * It is also the `ProactorIo` of the connect, listen and accept code the
 * two loops share (`transports/tcp.ts`, `transports/server.ts`): on the
 * Deno-ops selector those operations are Deno promises, which a
 * `ProactorIoDriver` inside counts; on the epoll selector they are
 * descriptors (a connect settled by writability, accepts by a reader).
 * Either way the driver tracks the listeners and the transports' sockets,
 * and closes those still open when the loop closes.
 *
 * @module
 */
import type { AbstractEventLoop } from "./abstract_event_loop.ts";
import { RuntimeError } from "./exceptions.ts";
import { Handle, type Runnable, SCHEDULE } from "./handle.ts";
import type { IoDriver } from "./io_driver.ts";
import { ProactorIoDriver } from "./proactor_io_driver.ts";
import type { Closable, ProactorIo } from "../transports/proactor_io.ts";
import { EVENT_READ, EVENT_WRITE, type Selector } from "../transports/selector.ts";

// What a key's `data` holds: the reader and writer handles.
type Pair = [reader: Handle | null, writer: Handle | null];

/**
 * The readiness-model I/O driver over any {@linkcode Selector}.
 *
 * @example
 * ```ts
 * import { SelectorIoDriver } from "@aio/asyncio/loop";
 * import { DenoSelector } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const driver = new SelectorIoDriver(new DenoSelector());
 * assert.equal(driver.inFlight, 0);
 * driver.close();
 * ```
 */
export class SelectorIoDriver<S = unknown> implements IoDriver, ProactorIo {
  readonly #selector: Selector<S>;
  readonly #promises = new ProactorIoDriver();
  #loop: AbstractEventLoop | null = null;
  #scheduled = false;

  /** The selector's parking host turn, when it offers one (see `IoDriver.parkingTurn`). */
  readonly parkingTurn?: () => Promise<void>;

  /** The selector's choice of parking turns, when it offers one (see `IoDriver.wantsParkingTurn`). */
  readonly wantsParkingTurn?: (ms: number) => boolean;

  /**
   * The selector's poll, when it offers one (see `IoDriver.poll`): what it
   * finds ready is dispatched in the loop's next callback.
   */
  readonly poll?: (timeout: number) => void;

  /** Wraps `selector`; the loop calls {@linkcode SelectorIoDriver.attach} once it exists. */
  constructor(selector: Selector<S>) {
    this.#selector = selector;
    selector.setWakeup(this.#onWake);
    if (selector.parkingTurn !== undefined) this.parkingTurn = () => selector.parkingTurn!();
    if (selector.wantsParkingTurn !== undefined) {
      this.wantsParkingTurn = (ms) => selector.wantsParkingTurn!(ms);
    }
    if (selector.poll !== undefined) {
      this.poll = (timeout) => {
        // Deno's own I/O of this loop (TLS conns, connects) completes through
        // the host: no waiting on this thread while some is in flight.
        if (!this.#scheduled && selector.poll!(timeout, this.#promises.inFlight === 0)) {
          this.#onWake();
        }
      };
    }
  }

  /** The selector this driver dispatches. */
  get selector(): Selector<S> {
    return this.#selector;
  }

  /** Operations under way: the selector's, and the connects and accepts. */
  get inFlight(): number {
    return this.#selector.inFlight + this.#promises.inFlight;
  }

  /** A connect or accept started. */
  begin(): void {
    this.#promises.begin();
  }

  /** A connect or accept settled. */
  end(): void {
    this.#promises.end();
  }

  /** `resource` is open: close it if the loop closes first. */
  track(resource: Closable): void {
    this.#promises.track(resource);
  }

  /**
   * `resource` was closed by its owner, or by the finalizer of a transport
   * dropped unclosed: a socket's registrations go too (a transport dropped
   * while paused leaves its reader registered until the next event).
   */
  untrack(resource: Closable): void {
    this.#promises.untrack(resource);
    if (this.#selector.getMap().has(resource as S)) {
      this.#remove(resource as S, 0);
      this.#remove(resource as S, 1);
    }
  }

  /** Whether `resource` is tracked (open, and not closed by `close()`). */
  isTracked(resource: Closable): boolean {
    return this.#promises.isTracked(resource);
  }

  /** Binds the driver to its loop (whose `callSoon` runs the dispatch). */
  attach(loop: AbstractEventLoop): void {
    this.#loop = loop;
  }

  /** Runs `callback(...args)` whenever `sock` is readable, replacing a previous reader. */
  addReader(sock: S, callback: (...args: unknown[]) => void, args: unknown[]): Handle {
    const handle = new Handle(callback, args, this.#attached());
    this.#add(sock, 0, handle);
    return handle;
  }

  /** Runs `callback(...args)` whenever `sock` is writable, replacing a previous writer. */
  addWriter(sock: S, callback: (...args: unknown[]) => void, args: unknown[]): Handle {
    const handle = new Handle(callback, args, this.#attached());
    this.#add(sock, 1, handle);
    return handle;
  }

  /** Stops the reader of `sock`; whether there was one. */
  removeReader(sock: S): boolean {
    return this.#remove(sock, 0);
  }

  /** Stops the writer of `sock`; whether there was one. */
  removeWriter(sock: S): boolean {
    return this.#remove(sock, 1);
  }

  /**
   * Drops every registration and closes what was tracked (listeners,
   * transports' sockets); sockets of `addReader`/`sock*` users stay open, as
   * Python's loop leaves them.
   */
  close(): void {
    for (const key of this.#selector.getMap().values()) {
      const [r, w] = key.data as Pair;
      r?.cancel();
      w?.cancel();
    }
    this.#selector.close();
    this.#promises.close();
  }

  #attached(): AbstractEventLoop {
    if (this.#loop === null || this.#loop.isClosed()) {
      throw new RuntimeError("Cannot register socket: event loop is closed");
    }
    return this.#loop;
  }

  #add(sock: S, slot: 0 | 1, handle: Handle): void {
    const key = this.#selector.getMap().get(sock);
    const mask = slot === 0 ? EVENT_READ : EVENT_WRITE;
    if (key === undefined) {
      const pair: Pair = [null, null];
      pair[slot] = handle;
      this.#selector.register(sock, mask, pair);
      return;
    }
    const old = key.data as Pair;
    const pair: Pair = [old[0], old[1]];
    old[slot]?.cancel();
    pair[slot] = handle;
    this.#selector.modify(sock, key.events | mask, pair);
  }

  #remove(sock: S, slot: 0 | 1): boolean {
    const key = this.#selector.getMap().get(sock);
    if (key === undefined) return false;
    const old = key.data as Pair;
    const handle = old[slot];
    if (handle === null) return false;
    handle.cancel();
    const events = key.events & ~(slot === 0 ? EVENT_READ : EVENT_WRITE);
    if (events === 0) {
      this.#selector.unregister(sock);
    } else {
      const pair: Pair = [old[0], old[1]];
      pair[slot] = null;
      this.#selector.modify(sock, events, pair);
    }
    return true;
  }

  #onWake = (): void => {
    if (this.#scheduled) return;
    const loop = this.#loop;
    if (loop === null || loop.isClosed()) return;
    this.#scheduled = true;
    loop[SCHEDULE](this.#dispatchItem);
  };

  // The dispatch as one ready-made work item, scheduled again and again (no
  // handle per iteration).
  readonly #dispatchItem: Runnable = new DispatchItem(() => this.#dispatch(), () => this.#loop!);

  #dispatch(): void {
    this.#scheduled = false;
    const events = this.#selector.select(0);
    for (const [key, ready] of events) {
      // The handles of the key select() returned, as asyncio's
      // `_process_events`: a callback earlier in this batch that removed or
      // replaced one cancelled it (a reader added anew waits for the next
      // select()).
      const [reader, writer] = key.data as Pair;
      if ((ready & EVENT_READ) !== 0 && reader !== null && !reader.cancelled()) reader._run();
      if ((ready & EVENT_WRITE) !== 0 && writer !== null && !writer.cancelled()) writer._run();
    }
    if (events.length > 0) this.#onWake();
  }
}

// A failing select() reaches the loop's exception handler, as a callback's
// error would.
class DispatchItem implements Runnable {
  readonly #dispatch: () => void;
  readonly #loop: () => AbstractEventLoop;

  constructor(dispatch: () => void, loop: () => AbstractEventLoop) {
    this.#dispatch = dispatch;
    this.#loop = loop;
  }

  cancelled(): boolean {
    return false;
  }

  _run(): void {
    try {
      this.#dispatch();
    } catch (exception) {
      this.#loop().callExceptionHandler({
        message: "Exception in the selector dispatch",
        exception,
      });
    }
  }

  toString(): string {
    return "<Handle SelectorIoDriver dispatch>";
  }
}
