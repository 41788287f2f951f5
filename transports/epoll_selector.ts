/**
 * {@linkcode EpollSelector}: the selector of `SelectorEventLoop` over Linux
 * epoll, through Deno FFI (`--allow-ffi`, Linux on x86_64 or aarch64).
 *
 * It takes two kinds of registrations behind one {@linkcode Selector}:
 * - {@linkcode FdSocket}s (real descriptors: the loop's TCP and Unix
 *   transports, listeners and connects on this selector) and bare
 *   descriptor numbers go into an epoll set, level-triggered, as Python's
 *   `selectors.EpollSelector`;
 * - the Deno-ops {@linkcode Socket}s (from `createSocket()`, or a `sock`
 *   option) go to an inner {@linkcode DenoSelector}, whose events are
 *   merged into the same `select()` batch.
 *
 * ## How it waits
 *
 * `select()` never blocks: it runs a fast, synchronous `epoll_wait(0)`
 * (~130 ns) and returns what is ready. The loop calls `poll(timeout)` once
 * per iteration (`IoDriver.poll`): with 0 while it has callbacks to run (a
 * check), and with the time to its next timer when it would go idle. An
 * idle poll waits in `epoll_pwait2` on the loop's own thread for at most
 * 0.25 ms, so a descriptor that becomes ready wakes the loop directly (as
 * uvloop's); what it read, the next `select()` returns. A wait that found
 * nothing is not repeated until descriptors are active again. Only when nothing
 * came does the selector *park*: it starts one `nonblocking: true`
 * `epoll_wait(-1)` (run by Deno on another thread; at most one at a time)
 * and, when it returns, calls the loop's wake-up, whose next `select(0)`
 * reads the real events. The parked call's own result is only a signal:
 * its buffer is never decoded, so a batch can never be stale. Timers need
 * no timeout on the parked wait: the base loop sleeps on its own clock, and
 * a parked wait that outlives the sleep is simply reused.
 *
 * An `eventfd` in the set ends a parked wait: on `close()` (so that no FFI
 * call outlives the selector: `closed` resolves once it returned and the
 * descriptors are closed), and when the last descriptor is unregistered (a
 * parked wait keeps the process alive).
 *
 * Each registration carries a generation number beside its descriptor in
 * the event's `data`: an event whose generation is not the registration's
 * current one (a descriptor closed and reused) is dropped.
 *
 * @module
 */
import {
  EAGAIN,
  EBADF,
  EINTR,
  ENOENT,
  ENOSYS,
  EPERM,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLLIN,
  EPOLLOUT,
  type Libc,
  libc,
  O_CLOEXEC,
  O_NONBLOCK,
  osError,
} from "./_libc.ts";
import { FdSocket } from "./fd_socket.ts";
import { HOST_MARK, hostEpollSets, WAKE_MARK } from "./_host_epolls.ts";
import {
  DenoSelector,
  EVENT_READ,
  EVENT_WRITE,
  type Selector,
  type SelectorKey,
} from "./selector.ts";
import type { Socket } from "./socket.ts";

/**
 * What an {@linkcode EpollSelector} registers: a descriptor socket, a bare
 * descriptor number (Python's `add_reader(fd)`), or a Deno-ops socket.
 */
export type EpollSelectable = FdSocket | number | Socket;

// Events read per fast epoll_wait (more stay ready for the next select).
const MAX_EVENTS = 256;
// The longest an idle loop waits for descriptors on its own thread (ns)
// before it parks a wait on another thread: a descriptor that becomes ready
// then wakes the loop's thread directly, as uvloop's, instead of through a
// parked call's completion (two thread switches). What the host has for the
// loop (Deno's own I/O, timers, promises) waits that long at most, once per
// idle spell: a wait that finds nothing makes the next idle poll park at once.
const BLOCKING_WAIT_NS = 250_000;
// The generation of the eventfd's own registration (it marks the set as a
// selector's: see _host_epolls.ts).
const WAKE_GENERATION = WAKE_MARK;
// How often a busy loop lets the host park (wantsParkingTurn), in ms: every
// 2 ms when the host's epoll sets are not watched; else when one of them has
// events (checked at most every 0.25 ms), and every 5 ms for Deno's timers,
// which no descriptor announces.
const BLIND_PARK_INTERVAL_MS = 2;
const HOST_CHECK_INTERVAL_MS = 0.25;
const TIMER_PARK_INTERVAL_MS = 5;

