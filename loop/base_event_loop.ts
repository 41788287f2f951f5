/**
 * The platform-free event loop: ready queue, timers, iteration, exception
 * handling, debug mode. Equivalent to the scheduler half of Python's
 * `asyncio.BaseEventLoop`; the I/O half lives in the transports and in the
 * concrete loops, which hand this class an I/O driver and a clock.
 *
 * @module
 */
import { frameStorage } from "./context.ts";
import { CancelledError, NotImplementedError, RuntimeError } from "./exceptions.ts";
import {
  type AnyCallback,
  Handle,
  type Runnable,
  SCHEDULE,
  TimerHandle,
  type TimerOwner,
} from "./handle.ts";
import { runningLoopOrNull, setRunningLoop, steps } from "./current.ts";
import type {
  AbstractEventLoop,
  CoroutineFunction,
  ExceptionContext,
  ExceptionHandler,
  TaskFactory,
} from "./abstract_event_loop.ts";
import { type Clock, RealClock } from "./clock.ts";
import { type IoDriver, NullIoDriver } from "./io_driver.ts";
import { Deque } from "./_deque.ts";
import { TimerHeap } from "./_timer_heap.ts";
import { logger } from "./logger.ts";
import { Future } from "../tasks/future.ts";
import { dropPendingTasks, Task, type TaskOptions } from "../tasks/task.ts";
import { ensureFuture } from "../tasks/ensure_future.ts";

/** Options of {@linkcode BaseEventLoop}. */
export interface BaseEventLoopOptions {
  /** The clock (default: a {@linkcode RealClock}). */
  clock?: Clock;
  /** The I/O driver (default: none, a {@linkcode NullIoDriver}). */
  ioDriver?: IoDriver;
  /** Start in debug mode. */
  debug?: boolean;
}

// asyncio's thresholds for rebuilding the timer heap without its cancelled timers.
const MIN_SCHEDULED_TIMER_HANDLES = 100;
const MIN_CANCELLED_TIMER_HANDLES_FRACTION = 0.5;
// A busy loop yields to the host after so much work (callbacks run plus
// iterations; less with I/O in flight), so host I/O, timers and foreign
// promises keep flowing while a task spins on sleep(0).
const WORK_PER_HOST_TURN = 1024;
const WORK_PER_HOST_TURN_WITH_IO = 64;
// A busy loop whose I/O driver can park the host, but cannot tell when the
// host needs it (no `wantsParkingTurn`), does so this often (ms): a park
// costs 26–75 µs of CPU, so this trades a few percent of a saturated loop's
// throughput for Deno's own I/O answering within milliseconds
// (docs/architecture.md, "The epoll selector", has the measurements).
const PARK_INTERVAL_MS = 2;
// Microtask turns the loop waits for resumed tasks to suspend again before it
// falls back to a host turn (a task blocked on a foreign promise).
const MAX_DRAIN_TURNS = 64;

const hostTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

// A loop dropped without close() (Python's ResourceWarning "unclosed event
// loop"), reported in debug mode. The record is updated by setDebug().
interface LoopRecord {
  description: string;
  debug: boolean;
}
const unclosedLoops = new FinalizationRegistry<LoopRecord>((record) => {
  if (record.debug) logger.warn(`Unclosed event loop ${record.description}: call close()`);
});

/**
 * The platform-free event loop, on top of the host's event loop. Equivalent
 * to Python's `asyncio.BaseEventLoop` minus networking.
 *
 * `runForever()` and `runUntilComplete()` return promises: a JavaScript
 * program cannot block, so the loop runs as an async driver. One loop runs at
 * a time per realm (as one per thread in Python).
 *
 * @example Schedule callbacks and a timer
 * ```ts
 * import { BaseEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = new BaseEventLoop();
 * const calls: string[] = [];
 * loop.callLater(0.005, () => { calls.push("timer"); loop.stop(); });
 * loop.callSoon(() => calls.push("soon"));
 * await loop.runForever();
 * loop.close();
 * assert.deepEqual(calls, ["soon", "timer"]);
 * ```
 */
