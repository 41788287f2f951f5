/**
 * The `Selector` interface of `SelectorEventLoop`, adapted from Python's
 * `selectors` module, and {@linkcode DenoSelector}, the selector over Deno's
 * own (completion-based) I/O.
 *
 * The loop and its I/O operations talk to the interface only, so another
 * selector (`EpollSelector`, over FFI, in `epoll_selector.ts`) can replace
 * `DenoSelector` without touching them. What differs from Python: `select()` never blocks
 * (JavaScript cannot), so a selector tells the loop that something may have
 * become ready through the wake-up function set with `setWakeup`; the loop
 * then schedules a `select(0)` on its ready queue (as `callSoon` would),
 * which also wakes a sleeping loop. A selector that polls I/O itself (the epoll one) also offers
 * `poll(timeout)`, which the loop calls once per iteration and which may
 * wait briefly on the loop's thread; it calls the same wake-up when its
 * parked `epoll_wait` returns.
 *
 * ## Readiness semantics of `DenoSelector`
 *
 * It accepts the project's {@linkcode Socket} objects only (Deno has no raw
 * descriptors). Readiness is level-triggered, as with `select`/`epoll`:
 *
 * - **Readable** (`EVENT_READ`) while, on that socket, buffered data, EOF
 *   or a read error is waiting (a connected socket), or an accepted
 *   connection or an accept error is waiting (a listening socket). It stays
 *   readable until the data is consumed (`sockRecv`, `_tryRecvInto`).
 * - To learn that, the selector keeps **at most one read (or accept) in
 *   flight** per socket registered for `EVENT_READ`, into the socket's own
 *   64 KiB buffer, and starts it only when nothing is buffered: a socket
 *   nobody reads from holds at most one buffer of data.
 * - **Writable** (`EVENT_WRITE`) while the socket has no write (or connect)
 *   in flight. Deno completes writes itself, so "writable" means the
 *   previous write drained (or the connect attempt settled); a connected
 *   socket with nothing in flight is always writable.
 * - `select(timeout)` returns at once, whatever `timeout` is, with every
 *   registered key that is ready for an event it asked for, as
 *   `[key, readyEvents]` pairs; `select(0)` with nothing ready returns `[]`.
 *   It visits only the sockets whose readiness may have changed (ready at
 *   the previous call, settled or registered since), so its cost follows
 *   the activity, not the number of registrations.
 * - `unregister()` (and `modify()` dropping `EVENT_READ`) stops reporting,
 *   but a read in flight is not cancelled (Deno cannot cancel one): its data
 *   stays buffered on the socket, and closing the socket drops it. No
 *   operation outlives the socket.
 * - When a read, accept, write or connect of a registered socket settles,
 *   the wake-up function runs, at most once between two `select()` calls.
 *
 * @module
 */
import { Socket } from "./socket.ts";

/** Interest in readability. Equivalent to `selectors.EVENT_READ`. */
export const EVENT_READ = 1;
/** Interest in writability. Equivalent to `selectors.EVENT_WRITE`. */
export const EVENT_WRITE = 2;

/** A registration. Equivalent to `selectors.SelectorKey`. */
export interface SelectorKey<S = unknown> {
  /** The registered socket object. */
  readonly fileobj: S;
  /** The events of interest, `EVENT_READ | EVENT_WRITE`. */
  readonly events: number;
  /** What the registrant attached. */
  readonly data: unknown;
}

/**
 * A readiness selector. Equivalent to Python's `selectors.BaseSelector`,
 * except that `select()` never blocks (see the module docs).
 */