interface Entry {
  readonly fd: number;
  readonly generation: number;
  key: SelectorKey<EpollSelectable>;
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

function epollMask(events: number): number {
  return ((events & EVENT_READ) ? EPOLLIN : 0) | ((events & EVENT_WRITE) ? EPOLLOUT : 0);
}

/**
 * The epoll selector (see the module docs). Needs `--allow-ffi` on Linux;
 * the epoll set is made at the first registration of a descriptor (an
 * {@linkcode FdSocket} or a number), so a loop that never registers one
 * makes no epoll call (libc itself is
 * opened when the module is imported with FFI granted).
 *
 * @example
 * ```ts
 * // deno run --allow-ffi example.ts
 * import { createFdSocket, EpollSelector, EVENT_READ } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const selector = new EpollSelector();
 * const sock = createFdSocket();
 * sock.bind(["127.0.0.1", 0]);
 * sock.listen();
 * selector.register(sock, EVENT_READ);
 * assert.deepEqual(selector.select(0), []); // nothing to accept until a client connects
 * selector.close();
 * await selector.closed;
 * sock.close();
 * ```
 */
export class EpollSelector implements Selector<EpollSelectable> {
  readonly #keys = new Map<EpollSelectable, SelectorKey<EpollSelectable>>();
  readonly #deno = new DenoSelector();
  readonly #entries = new Map<FdSocket | number, Entry>();
  readonly #byFd = new Map<number, Entry>();
  #lib: Libc | null = null;
  #epfd = -1;
  #eventfd = -1;
  #generation = 0;
  // An epoll set of the host's epoll sets (see #watchHost), or -1; and when
  // it was last checked, in ms after the last parking turn.
  #hostEpfd = -1;
  #hostCheckedAt = 0;
  #hostBuf: Uint8Array = new Uint8Array(0);
  #events: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  // Views made once: a DataView costs ~150 ns to construct (a runtime call).
  #eventsView = new DataView(new ArrayBuffer(0));
  readonly #ctlBuf = new Uint8Array(16);
  readonly #ctlView = new DataView(this.#ctlBuf.buffer);
  // Events a poll() read and the next select() reports.
  #found = 0;
  // Whether an idle poll waits on the loop's thread first (see BLOCKING_WAIT_NS).
  #blockingWaits = true;
  // epoll_pwait2 failed with ENOSYS or EPERM: never wait on the loop's thread.
  #noBlockingWait = false;
  readonly #timespec = new BigInt64Array(2);
  readonly #timespecBytes = new Uint8Array(this.#timespec.buffer);
  // The eventfd's counter, and its bytes for read()/write() (a Uint8Array
  // argument keeps the call on the fast path).
  readonly #word = new BigUint64Array(1);
  readonly #wordBytes = new Uint8Array(this.#word.buffer);
  // The parked wait and its buffer, kept until it settles (another thread writes it).
  #parked: Promise<number> | null = null;
  #parkBuf: Uint8Array = new Uint8Array(0);
  #wakeup: (() => void) | null = null;
  #wakePending = false;
  #closed = false;
  readonly #whenClosed = Promise.withResolvers<void>();

  /** Creates the selector; nothing is opened until an `FdSocket` registers. */
  constructor() {
    this.#deno.setWakeup(() => this.#wake());
  }

  /**
   * Resolves once the selector is closed and no epoll call is left in
   * flight (a parked wait returned, the descriptors are closed).
   */
  get closed(): Promise<void> {
    return this.#whenClosed.promise;
  }

  /** Whether an `epoll_wait` is parked (for tests and diagnostics). */
  get parked(): boolean {
    return this.#parked !== null;
  }

