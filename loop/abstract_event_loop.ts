/**
 * The event loop interface: every method of Python's
 * `asyncio.AbstractEventLoop`, in camelCase, with times in seconds.
 *
 * @module
 */
import type { Handle, Runnable, SCHEDULE, TimerHandle } from "./handle.ts";
import type { Future } from "../tasks/future.ts";
import type { Task, TaskOptions } from "../tasks/task.ts";

/** A coroutine: the async function a task runs (Python's coroutine object). */
export type CoroutineFunction<T> = () => PromiseLike<T> | T;

/** What `setTaskFactory` takes: makes a task for `fn` on `loop`. */
export type TaskFactory = <T>(
  loop: AbstractEventLoop,
  fn: CoroutineFunction<T>,
  options?: TaskOptions,
) => Task<T>;

/**
 * What the loop passes to an exception handler. Equivalent to the `context`
 * dict of Python's `loop.call_exception_handler`.
 */
export interface ExceptionContext {
  /** What went wrong, in words. */
  message: string;
  /** The error, if there is one. */
  exception?: unknown;
  /** The future involved, if any. */
  future?: Future<unknown>;
  /** The task involved, if any. */
  task?: Task<unknown>;
  /** The handle whose callback failed, if any. */
  handle?: Handle;
  /** The protocol involved, if any. */
  protocol?: unknown;
  /** The transport involved, if any. */
  transport?: unknown;
  /** The socket involved, if any. */
  socket?: unknown;
  /** The stack where the object involved was created (debug mode). */
  sourceTraceback?: string;
  /** Further keys, as Python allows. */
  [key: string]: unknown;
}

/** An exception handler: receives the loop and what went wrong. */
export type ExceptionHandler = (loop: AbstractEventLoop, context: ExceptionContext) => void;

/**
 * Python's `asyncio.AbstractEventLoop`. Methods whose subsystem has not landed
 * yet throw `NotImplementedError` naming it.
 */
export interface AbstractEventLoop {
  // Running and stopping.

  /** Runs until `stop()` is called. Equivalent to `loop.run_forever()`. */
  runForever(): Promise<void>;
  /**
   * Runs until `future` is done and returns its result; a promise is
   * wrapped, a function is run as a task. Equivalent to `loop.run_until_complete()`.
   */
  runUntilComplete<T>(future: PromiseLike<T> | Future<T> | CoroutineFunction<T>): Promise<T>;
  /** Stops the loop after the current iteration. Equivalent to `loop.stop()`. */
  stop(): void;
  /** Whether the loop is running. Equivalent to `loop.is_running()`. */
  isRunning(): boolean;
  /** Whether the loop was closed. Equivalent to `loop.is_closed()`. */
  isClosed(): boolean;
  /** Closes the loop, dropping pending callbacks. Equivalent to `loop.close()`. */
  close(): void;
  /** Closes every open async generator. Equivalent to `loop.shutdown_asyncgens()`. */
  shutdownAsyncgens(): Promise<void>;
  /** Shuts down the default executor. Equivalent to `loop.shutdown_default_executor()`. */
  shutdownDefaultExecutor(timeout?: number): Promise<void>;

  // Scheduling callbacks.