export interface Selector<S = unknown> {
  /**
   * Registers `fileobj` for `events`.
   *
   * @throws {TypeError} `fileobj` is not a socket object of this selector,
   *   `events` is not a non-empty mask of `EVENT_READ | EVENT_WRITE`, or
   *   `fileobj` is already registered.
   */
  register(fileobj: S, events: number, data?: unknown): SelectorKey<S>;
  /**
   * Changes the events and data of a registration.
   *
   * @throws {TypeError} `fileobj` is not registered, or `events` is invalid.
   */
  modify(fileobj: S, events: number, data?: unknown): SelectorKey<S>;
  /**
   * Removes a registration and returns it.
   *
   * @throws {TypeError} `fileobj` is not registered.
   */
  unregister(fileobj: S): SelectorKey<S>;
  /**
   * The registrations ready now, with the ready subset of their events.
   * Never blocks; `timeout` is accepted for Python's signature.
   */
  select(timeout?: number | null): Array<[SelectorKey<S>, number]>;
  /**
   * The registration of `fileobj`.
   *
   * @throws {TypeError} `fileobj` is not registered.
   */
  getKey(fileobj: S): SelectorKey<S>;
  /** Every registration, by socket object. Equivalent to `get_map()`. */
  getMap(): ReadonlyMap<S, SelectorKey<S>>;
  /**
   * Sets the function called when a registration may have become ready
   * (at most once between two `select()` calls); `null` removes it.
   */
  setWakeup(wakeup: (() => void) | null): void;
  /** The number of registrations whose I/O is under way (the loop yields to the host more then). */
  readonly inFlight: number;
  /**
   * A host turn in which the host parks and so polls its own I/O (see
   * `IoDriver.parkingTurn`); offered by a selector that polls I/O itself.
   */
  parkingTurn?(): Promise<void>;
  /**
   * Whether a busy loop should take a parking turn `ms` milliseconds after
   * its last one (see `IoDriver.wantsParkingTurn`); offered with `parkingTurn`.
   */
  wantsParkingTurn?(ms: number): boolean;
  /**
   * Whether a registration is ready, waiting for one on this thread up to
   * `timeout` seconds, or less by the selector's own bound (0, or
   * `mayBlock` false: never blocks); what it found is what the next
   * `select()` returns. When `timeout` is not 0 and nothing came, the
   * selector calls the wake-up function once something does (it parks a
   * wait). Offered by a selector that polls I/O itself; the loop calls it
   * through `IoDriver.poll`, with `mayBlock` false while other I/O of the
   * loop (Deno's own, completed by the host) is in flight.
   */
  poll?(timeout: number, mayBlock?: boolean): boolean;
  /** Drops every registration. */
  close(): void;
}