export class BaseEventLoop implements AbstractEventLoop, TimerOwner {
  readonly #ready = new Deque<Runnable>();
  readonly #timers = new TimerHeap<TimerHandle>();
  #cancelledTimers = 0;
  readonly #clock: Clock;
  readonly #io: IoDriver;
  #running = false;
  #stopping = false;
  #closed = false;
  #debug: boolean;
  #exceptionHandler: ExceptionHandler | null = null;
  #taskFactory: TaskFactory | null = null;
  #sleeping = false;
  #wake: (() => void) | null = null;
  #sinceHostTurn = 0;
  #lastPark = 0;
  #executorShutdownCalled = false;
  readonly #record: LoopRecord;
  // Handed to every future this loop creates (read, never kept).
  readonly #futureOptions: { loop: AbstractEventLoop } = { loop: this };
  /** Seconds a callback may run before debug mode reports it as slow (0.1 as in asyncio). */
  slowCallbackDuration = 0.1;

  /** Creates a loop with the given clock and I/O driver. */
  constructor(options?: BaseEventLoopOptions) {
    this.#clock = options?.clock ?? new RealClock();
    this.#io = options?.ioDriver ?? new NullIoDriver();
    this.#debug = options?.debug ?? false;
    this.#record = { description: `<${new.target.name}>`, debug: this.#debug };
    unclosedLoops.register(this, this.#record, this);
  }

  // ----------------------------------------------------------------------
  // Running and stopping.

  /**
   * Runs the loop until `stop()` is called. Equivalent to `loop.run_forever()`.
   *
   * @throws {RuntimeError} The loop is closed, already running, or another loop is running.
   */
  async runForever(): Promise<void> {
    this.#checkClosed();
    this.#checkNotRunning();
    this.#running = true;
    setRunningLoop(this);
    globalThis.addEventListener("unhandledrejection", this.#onUnhandledRejection);
    try {
      // The driver runs outside any task's async context, so callbacks never
      // inherit the context of the task that happened to resume last.
      await frameStorage.exit(() => this.#drive());
    } finally {
      globalThis.removeEventListener("unhandledrejection", this.#onUnhandledRejection);
      this.#stopping = false;
      this.#running = false;
      setRunningLoop(null);
    }
  }

  /**
   * Runs the loop until `future` is done, and returns its result (or throws
   * its exception). A promise or function is wrapped in a task first.
   * Equivalent to `loop.run_until_complete()`.
   *
   * @throws {RuntimeError} The loop is closed or running, the future belongs
   *   to another loop, or the loop stopped before the future was done.
   */
  async runUntilComplete<T>(future: PromiseLike<T> | Future<T> | CoroutineFunction<T>): Promise<T> {
    this.#checkClosed();
    this.#checkNotRunning();
    if (future instanceof Future && future.getLoop() !== this) {
      throw new RuntimeError(
        "Cannot run until complete: the future belongs to a different loop than the one running",
      );
    }
    const fut = future instanceof Future ? future : ensureFuture(future, { loop: this });
    const stopWhenDone = (): void => this.stop();
    fut.addDoneCallback(stopWhenDone);
    try {
      await this.runForever();
    } finally {
      fut.removeDoneCallback(stopWhenDone);
    }
    if (!fut.done()) {
      throw new RuntimeError("Event loop stopped before Future completed");
    }
    return fut.result();
  }

  /** Stops the loop after the current iteration. Equivalent to `loop.stop()`. */
  stop(): void {
    this.#stopping = true;
    this.#wakeUp();
  }

  /** Whether the loop is running. */
  isRunning(): boolean {
    return this.#running;
  }

  /** Whether the loop was closed. */
  isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Closes the loop: drops pending callbacks and timers and releases the
   * clock's host timer and the I/O driver. Idempotent.
   *
   * @throws {RuntimeError} The loop is running.
   */
  close(): void {
    if (this.#running) throw new RuntimeError("Cannot close a running event loop");
    if (this.#closed) return;
    if (this.#debug) logger.debug(`Close ${this}`);
    // Report the tasks left pending before `isClosed()` silences reports.
    dropPendingTasks(this);
    this.#closed = true;
    unclosedLoops.unregister(this);
    this.#ready.clear();
    this.#timers.clear();
    this.#cancelledTimers = 0;
    this.#clock.cancel();
    this.#io.close();
  }

  /**
   * Resolves at once. JavaScript async generators have no loop hooks (no
   * `sys.set_asyncgen_hooks`): they are finalized by `for await` or by
   * calling `return()`, so there is nothing for the loop to close.
   * Equivalent to `loop.shutdown_asyncgens()`.
   */
  shutdownAsyncgens(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Shuts down the default executor. This loop has not created one (the
   * Worker executor lands with the executor work), so it resolves at once;
   * calling it marks the loop so `runInExecutor` refuses new work, as asyncio.
   * Equivalent to `loop.shutdown_default_executor()`.
   */
  shutdownDefaultExecutor(_timeout?: number): Promise<void> {
    this.#executorShutdownCalled = true;
    return Promise.resolve();
  }

  // ----------------------------------------------------------------------
  // Scheduling callbacks.

  /**
   * Schedules `callback(...args)` for the next iteration, FIFO. Equivalent to
   * `loop.call_soon()`.
   *
   * @throws {TypeError} `callback` is not a function.
   * @throws {RuntimeError} The loop is closed.
   */
  callSoon<A extends unknown[]>(callback: (...args: A) => void, ...args: A): Handle {
    return this.#callSoon(callback as AnyCallback, args, "callSoon");
  }

  /**
   * `callSoon` for callers outside the loop's callbacks (host event
   * listeners, promise callbacks): wakes a sleeping loop. In JavaScript every
   * `callSoon` already does, so the two are the same here. Equivalent to
   * `loop.call_soon_threadsafe()`.
   */
  callSoonThreadsafe<A extends unknown[]>(callback: (...args: A) => void, ...args: A): Handle {
    return this.#callSoon(callback as AnyCallback, args, "callSoonThreadsafe");
  }

  #callSoon(callback: AnyCallback, args: unknown[], method: string): Handle {
    this.#checkClosed();
    if (typeof callback !== "function") throw callbackTypeError(method, callback);
    const handle = new Handle(callback, args, this);
    this.#ready.push(handle);
    if (this.#sleeping) this.#wakeUp();
    return handle;
  }

  /**
   * Schedules `callback(...args)` after `delay` seconds. Equivalent to
   * `loop.call_later()`; a negative delay means "as soon as possible".
   *
   * @throws {TypeError} `callback` is not a function.
   * @throws {RangeError} `delay` is not a finite number.
   */
  callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => void,
    ...args: A
  ): TimerHandle {
    if (typeof delay !== "number" || !Number.isFinite(delay)) {
      throw new RangeError(
        `Cannot schedule callback as 'delay' must be a finite number of seconds: received ${
          String(delay)
        }`,
      );
    }
    return this.#callAt(this.time() + delay, callback, args, "callLater");
  }

  /**
   * Schedules `callback(...args)` at loop time `when` (see `time()`).
   * Equivalent to `loop.call_at()`.
   *
   * @throws {TypeError} `callback` is not a function.
   * @throws {RangeError} `when` is not a finite number.
   */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => void,
    ...args: A
  ): TimerHandle {
    return this.#callAt(when, callback, args, "callAt");
  }

  /** The loop's clock in seconds (monotonic). Equivalent to `loop.time()`. */
  time(): number {
    return this.#clock.now();
  }

  /** Appends a ready-made work item to the ready queue (internal). */
  [SCHEDULE](item: Runnable): void {
    this.#ready.push(item);
    if (this.#sleeping) this.#wakeUp();
  }

  /** Counts a cancelled timer so the heap is rebuilt when they dominate (internal). */
  _timerHandleCancelled(handle: TimerHandle): void {
    if (handle._scheduled) this.#cancelledTimers++;
  }

  // ----------------------------------------------------------------------
  // Futures and tasks.

  /** A new future on this loop. Equivalent to `loop.create_future()`. */
  createFuture<T>(): Future<T> {
    return new Future<T>(this.#futureOptions);
  }

  /**
   * Runs `fn` as a task on this loop, through the task factory if one is
   * set. Equivalent to `loop.create_task()`.
   *
   * @throws {TypeError} `fn` is not a function.
   * @throws {RuntimeError} The loop is closed.
   */
  createTask<T>(fn: CoroutineFunction<T>, options?: TaskOptions): Task<T> {
    this.#checkClosed();
    if (this.#taskFactory !== null) {
      const task = this.#taskFactory(this, fn, options);
      if (options?.name !== undefined) task.setName(options.name);
      return task;
    }
    // A task takes the running loop by default: skip copying the options then.
    if (runningLoopOrNull() === this && options?.eagerStart !== true) return new Task(fn, options);
    return new Task(fn, { ...options, loop: this });
  }

  /**
   * Sets the function `createTask` uses to make tasks; null restores the
   * default. Equivalent to `loop.set_task_factory()`.
   *
   * @throws {TypeError} `factory` is neither a function nor null.
   */
  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null && typeof factory !== "function") {
      throw new TypeError(
        `Cannot set task factory as 'factory' must be a function or null: received ${typeof factory}`,
      );
    }
    this.#taskFactory = factory;
  }

  /** The task factory, or null. Equivalent to `loop.get_task_factory()`. */
  getTaskFactory(): TaskFactory | null {
    return this.#taskFactory;
  }

  // ----------------------------------------------------------------------
  // Errors and debug mode.

  /**
   * Sets the handler of errors that no caller can receive (failing callbacks,
   * never-retrieved exceptions); null restores the default. Equivalent to
   * `loop.set_exception_handler()`.
   *
   * @throws {TypeError} `handler` is neither a function nor null.
   */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError(
        `Cannot set exception handler as 'handler' must be a function or null: received ${typeof handler}`,
      );
    }
    this.#exceptionHandler = handler;
  }

  /** The exception handler, or null. Equivalent to `loop.get_exception_handler()`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  /**
   * Logs `context` with the loop's logger (console by default). Equivalent to
   * `loop.default_exception_handler()`.
   */
  defaultExceptionHandler(context: ExceptionContext): void {
    const lines = [context.message || "Unhandled exception in event loop"];
    for (const key of Object.keys(context).sort()) {
      if (key === "message" || key === "exception" || context[key] === undefined) continue;
      lines.push(`${key}: ${String(context[key])}`);
    }
    if (context.exception !== undefined) logger.error(lines.join("\n"), context.exception);
    else logger.error(lines.join("\n"));
  }

  /**
   * Reports `context` to the exception handler, or the default one. An error
   * thrown by the handler is logged, never propagated. Equivalent to
   * `loop.call_exception_handler()`.
   */
  callExceptionHandler(context: ExceptionContext): void {
    const handler = this.#exceptionHandler;
    if (handler === null) {
      try {
        this.defaultExceptionHandler(context);
      } catch (err) {
        logger.error("Exception in default exception handler", err);
      }
      return;
    }
    try {
      handler(this, context);
    } catch (err) {
      try {
        this.defaultExceptionHandler({
          message: "Unhandled error in exception handler",
          exception: err,
          context: context.message,
        });
      } catch (err2) {
        logger.error("Exception in default exception handler", err2);
      }
    }
  }

  /** Whether debug mode is on. */
  getDebug(): boolean {
    return this.#debug;
  }

  /**
   * Turns debug mode on or off: slow-callback warnings, creation stacks of
   * handles, futures and tasks, the stack where each task suspended
   * (`getStack()`), pending tasks reported when garbage-collected, and a
   * warning for a loop dropped without `close()`.
   */
  setDebug(enabled: boolean): void {
    this.#debug = Boolean(enabled);
    this.#record.debug = this.#debug;
  }

  // ----------------------------------------------------------------------
  // Subsystems that land later.

  /**
   * Not available yet: the Worker executor lands with the executor work.
   *
   * @throws {NotImplementedError} Always, for now.
   */
  runInExecutor<A extends unknown[], R>(
    _executor: unknown,
    _func: (...args: A) => R,
    ..._args: A
  ): Future<R> {
    this.#checkClosed();
    if (this.#executorShutdownCalled) {
      throw new RuntimeError("Cannot run in executor: shutdownDefaultExecutor() was called");
    }
    throw notYet("runInExecutor", "the executor (Workers) work");
  }

  /**
   * Not available yet: the Worker executor lands with the executor work.
   *
   * @throws {NotImplementedError} Always, for now.
   */
  setDefaultExecutor(_executor: unknown): void {
    throw notYet("setDefaultExecutor", "the executor (Workers) work");
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  getaddrinfo(): Promise<unknown[]> {
    return Promise.reject(notYet("getaddrinfo", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  getnameinfo(): Promise<[string, string]> {
    return Promise.reject(notYet("getnameinfo", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  createConnection(
    _protocolFactory: () => unknown,
    _host?: string | null,
    _port?: number | null,
    _options?: Record<string, unknown>,
  ): Promise<[unknown, unknown]> {
    return Promise.reject(notYet("createConnection", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  createServer(
    _protocolFactory: () => unknown,
    _host?: string | string[] | null,
    _port?: number | null,
    _options?: Record<string, unknown>,
  ): Promise<unknown> {
    return Promise.reject(notYet("createServer", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  sendfile(): Promise<number> {
    return Promise.reject(notYet("sendfile", TRANSPORTS));
  }

  /**
   * Not available on any loop yet: upgrading a transport in place needs the
   * TLS-over-transport layer (TLS run over the transport's bytes, as
   * Python's `SSLProtocol`). Deno's own `Deno.startTls()` upgrades only a
   * client TCP conn with no read pending, while a transport keeps a read in
   * flight; and Deno has no server-side upgrade at all. For TLS from the
   * start, give `createConnection` or `createServer` the `ssl` option (see
   * `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Always, with that reason.
   */
  startTls(): Promise<unknown> {
    return Promise.reject(
      new NotImplementedError(
        "Cannot call loop.startTls(): upgrading a transport needs the TLS-over-transport layer, which does not exist yet (Deno.startTls() upgrades only a client TCP conn with no read pending, and Deno has no server-side upgrade); use the 'ssl' option of createConnection() or createServer()",
      ),
    );
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  createUnixConnection(
    _protocolFactory: () => unknown,
    _path?: string | null,
    _options?: Record<string, unknown>,
  ): Promise<[unknown, unknown]> {
    return Promise.reject(notYet("createUnixConnection", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  createUnixServer(
    _protocolFactory: () => unknown,
    _path?: string | null,
    _options?: Record<string, unknown>,
  ): Promise<unknown> {
    return Promise.reject(notYet("createUnixServer", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  connectAcceptedSocket(
    _protocolFactory: () => unknown,
    _sock: unknown,
    _options?: Record<string, unknown>,
  ): Promise<[unknown, unknown]> {
    return Promise.reject(notYet("connectAcceptedSocket", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the UDP work.
   */
  createDatagramEndpoint(): Promise<[unknown, unknown]> {
    return Promise.reject(notYet("createDatagramEndpoint", "the UDP work"));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  connectReadPipe(_protocolFactory: () => unknown, _pipe: unknown): Promise<[unknown, unknown]> {
    return Promise.reject(notYet("connectReadPipe", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  connectWritePipe(_protocolFactory: () => unknown, _pipe: unknown): Promise<[unknown, unknown]> {
    return Promise.reject(notYet("connectWritePipe", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the subprocess work.
   */
  subprocessShell(): Promise<[unknown, unknown]> {
    return Promise.reject(notYet("subprocessShell", "the subprocess work"));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the subprocess work.
   */
  subprocessExec(): Promise<[unknown, unknown]> {
    return Promise.reject(notYet("subprocessExec", "the subprocess work"));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Selector loop only; lands with the transports issue.
   */
  addReader<A extends unknown[]>(
    _sock: unknown,
    _callback: (...args: A) => void,
    ..._args: A
  ): void {
    throw notYet("addReader", TRANSPORTS);
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Selector loop only; lands with the transports issue.
   */
  removeReader(_sock: unknown): boolean {
    throw notYet("removeReader", TRANSPORTS);
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Selector loop only; lands with the transports issue.
   */
  addWriter<A extends unknown[]>(
    _sock: unknown,
    _callback: (...args: A) => void,
    ..._args: A
  ): void {
    throw notYet("addWriter", TRANSPORTS);
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Selector loop only; lands with the transports issue.
   */
  removeWriter(_sock: unknown): boolean {
    throw notYet("removeWriter", TRANSPORTS);
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  sockRecv(_sock: unknown, _nbytes: number): Promise<Uint8Array> {
    return Promise.reject(notYet("sockRecv", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  sockRecvInto(_sock: unknown, _buf: Uint8Array): Promise<number> {
    return Promise.reject(notYet("sockRecvInto", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the UDP work.
   */
  sockRecvfrom(): Promise<[Uint8Array, unknown]> {
    return Promise.reject(notYet("sockRecvfrom", "the UDP work"));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the UDP work.
   */
  sockRecvfromInto(): Promise<[number, unknown]> {
    return Promise.reject(notYet("sockRecvfromInto", "the UDP work"));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  sockSendall(_sock: unknown, _data: Uint8Array): Promise<void> {
    return Promise.reject(notYet("sockSendall", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the UDP work.
   */
  sockSendto(): Promise<number> {
    return Promise.reject(notYet("sockSendto", "the UDP work"));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  sockConnect(_sock: unknown, _address: unknown): Promise<void> {
    return Promise.reject(notYet("sockConnect", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  sockAccept(_sock: unknown): Promise<[unknown, unknown]> {
    return Promise.reject(notYet("sockAccept", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the transports issue.
   */
  sockSendfile(): Promise<number> {
    return Promise.reject(notYet("sockSendfile", TRANSPORTS));
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the signals work.
   */
  addSignalHandler(): void {
    throw notYet("addSignalHandler", "the signals work");
  }

  /**
   * Not available yet on this loop (see `docs/python_mapping.md`).
   *
   * @throws {NotImplementedError} Lands with the signals work.
   */
  removeSignalHandler(): boolean {
    throw notYet("removeSignalHandler", "the signals work");
  }

  /** A readable form, such as `<BaseEventLoop running=false closed=false debug=false>`. */
  toString(): string {
    return `<${this.constructor.name} running=${this.#running} closed=${this.#closed} debug=${this.#debug}>`;
  }

  // ----------------------------------------------------------------------
  // The driver.

  // The only place where callbacks are called. One pass of the outer loop is
  // one asyncio iteration (`_run_once`): wait if nothing is ready, move due
  // timers to the ready queue, then run the callbacks that were ready at that
  // point, FIFO; callbacks scheduled meanwhile wait for the next iteration,
  // so a callback that keeps rescheduling itself cannot starve timers.
  async #drive(): Promise<void> {
    const ready = this.#ready;
    const timers = this.#timers;
    const poll = this.#io.poll;
    for (;;) {
      if (ready.length === 0 && !this.#stopping) {
        // A driver that polls itself may catch I/O right here, on this thread.
        if (poll !== undefined) await this.#pollIdle(poll);
        // (Checked again: what ran meanwhile may have scheduled callbacks.)
        if (ready.length === 0 && !this.#stopping) await this.#waitForWork();
      } else if (poll !== undefined) {
        poll(0);
      }
      if (timers.length > 0) this.#collectDueTimers();
      const ntodo = ready.length;
      for (let i = 0; i < ntodo; i++) {
        const handle = ready.shift();
        if (handle.cancelled()) continue;
        if (this.#debug) this.#runTimed(handle);
        else handle._run();
        // The callback resumed tasks: let each run to its next suspension
        // before the next callback, as asyncio runs a task's step in one go.
        if (steps.resumed !== 0) {
          let turn = 0;
          do await null; while (steps.resumed !== 0 && ++turn < MAX_DRAIN_TURNS);
          if (steps.resumed !== 0) await this.#releaseBlockedTasks();
        }
      }
      if (this.#stopping) return;
      this.#sinceHostTurn += ntodo + 1;
      if (this.#io.parkingTurn !== undefined && this.#io.inFlight > 0 && this.#wantsPark()) {
        await this.#park();
      }
      if (
        this.#sinceHostTurn >=
          (this.#io.inFlight > 0 ? WORK_PER_HOST_TURN_WITH_IO : WORK_PER_HOST_TURN)
      ) {
        this.#sinceHostTurn = 0;
        await hostTurn();
      }
    }
  }

  // A loop that never idles (its driver polls I/O itself, as the epoll
  // selector does) gives the host only setImmediate turns, and Deno then
  // polls its own I/O only every 61 turns (tokio's event interval): its
  // sockets and signals waited 0.7 s under load. A turn in which the host
  // parks (the driver awaits a call run on another thread) polls them: the
  // driver says when one is due (the epoll selector: when Deno's own epoll
  // set has events, and every 5 ms for its timers), else one per
  // PARK_INTERVAL_MS of busy time bounds that latency. The check is
  // synchronous: no async call per iteration.
  #wantsPark(): boolean {
    const ms = performance.now() - this.#lastPark;
    const wants = this.#io.wantsParkingTurn;
    return wants === undefined ? ms >= PARK_INTERVAL_MS : wants(ms);
  }

  async #park(): Promise<void> {
    await this.#io.parkingTurn!();
    this.#lastPark = performance.now();
    this.#sinceHostTurn = 0;
  }

  // Resumed tasks still have not suspended: one awaits a foreign promise. A
  // host turn runs every queued microtask; whatever is still blocked after it
  // is blocked on the host, and stops being counted.
  async #releaseBlockedTasks(): Promise<void> {
    await hostTurn();
    this.#sinceHostTurn = 0;
    steps.resumed = 0;
    steps.generation++;
  }

  // Idle, with a driver that polls itself: a microtask turn first, so what
  // settled promises schedule is not held up by a blocking poll; then a poll
  // bounded by the next timer.
  async #pollIdle(poll: (timeout: number) => void): Promise<void> {
    await null;
    if (this.#ready.length > 0 || this.#stopping) return;
    // A cancelled timer at the top must not make the poll a mere check (timeout
    // 0, nothing parked) before a sleep until the next live timer.
    this.#dropCancelledTimers();
    const timers = this.#timers;
    poll(timers.length > 0 ? Math.max(0, timers.peekWhen() - this.#clock.now()) : Infinity);
  }

  #dropCancelledTimers(): void {
    const timers = this.#timers;
    while (timers.length > 0 && timers.peek().cancelled()) {
      timers.pop()._scheduled = false;
      this.#cancelledTimers--;
    }
  }

  async #waitForWork(): Promise<void> {
    const timers = this.#timers;
    this.#dropCancelledTimers();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#wake = resolve;
    this.#sleeping = true;
    if (timers.length > 0) this.#clock.sleepUntil(timers.peekWhen(), this.#wakeUp);
    await promise;
    this.#sinceHostTurn = 0;
  }

  #wakeUp = (): void => {
    if (!this.#sleeping) return;
    this.#sleeping = false;
    this.#clock.cancel();
    const wake = this.#wake!;
    this.#wake = null;
    wake();
  };

  #collectDueTimers(): void {
    const timers = this.#timers;
    if (
      timers.length > MIN_SCHEDULED_TIMER_HANDLES &&
      this.#cancelledTimers / timers.length > MIN_CANCELLED_TIMER_HANDLES_FRACTION
    ) {
      timers.filter((h) => {
        if (!h.cancelled()) return true;
        h._scheduled = false;
        return false;
      });
      this.#cancelledTimers = 0;
    }
    const now = this.#clock.now();
    const ready = this.#ready;
    while (timers.length > 0 && timers.peekWhen() <= now) {
      const handle = timers.pop();
      handle._scheduled = false;
      if (handle.cancelled()) this.#cancelledTimers--;
      else ready.push(handle);
    }
  }

  #runTimed(handle: Runnable): void {
    const t0 = performance.now();
    handle._run();
    const dt = (performance.now() - t0) / 1000;
    if (dt >= this.slowCallbackDuration) {
      logger.warn(`Executing ${handle} took ${dt.toFixed(3)} seconds`);
    }
  }

  #callAt(
    when: number,
    callback: AnyCallback,
    args: unknown[],
    method: string,
  ): TimerHandle {
    this.#checkClosed();
    if (typeof callback !== "function") throw callbackTypeError(method, callback);
    if (typeof when !== "number" || !Number.isFinite(when)) {
      throw new RangeError(
        `Cannot schedule callback as 'when' must be a finite loop time in seconds: received ${
          String(when)
        }`,
      );
    }
    const handle = new TimerHandle(when, callback, args, this);
    handle._scheduled = true;
    this.#timers.push(when, handle);
    // A new earliest deadline moves the wake-up of a sleeping loop forward.
    if (this.#sleeping && this.#timers.peek() === handle) {
      this.#clock.sleepUntil(when, this.#wakeUp);
    }
    return handle;
  }

  #onUnhandledRejection = (event: PromiseRejectionEvent): void => {
    // A fire-and-forget async helper inside a cancelled task rejects with
    // CancelledError that nobody awaits: that is the cancellation working.
    event.preventDefault();
    if (event.reason instanceof CancelledError) return;
    this.callExceptionHandler({
      message: "Unhandled promise rejection while the event loop was running",
      exception: event.reason,
    });
  };

  #checkClosed(): void {
    if (this.#closed) throw new RuntimeError("Event loop is closed");
  }

  #checkNotRunning(): void {
    if (this.#running) throw new RuntimeError("This event loop is already running");
    if (runningLoopOrNull() !== null) {
      throw new RuntimeError("Cannot run the event loop while another loop is running");
    }
  }
}

const TRANSPORTS = "issue 5, transports (TCP, Unix sockets, pipes)";

function notYet(method: string, area: string): NotImplementedError {
  return new NotImplementedError(
    `Cannot call loop.${method}(): it is not implemented yet, it lands with ${area}`,
  );
}

function callbackTypeError(method: string, callback: unknown): TypeError {
  return new TypeError(
    `Cannot schedule callback as the 'callback' of ${method}() must be a function: received ${
      callback === null ? "null" : typeof callback
    }`,
  );
}