  /**
   * Whether the next idle `poll()` waits on the loop's thread before it
   * parks: false after such a wait found nothing, true again once a
   * descriptor event arrives (for tests and diagnostics).
   */
  get waitsBeforeParking(): boolean {
    return this.#blockingWaits && !this.#noBlockingWait && this.#lib?.fn.epoll_pwait2 !== null;
  }

  /** Registrations whose I/O may complete: the descriptors, and the Deno sockets' reads. */
  get inFlight(): number {
    return this.#entries.size + this.#deno.inFlight;
  }

  /**
   * A host turn in which Deno's event loop parks, so it polls its own I/O:
   * awaits a trivial call (`sched_yield`) that Deno runs on another thread
   * (26–30 µs of CPU pinned, 65–75 µs when its threads switch cores: two
   * thread switches). While the epoll loop is busy it
   * never idles, and Deno would otherwise poll its sockets only every 61
   * host turns.
   */
  async parkingTurn(): Promise<void> {
    if (this.#lib === null) await new Promise<void>((resolve) => setImmediate(resolve));
    else await this.#lib.fn.sched_yield_park();
    this.#hostCheckedAt = 0;
  }

  /**
   * Whether a busy loop should take a parking turn `ms` milliseconds after
   * its last one: when Deno's own epoll set has events waiting (checked at
   * most every 0.25 ms, with a fast `epoll_wait` on a set that holds Deno's
   * sets), and every 5 ms for Deno's timers; every 2 ms when it does not
   * watch Deno's sets (no descriptor registered yet, no `getdents64` in
   * libc, `/proc` unreadable, or no set found).
   */
  wantsParkingTurn(ms: number): boolean {
    if (this.#hostEpfd < 0) return ms >= BLIND_PARK_INTERVAL_MS;
    if (ms >= TIMER_PARK_INTERVAL_MS) return true;
    if (ms - this.#hostCheckedAt < HOST_CHECK_INTERVAL_MS) return false;
    this.#hostCheckedAt = ms;
    return this.#lib!.fn.epoll_wait(this.#hostEpfd, this.#hostBuf, 1, 0) > 0;
  }

  /** Whether Deno's own epoll set is watched (for tests and diagnostics). */
  get watchesHost(): boolean {
    return this.#hostEpfd >= 0;
  }

  /**
   * Registers `fileobj` for `events`.
   *
   * @throws {TypeError} `fileobj` is neither an open `FdSocket`, a
   *   descriptor number nor a `Socket`, `events` is invalid, or it is
   *   already registered.
   * @throws {Error} The kernel refused it (`EBADF`, `EEXIST` when the same
   *   descriptor is registered as a socket and as a number, ...).
   */
  register(
    fileobj: EpollSelectable,
    events: number,
    data: unknown = null,
  ): SelectorKey<EpollSelectable> {
    checkEvents(events, "register socket");
    if (this.#keys.has(fileobj)) {
      throw new TypeError("Cannot register socket: socket is already registered");
    }
    const key: SelectorKey<EpollSelectable> = { fileobj, events, data };
    if (fileobj instanceof FdSocket || typeof fileobj === "number") {
      this.#registerFd(fileobj, key);
    } else {
      this.#deno.register(fileobj, events, data);
    }
    this.#keys.set(fileobj, key);
    return key;
  }

  /** Changes the events and data of `fileobj`'s registration. */
  modify(
    fileobj: EpollSelectable,
    events: number,
    data: unknown = null,
  ): SelectorKey<EpollSelectable> {
    checkEvents(events, "modify socket");
    const old = this.getKey(fileobj);
    if (old.events === events && old.data === data) return old;
    const key: SelectorKey<EpollSelectable> = { fileobj, events, data };
    if (fileobj instanceof FdSocket || typeof fileobj === "number") {
      const entry = this.#entries.get(fileobj)!;
      if (old.events !== events && this.#byFd.get(entry.fd) === entry) {
        this.#ctl(EPOLL_CTL_MOD, entry.fd, epollMask(events), entry.generation);
      }
      entry.key = key;
      if (old.events !== events) this.#wake();
    } else {
      this.#deno.modify(fileobj, events, data);
    }
    this.#keys.set(fileobj, key);
    return key;
  }

  /** Removes `fileobj`'s registration. */
  unregister(fileobj: EpollSelectable): SelectorKey<EpollSelectable> {
    const key = this.getKey(fileobj);
    this.#keys.delete(fileobj);
    if (fileobj instanceof FdSocket || typeof fileobj === "number") {
      const entry = this.#entries.get(fileobj)!;
      this.#entries.delete(fileobj);
      // A descriptor closed before unregistering left the set by itself, and
      // its number may now belong to another registration: leave that one.
      if (this.#byFd.get(entry.fd) === entry) {
        this.#byFd.delete(entry.fd);
        if (typeof fileobj === "number") this.#ctl(EPOLL_CTL_DEL, entry.fd, 0, 0, true);
        else if (fileobj.fileno() === entry.fd) this.#ctl(EPOLL_CTL_DEL, entry.fd, 0, 0);
      }
      // Nothing left to wait for: release a parked wait (it keeps the process alive).
      if (this.#entries.size === 0 && this.#parked !== null) this.#signal();
    } else {
      this.#deno.unregister(fileobj);
    }
    return key;
  }

  /**
   * The keys ready now, descriptors first (what the last `poll()` found,
   * else a fast `epoll_wait`); never blocks.
   */
  select(_timeout?: number | null): Array<[SelectorKey<EpollSelectable>, number]> {
    this.#wakePending = false;
    const ready: Array<[SelectorKey<EpollSelectable>, number]> = [];
    if (this.#epfd >= 0) {
      const n = this.#found > 0 ? this.#found : this.#waitNow();
      this.#found = 0;
      this.#collect(n, ready);
    }
    for (const [inner, events] of this.#deno.select(0)) {
      ready.push([this.#keys.get(inner.fileobj)!, events]);
    }
    return ready;
  }

  /**
   * Whether a descriptor is ready, waiting up to `timeout` seconds on this
   * thread when `mayBlock`, and at most 0.25 ms (none while a Deno-ops
   * socket has I/O in flight, whose completion needs the host, nor after a
   * wait that found nothing, until descriptors are active again); the next
   * `select()` reports what it found. When `timeout` is not 0 and nothing
   * came, parks a wait on another thread that calls the wake-up function
   * once something does. The Deno-ops sockets wake it by themselves.
   */
  poll(timeout: number, mayBlock = true): boolean {
    if (this.#epfd < 0 || this.#parked !== null) return false;
    if (this.#found > 0) return true;
    const pwait2 = this.#lib!.fn.epoll_pwait2;
    const ns = Math.min(BLOCKING_WAIT_NS, Math.floor(timeout * 1e9));
    if (
      ns > 0 && mayBlock && this.#blockingWaits && this.#entries.size > 0 &&
      this.#deno.inFlight === 0 && pwait2 !== null && !this.#noBlockingWait
    ) {
      this.#found = this.#waitBlocking(ns);
      this.#blockingWaits = this.#found > 0;
    } else {
      this.#found = this.#waitNow();
    }
    if (this.#found > 0) return true;
    if (timeout > 0 && this.#entries.size > 0) this.#park();
    return false;
  }

  /**
   * The registration of `fileobj`.
   *
   * @throws {TypeError} `fileobj` is not registered.
   */
  getKey(fileobj: EpollSelectable): SelectorKey<EpollSelectable> {
    const key = this.#keys.get(fileobj);
    if (key === undefined) {
      throw new TypeError("Cannot find socket's key: the socket is not registered");
    }
    return key;
  }

  /** Every registration. */
  getMap(): ReadonlyMap<EpollSelectable, SelectorKey<EpollSelectable>> {
    return this.#keys;
  }

  /** Sets the wake-up function. */
  setWakeup(wakeup: (() => void) | null): void {
    this.#wakeup = wakeup;
  }

  /**
   * Drops every registration (the sockets stay open) and closes the epoll
   * set and the eventfd, after waking a parked wait; `closed` resolves then.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeup = null;
    this.#deno.close();
    this.#keys.clear();
    this.#entries.clear();
    this.#byFd.clear();
    if (this.#parked !== null) this.#signal();
    else this.#release();
  }

  #registerFd(sock: FdSocket | number, key: SelectorKey<EpollSelectable>): void {
    if (typeof sock === "number" && (!Number.isInteger(sock) || sock < 0)) {
      throw new TypeError(
        `Cannot register descriptor as it must be a non-negative integer: received ${sock}`,
      );
    }
    const fd = typeof sock === "number" ? sock : sock.fileno();
    if (fd < 0) throw new TypeError("Cannot register socket: socket is closed");
    this.#open();
    this.#generation = (this.#generation + 1) % WAKE_GENERATION;
    const entry: Entry = { fd, generation: this.#generation, key };
    // A stale entry with this number (its socket was closed without
    // unregistering, which took it out of the kernel's set) is replaced.
    this.#ctl(EPOLL_CTL_ADD, fd, epollMask(key.events), entry.generation);
    this.#entries.set(sock, entry);
    this.#byFd.set(fd, entry);
    this.#wake();
  }

  #open(): void {
    if (this.#epfd >= 0) return;
    const lib = libc();
    this.#lib = lib;
    const epfd = lib.fn.epoll_create1(O_CLOEXEC);
    if (epfd < 0) throw osError(lib.errno(), "create epoll set");
    const efd = lib.fn.eventfd(0, O_CLOEXEC | O_NONBLOCK);
    if (efd < 0) {
      const err = osError(lib.errno(), "create eventfd");
      lib.fn.close(epfd);
      throw err;
    }
    this.#epfd = epfd;
    this.#eventfd = efd;
    this.#events = new Uint8Array(MAX_EVENTS * lib.epoll.size);
    this.#eventsView = new DataView(this.#events.buffer);
    this.#parkBuf = new Uint8Array(lib.epoll.size);
    this.#ctl(EPOLL_CTL_ADD, efd, EPOLLIN, WAKE_GENERATION);
    this.#watchHost();
  }

  // Makes #hostEpfd, an epoll set of the host's epoll sets (Deno's
  // runtimes', see _host_epolls.ts), level-triggered: it is ready while
  // Deno has I/O events (its sockets, signals, calls finished on other
  // threads) that it handles only in a turn where it parks. Kept apart from
  // the loop's own set, so a parked wait never returns for them. Nothing
  // found, or anything unexpected in /proc: the loop parks blind.
  #watchHost(): void {
    const lib = this.#lib!;
    let hostEpfd = lib.fn.epoll_create1(O_CLOEXEC);
    if (hostEpfd < 0) return;
    try {
      let watched = 0;
      for (const fd of hostEpollSets(lib, [this.#epfd, hostEpfd])) {
        if (this.#tryCtl(hostEpfd, EPOLL_CTL_ADD, fd, EPOLLIN, HOST_MARK)) watched++;
      }
      if (watched > 0) {
        this.#hostEpfd = hostEpfd;
        this.#hostBuf = new Uint8Array(lib.epoll.size);
        hostEpfd = -1;
      }
    } catch {
      // No watch: the loop parks every 2 ms of busy time instead.
    } finally {
      if (hostEpfd >= 0) lib.fn.close(hostEpfd);
    }
  }

  // `closedOk`: a bare descriptor may have been closed by its owner already.
  #ctl(op: number, fd: number, mask: number, generation: number, closedOk = false): void {
    if (this.#tryCtl(this.#epfd, op, fd, mask, generation)) return;
    const lib = this.#lib!;
    if (closedOk && (lib.errno() === EBADF || lib.errno() === ENOENT)) return;
    throw osError(lib.errno(), op === EPOLL_CTL_DEL ? "unregister socket" : "register socket");
  }

  // epoll_ctl on `epfd`; false (errno set) when the kernel refused.
  #tryCtl(epfd: number, op: number, fd: number, mask: number, generation: number): boolean {
    const lib = this.#lib!;
    const view = this.#ctlView;
    view.setUint32(0, mask, true);
    view.setUint32(lib.epoll.dataOffset, fd, true);
    view.setUint32(lib.epoll.dataOffset + 4, generation, true);
    return lib.fn.epoll_ctl(epfd, op, fd, this.#ctlBuf) >= 0;
  }

  // Reads up to MAX_EVENTS ready events into #events, without waiting.
  #waitNow(): number {
    const lib = this.#lib!;
    let n: number;
    do n = lib.fn.epoll_wait(this.#epfd, this.#events, MAX_EVENTS, 0); while (
      n < 0 && lib.errno() === EINTR
    );
    if (n < 0) throw osError(lib.errno(), "wait for events");
    return n;
  }

  // The same, waiting up to `ns` on this thread (a signal ends the wait early, with nothing).
  #waitBlocking(ns: number): number {
    const lib = this.#lib!;
    const ts = this.#timespec;
    ts[0] = BigInt(Math.floor(ns / 1e9));
    ts[1] = BigInt(ns % 1e9);
    const n = lib.fn.epoll_pwait2!(
      this.#epfd,
      this.#events,
      MAX_EVENTS,
      this.#timespecBytes,
      null,
    );
    if (n >= 0) return n;
    const errno = lib.errno();
    if (errno === EINTR) return 0;
    // libc has it but the kernel is older than 5.11, or a seccomp filter
    // refuses it: the loop parks at once from now on, as without it.
    if (errno === ENOSYS || errno === EPERM) {
      this.#noBlockingWait = true;
      return this.#waitNow();
    }
    throw osError(errno, "wait for events");
  }

  // Turns the `n` events read into #events into ready keys.
  #collect(n: number, ready: Array<[SelectorKey<EpollSelectable>, number]>): void {
    if (n === 0) return;
    const lib = this.#lib!;
    const view = this.#eventsView;
    const { size, dataOffset } = lib.epoll;
    for (let i = 0; i < n; i++) {
      const base = i * size;
      const mask = view.getUint32(base, true);
      const fd = view.getUint32(base + dataOffset, true);
      const generation = view.getUint32(base + dataOffset + 4, true);
      if (generation === WAKE_GENERATION) {
        this.#drainEventfd();
        continue;
      }
      const entry = this.#byFd.get(fd);
      if (entry === undefined || entry.generation !== generation) continue;
      // Descriptors are active: an idle poll may wait for the next event again.
      this.#blockingWaits = true;
      // Errors and hang-ups wake both directions, as Python's EpollSelector.
      let events = 0;
      if (mask & ~EPOLLOUT) events |= EVENT_READ;
      if (mask & ~EPOLLIN) events |= EVENT_WRITE;
      events &= entry.key.events;
      if (events !== 0) ready.push([entry.key, events]);
    }
  }

  #park(): void {
    if (this.#parked !== null) return;
    const parked = this.#lib!.fn.epoll_wait_park(this.#epfd, this.#parkBuf, 1, -1);
    this.#parked = parked;
    // -1 (EINTR, on another thread whose errno is not ours) is a wake-up like any other.
    parked.then(() => {
      this.#parked = null;
      if (this.#closed) this.#release();
      else this.#wake();
    });
  }

  // Makes the eventfd readable: a parked wait returns.
  #signal(): void {
    this.#word[0] = 1n;
    this.#lib!.fn.write(this.#eventfd, this.#wordBytes, 8n);
  }

  #drainEventfd(): void {
    const lib = this.#lib!;
    if (lib.fn.read(this.#eventfd, this.#wordBytes, 8n) < 0 && lib.errno() !== EAGAIN) {
      throw osError(lib.errno(), "read eventfd");
    }
  }

  #release(): void {
    if (this.#epfd >= 0) {
      if (this.#hostEpfd >= 0) {
        this.#lib!.fn.close(this.#hostEpfd);
        this.#hostEpfd = -1;
      }
      this.#lib!.fn.close(this.#eventfd);
      this.#lib!.fn.close(this.#epfd);
      this.#epfd = this.#eventfd = -1;
    }
    this.#whenClosed.resolve();
  }

  #wake(): void {
    if (this.#wakePending || this.#wakeup === null) return;
    this.#wakePending = true;
    this.#wakeup();
  }
}