function checkEvents(events: number, method: string): void {
  if (!Number.isInteger(events) || events < 1 || events > (EVENT_READ | EVENT_WRITE)) {
    throw new TypeError(
      `Cannot ${method} as 'events' must be a mask of EVENT_READ | EVENT_WRITE: received ${
        String(events)
      }`,
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === "number") return "a number (Deno has no raw file descriptors)";
  if (value === null) return "null";
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "no class"})`;
  return typeof value;
}

/**
 * Checks that `sock` is the project's socket object.
 *
 * @throws {TypeError} It is not; a number gets a message saying Deno has no raw descriptors.
 */
export function checkSocket(sock: unknown, method: string): asserts sock is Socket {
  if (!(sock instanceof Socket)) {
    throw new TypeError(
      `Cannot ${method} as 'sock' must be a socket object from createSocket() or sockAccept(): received ${
        describe(sock)
      }`,
    );
  }
}

/**
 * The selector over Deno's completion-based I/O: turns completed reads and
 * drained writes of registered {@linkcode Socket}s into readiness events
 * (the module docs give the exact semantics).
 *
 * @example
 * ```ts
 * import { createSocket, DenoSelector, EVENT_READ } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const selector = new DenoSelector();
 * const sock = createSocket();
 * selector.register(sock, EVENT_READ, "data");
 * assert.deepEqual(selector.select(0), []);
 * selector.close();
 * sock.close();
 * ```
 */
export class DenoSelector implements Selector<Socket> {
  readonly #keys = new Map<Socket, SelectorKey<Socket>>();
  // The sockets whose readiness may have changed since the last select():
  // those ready then (level-triggered), those whose operation settled since,
  // and those (re)registered. No other socket can have become ready, so
  // select() costs O(candidates), not O(registrations).
  #candidates = new Set<Socket>();
  #wakeup: (() => void) | null = null;
  #wakePending = false;
  #closed = false;

  /** The number of registrations (each may have a read in flight). */
  get inFlight(): number {
    return this.#keys.size;
  }

  /** Registers `fileobj` for `events` and starts its read if `EVENT_READ` is asked. */
  register(fileobj: Socket, events: number, data: unknown = null): SelectorKey<Socket> {
    checkSocket(fileobj, "register socket");
    checkEvents(events, "register socket");
    if (this.#keys.has(fileobj)) {
      throw new TypeError("Cannot register socket: socket is already registered");
    }
    const key: SelectorKey<Socket> = { fileobj, events, data };
    this.#keys.set(fileobj, key);
    fileobj._watch(() => this.#onSettled(fileobj));
    this.#arm(key);
    return key;
  }

  /** Changes the events and data of `fileobj`'s registration. */
  modify(fileobj: Socket, events: number, data: unknown = null): SelectorKey<Socket> {
    checkEvents(events, "modify socket");
    const old = this.getKey(fileobj);
    if (old.events === events && old.data === data) return old;
    const key: SelectorKey<Socket> = { fileobj, events, data };
    this.#keys.set(fileobj, key);
    this.#arm(key);
    return key;
  }

  /** Removes `fileobj`'s registration; a read in flight keeps its data on the socket. */
  unregister(fileobj: Socket): SelectorKey<Socket> {
    const key = this.getKey(fileobj);
    this.#keys.delete(fileobj);
    this.#candidates.delete(fileobj);
    fileobj._watch(null);
    return key;
  }

  /** The keys ready now; never blocks. */
  select(_timeout?: number | null): Array<[SelectorKey<Socket>, number]> {
    this.#wakePending = false;
    const ready: Array<[SelectorKey<Socket>, number]> = [];
    const candidates = this.#candidates;
    // (The epoll selector asks on every iteration, mostly with nothing here.)
    if (candidates.size === 0) return ready;
    this.#candidates = new Set();
    for (const sock of candidates) {
      const key = this.#keys.get(sock);
      if (key === undefined) continue;
      let events = 0;
      if (key.events & EVENT_READ) {
        if (sock._readable()) events |= EVENT_READ;
        else sock._armRead();
      }
      if ((key.events & EVENT_WRITE) && sock._writable()) events |= EVENT_WRITE;
      if (events !== 0) {
        ready.push([key, events]);
        this.#candidates.add(sock);
      }
    }
    return ready;
  }

  /** The registration of `fileobj`. */
  getKey(fileobj: Socket): SelectorKey<Socket> {
    const key = this.#keys.get(fileobj);
    if (key === undefined) {
      throw new TypeError(`Cannot find socket's key: ${describe(fileobj)} is not registered`);
    }
    return key;
  }

  /** Every registration. */
  getMap(): ReadonlyMap<Socket, SelectorKey<Socket>> {
    return this.#keys;
  }

  /** Sets the wake-up function. */
  setWakeup(wakeup: (() => void) | null): void {
    this.#wakeup = wakeup;
  }

  /** Drops every registration; the sockets stay open. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const sock of this.#keys.keys()) sock._watch(null);
    this.#keys.clear();
    this.#candidates.clear();
    this.#wakeup = null;
  }

  // Starts the read a read registration needs, and wakes the loop if the
  // registration is ready already.
  #arm(key: SelectorKey<Socket>): void {
    const sock = key.fileobj;
    this.#candidates.add(sock);
    if (key.events & EVENT_READ) sock._armRead();
    if (
      ((key.events & EVENT_READ) && sock._readable()) ||
      ((key.events & EVENT_WRITE) && sock._writable())
    ) {
      this.#wake();
    }
  }

  #onSettled(sock: Socket): void {
    if (!this.#keys.has(sock)) return;
    this.#candidates.add(sock);
    this.#wake();
  }

  #wake(): void {
    if (this.#wakePending || this.#wakeup === null) return;
    this.#wakePending = true;
    this.#wakeup();
  }
}