  /**
   * Schedules `callback(...args)` for the next iteration, in a snapshot of the
   * current context. Equivalent to `loop.call_soon()`; for Python's
   * `context=` argument, schedule inside `context.run(() => loop.callSoon(cb))`.
   */
  callSoon<A extends unknown[]>(callback: (...args: A) => void, ...args: A): Handle;
  /** `callSoon` that is safe to call from outside the loop's callbacks. Equivalent to `loop.call_soon_threadsafe()`. */
  callSoonThreadsafe<A extends unknown[]>(callback: (...args: A) => void, ...args: A): Handle;
  /** Schedules `callback(...args)` after `delay` seconds. Equivalent to `loop.call_later()`. */
  callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => void,
    ...args: A
  ): TimerHandle;
  /** Schedules `callback(...args)` at loop time `when`. Equivalent to `loop.call_at()`. */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => void,
    ...args: A
  ): TimerHandle;
  /** The loop's monotonic clock, in seconds. Equivalent to `loop.time()`. */
  time(): number;
  /**
   * Appends a ready-made work item to the ready queue (internal: how futures
   * and tasks schedule their reactions without extra allocation).
   */
  [SCHEDULE](item: Runnable): void;

  // Futures and tasks.

  /** A new future bound to this loop. Equivalent to `loop.create_future()`. */
  createFuture<T>(): Future<T>;
  /** Runs `fn` as a task. Equivalent to `loop.create_task()`. */
  createTask<T>(fn: CoroutineFunction<T>, options?: TaskOptions): Task<T>;
  /** Sets the factory `createTask` uses (null restores the default). Equivalent to `loop.set_task_factory()`. */
  setTaskFactory(factory: TaskFactory | null): void;
  /** The task factory, or null. Equivalent to `loop.get_task_factory()`. */
  getTaskFactory(): TaskFactory | null;

  // Executors.

  /** Runs `func(...args)` in an executor. Equivalent to `loop.run_in_executor()`. */
  runInExecutor<A extends unknown[], R>(
    executor: unknown,
    func: (...args: A) => R,
    ...args: A
  ): Future<R>;
  /** Sets the default executor. Equivalent to `loop.set_default_executor()`. */
  setDefaultExecutor(executor: unknown): void;

  // Name resolution.

  /** Resolves a host and port. Equivalent to `loop.getaddrinfo()`. */
  getaddrinfo(
    host: string | null,
    port: string | number | null,
    options?: Record<string, unknown>,
  ): Promise<unknown[]>;
  /** Reverse-resolves an address. Equivalent to `loop.getnameinfo()`. */
  getnameinfo(sockaddr: [string, number], flags?: number): Promise<[string, string]>;

  // Networking and I/O.

  /** Opens a stream connection. Equivalent to `loop.create_connection()`. */
  createConnection(
    protocolFactory: () => unknown,
    host?: string | null,
    port?: number | null,
    options?: Record<string, unknown>,
  ): Promise<[unknown, unknown]>;
  /** Starts a stream server. Equivalent to `loop.create_server()`. */
  createServer(
    protocolFactory: () => unknown,
    host?: string | string[] | null,
    port?: number | null,
    options?: Record<string, unknown>,
  ): Promise<unknown>;
  /** Sends a file over a transport. Equivalent to `loop.sendfile()`. */
  sendfile(
    transport: unknown,
    file: unknown,
    offset?: number,
    count?: number | null,
    options?: Record<string, unknown>,
  ): Promise<number>;
  /**
   * Upgrades a connection to TLS. Equivalent to `loop.start_tls()`; not
   * available yet (it needs the TLS-over-transport layer: see
   * `BaseEventLoop.startTls`).
   */
  startTls(
    transport: unknown,
    protocol: unknown,
    sslcontext: unknown,
    options?: Record<string, unknown>,
  ): Promise<unknown>;
  /** Opens a Unix socket connection. Equivalent to `loop.create_unix_connection()`. */
  createUnixConnection(
    protocolFactory: () => unknown,
    path?: string | null,
    options?: Record<string, unknown>,
  ): Promise<[unknown, unknown]>;
  /** Starts a Unix socket server. Equivalent to `loop.create_unix_server()`. */
  createUnixServer(
    protocolFactory: () => unknown,
    path?: string | null,
    options?: Record<string, unknown>,
  ): Promise<unknown>;
  /** Wraps an accepted connection. Equivalent to `loop.connect_accepted_socket()`. */
  connectAcceptedSocket(
    protocolFactory: () => unknown,
    sock: unknown,
    options?: Record<string, unknown>,
  ): Promise<[unknown, unknown]>;
  /** Opens a datagram endpoint. Equivalent to `loop.create_datagram_endpoint()`. */
  createDatagramEndpoint(
    protocolFactory: () => unknown,
    localAddr?: [string, number] | string | null,
    remoteAddr?: [string, number] | string | null,
    options?: Record<string, unknown>,
  ): Promise<[unknown, unknown]>;

  // Pipes and subprocesses.

  /** Wraps the read end of a pipe. Equivalent to `loop.connect_read_pipe()`. */
  connectReadPipe(protocolFactory: () => unknown, pipe: unknown): Promise<[unknown, unknown]>;
  /** Wraps the write end of a pipe. Equivalent to `loop.connect_write_pipe()`. */
  connectWritePipe(protocolFactory: () => unknown, pipe: unknown): Promise<[unknown, unknown]>;
  /** Runs a shell command. Equivalent to `loop.subprocess_shell()`. */
  subprocessShell(
    protocolFactory: () => unknown,
    cmd: string,
    options?: Record<string, unknown>,
  ): Promise<[unknown, unknown]>;
  /** Runs a program. Equivalent to `loop.subprocess_exec()`. */
  subprocessExec(
    protocolFactory: () => unknown,
    program: string,
    args?: string[],
    options?: Record<string, unknown>,
  ): Promise<[unknown, unknown]>;

  // Readiness callbacks (selector loop).

  /** Calls `callback(...args)` whenever `fd` is readable. Equivalent to `loop.add_reader()`. */
  addReader<A extends unknown[]>(fd: unknown, callback: (...args: A) => void, ...args: A): void;
  /** Stops watching `fd` for reading. Equivalent to `loop.remove_reader()`. */
  removeReader(fd: unknown): boolean;
  /** Calls `callback(...args)` whenever `fd` is writable. Equivalent to `loop.add_writer()`. */
  addWriter<A extends unknown[]>(fd: unknown, callback: (...args: A) => void, ...args: A): void;
  /** Stops watching `fd` for writing. Equivalent to `loop.remove_writer()`. */
  removeWriter(fd: unknown): boolean;

  // Socket operations.

  /** Receives up to `nbytes`. Equivalent to `loop.sock_recv()`. */
  sockRecv(sock: unknown, nbytes: number): Promise<Uint8Array>;
  /** Receives into `buf`. Equivalent to `loop.sock_recv_into()`. */
  sockRecvInto(sock: unknown, buf: Uint8Array): Promise<number>;
  /** Receives a datagram. Equivalent to `loop.sock_recvfrom()`. */
  sockRecvfrom(sock: unknown, bufsize: number): Promise<[Uint8Array, unknown]>;
  /** Receives a datagram into `buf`. Equivalent to `loop.sock_recvfrom_into()`. */
  sockRecvfromInto(sock: unknown, buf: Uint8Array, nbytes?: number): Promise<[number, unknown]>;
  /** Sends all of `data`. Equivalent to `loop.sock_sendall()`. */
  sockSendall(sock: unknown, data: Uint8Array): Promise<void>;
  /** Sends a datagram. Equivalent to `loop.sock_sendto()`. */
  sockSendto(sock: unknown, data: Uint8Array, address: unknown): Promise<number>;
  /** Connects a socket. Equivalent to `loop.sock_connect()`. */
  sockConnect(sock: unknown, address: unknown): Promise<void>;
  /** Accepts a connection. Equivalent to `loop.sock_accept()`. */
  sockAccept(sock: unknown): Promise<[unknown, unknown]>;
  /** Sends a file over a socket. Equivalent to `loop.sock_sendfile()`. */
  sockSendfile(
    sock: unknown,
    file: unknown,
    offset?: number,
    count?: number | null,
    options?: Record<string, unknown>,
  ): Promise<number>;

  // Signals.

  /** Calls `callback(...args)` when `sig` arrives. Equivalent to `loop.add_signal_handler()`. */
  addSignalHandler<A extends unknown[]>(
    sig: string,
    callback: (...args: A) => void,
    ...args: A
  ): void;
  /** Removes the handler of `sig`. Equivalent to `loop.remove_signal_handler()`. */
  removeSignalHandler(sig: string): boolean;

  // Errors and debug mode.

  /** Sets the exception handler (null restores the default). Equivalent to `loop.set_exception_handler()`. */
  setExceptionHandler(handler: ExceptionHandler | null): void;
  /** The exception handler, or null. Equivalent to `loop.get_exception_handler()`. */
  getExceptionHandler(): ExceptionHandler | null;
  /** The default handler: logs the context. Equivalent to `loop.default_exception_handler()`. */
  defaultExceptionHandler(context: ExceptionContext): void;
  /** Reports `context` to the exception handler. Equivalent to `loop.call_exception_handler()`. */
  callExceptionHandler(context: ExceptionContext): void;
  /** Whether debug mode is on. Equivalent to `loop.get_debug()`. */
  getDebug(): boolean;
  /** Turns debug mode on or off. Equivalent to `loop.set_debug()`. */
  setDebug(enabled: boolean): void;
  /** Seconds after which debug mode reports a slow callback. Equivalent to `loop.slow_callback_duration`. */
  slowCallbackDuration: number;
}
