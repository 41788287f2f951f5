/**
 * {@linkcode Future}: a result that will be set later, awaitable like a
 * promise. Equivalent to Python's `asyncio.Future`.
 *
 * A future is a thenable, not a `Promise` subclass: `await fut` calls
 * `fut.then(...)` inside the awaiting task's async context, so the future
 * learns which task waits on it. That is what lets `task.cancel()` cancel the
 * future the task is suspended on and throw `CancelledError` at that `await`.
 *
 * Every callback (done callbacks and the reactions of `then`) runs from the
 * loop, through `callSoon`, never synchronously from `setResult`. A `then`
 * callback therefore behaves like a done callback: it runs outside any task,
 * in a snapshot of the context where `then` was called.
 *
 * @module
 */
import { type Context, copyContext, frameStorage } from "../loop/context.ts";
import { CancelledError, InvalidStateError, RuntimeError } from "../loop/exceptions.ts";
import { type AnyCallback, Handle, NO_ARGS, SCHEDULE } from "../loop/handle.ts";
import { getRunningLoop } from "../loop/current.ts";
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";

const PENDING = 0;
const FINISHED = 1;
const CANCELLED = 2;
type State = typeof PENDING | typeof FINISHED | typeof CANCELLED;
const STATE_NAMES = ["PENDING", "FINISHED", "CANCELLED"] as const;

/**
 * What a task implements so the futures it awaits can track it (internal).
 * Only tasks are stored in the async context, so a future reads its awaiter
 * from there.
 */
export interface Awaiter {
  /**
   * The task awaits `future`, which is pending. Returns the suspension's
   * epoch, or -1 when a pending cancellation must be delivered at once.
   */
  _suspendOn(future: Future<unknown>): number;
  /**
   * The task yields for one iteration (`sleep(0)`): a suspension on no
   * future. Returns its epoch, or -1 when a pending cancellation must be
   * delivered at once.
   */
  _yield(): number;
  /** The task awaits a done future: true when a pending cancellation must be delivered at once. */
  _takePendingCancel(): boolean;
  /**
   * A reaction registered in suspension `epoch` is settling: the task will
   * run. Returns true when a cancellation must be delivered instead of the
   * future's outcome.
   */
  _resumeFrom(epoch: number): boolean;
  /** The CancelledError to deliver for a pending cancellation. */
  _makeCancelledError(): CancelledError;
}

const noop = (): void => {};

/**
 * A scheduled reaction to a `then()` call (internal): settles the promise
 * `then()` returned, calling the caller's callbacks, and resumes the awaiting
 * task. It is a handle, so scheduling it allocates nothing more. Subclasses
 * say what the outcome is in `_invoke`.
 */
export abstract class ThenReaction extends Handle {
  /** Creates the reaction for one `then(onFulfilled, onRejected)` call. */
  constructor(
    loop: AbstractEventLoop,
    readonly onFulfilled: ((value: never) => unknown) | null | undefined,
    readonly onRejected: ((reason: unknown) => unknown) | null | undefined,
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
    readonly awaiter: Awaiter | undefined,
    readonly epoch: number,
  ) {
    super(noop, NO_ARGS, loop);
  }

  /** Settles with `value`, through `onFulfilled` if given. */
  protected _fulfill(value: unknown): void {
    const onFulfilled = this.onFulfilled as ((value: unknown) => unknown) | null | undefined;
    if (typeof onFulfilled !== "function") {
      this.resolve(value);
      return;
    }
    try {
      this.resolve(onFulfilled(value));
    } catch (err) {
      this.reject(err);
    }
  }

  /** Settles with `reason`, through `onRejected` if given. */
  protected _reject(reason: unknown): void {
    const onRejected = this.onRejected;
    if (typeof onRejected !== "function") {
      this.reject(reason);
      return;
    }
    try {
      this.resolve(onRejected(reason));
    } catch (err) {
      this.reject(err);
    }
  }

  /**
   * Resumes the awaiting task; true when a pending cancellation of the task
   * was delivered instead of the outcome.
   */
  protected _resumeAwaiter(): boolean {
    const awaiter = this.awaiter;
    if (awaiter !== undefined && awaiter._resumeFrom(this.epoch)) {
      this._reject(awaiter._makeCancelledError());
      return true;
    }
    return false;
  }
}

/**
 * Makes the promise a `then()` call returns, with its resolving functions
 * (internal; shared by futures and `sleep(0)`).
 */
export function derivedPromise<R>(): {
  promise: Promise<R>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
} {
  const { promise, resolve, reject } = Promise.withResolvers<R>();
  return { promise, resolve: resolve as (value: unknown) => void, reject };
}

// The reaction to a future's outcome.
class Reaction extends ThenReaction {
  constructor(
    readonly future: Future<unknown>,
    onFulfilled: ((value: never) => unknown) | null | undefined,
    onRejected: ((reason: unknown) => unknown) | null | undefined,
    resolve: (value: unknown) => void,
    reject: (reason: unknown) => void,
    awaiter: Awaiter | undefined,
    epoch: number,
  ) {
    super(future.getLoop(), onFulfilled, onRejected, resolve, reject, awaiter, epoch);
  }

  protected override _invoke(): void {
    if (this._resumeAwaiter()) return;
    const future = this.future;
    if (future.cancelled()) this._reject(cancelledErrorOf(future));
    else if (hasException(future)) this._reject(future.exception());
    else this._fulfill(resultOf(future));
  }
}

// A done callback registered with addDoneCallback, kept as a ready-made
// handle so completion only has to schedule it.
class DoneCallback extends Handle {
  constructor(
    readonly fn: AnyCallback,
    future: Future<unknown>,
    context: Context,
  ) {
    super(fn, [future], future.getLoop(), context);
  }
}

type Entry = Reaction | DoneCallback;

/** Options of {@linkcode Future}. */
export interface FutureOptions {
  /** The loop the future belongs to (default: the running loop). */
  loop?: AbstractEventLoop;
}

/** Options of {@linkcode Future.addDoneCallback}. */
export interface DoneCallbackOptions {
  /** The context the callback runs in (default: a copy of the current one). */
  context?: Context;
}

interface NeverRetrieved {
  loop: AbstractEventLoop;
  exception: unknown;
  description: string;
  sourceTraceback: string | undefined;
}

const neverRetrieved = new FinalizationRegistry<NeverRetrieved>((held) => {
  if (held.loop.isClosed()) return;
  held.loop.callExceptionHandler({
    message: `${held.description} exception was never retrieved`,
    exception: held.exception,
    sourceTraceback: held.sourceTraceback,
  });
});

let resultOf: (future: Future<unknown>) => unknown;
let hasException: (future: Future<unknown>) => boolean;
let cancelledErrorOf: (future: Future<unknown>) => CancelledError;

/**
 * A result that is set later. Equivalent to Python's `asyncio.Future`.
 *
 * Await it (`await fut`), or chain it (`fut.then(...)`). Completing it
 * (`setResult`, `setException`, `cancel`) schedules its callbacks on the loop.
 *
 * @typeParam T The result's type.
 *
 * @example Hand a result from a callback to a waiting coroutine
 * ```ts
 * import { run, getRunningLoop } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const answer = await run(async () => {
 *   const loop = getRunningLoop();
 *   const fut = loop.createFuture<number>();
 *   loop.callLater(0.01, () => fut.setResult(42));
 *   return await fut;
 * });
 * assert.equal(answer, 42);
 * ```
 */
export class Future<T> implements PromiseLike<T> {
  readonly #loop: AbstractEventLoop;
  #state: State = PENDING;
  #result: T | undefined = undefined;
  #exception: unknown = undefined;
  #hasException = false;
  #cancelMessage: string | undefined = undefined;
  #cancelledError: CancelledError | null = null;
  #first: Entry | null = null;
  #rest: Entry[] | null = null;
  #logTraceback = false;
  #sourceTraceback: string | undefined;

  /**
   * Creates a pending future.
   *
   * @throws {RuntimeError} No `loop` is given and no loop is running.
   */
  constructor(options?: FutureOptions) {
    this.#loop = options?.loop ?? getRunningLoop();
    if (this.#loop.getDebug()) this.#sourceTraceback = new Error().stack;
  }

  /** The loop the future belongs to. Equivalent to `Future.get_loop()`. */
  getLoop(): AbstractEventLoop {
    return this.#loop;
  }

  /** Whether the future is done (has a result, an exception, or was cancelled). */
  done(): boolean {
    return this.#state !== PENDING;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this.#state === CANCELLED;
  }

  /**
   * The result.
   *
   * @throws {CancelledError} The future was cancelled.
   * @throws {InvalidStateError} The future is not done yet.
   * @throws {unknown} The exception set with `setException`.
   */
  result(): T {
    if (this.#state === CANCELLED) throw this.#makeCancelledError();
    if (this.#state === PENDING) throw new InvalidStateError("Result is not ready");
    if (this.#hasException) {
      this.#retrieved();
      throw this.#exception;
    }
    return this.#result as T;
  }

  /**
   * The exception set with `setException`, or `undefined` if the future has a result.
   *
   * @throws {CancelledError} The future was cancelled.
   * @throws {InvalidStateError} The future is not done yet.
   */
  exception(): unknown {
    if (this.#state === CANCELLED) throw this.#makeCancelledError();
    if (this.#state === PENDING) throw new InvalidStateError("Exception is not set");
    this.#retrieved();
    return this.#exception;
  }

  /**
   * Sets the result and schedules the callbacks.
   *
   * @throws {InvalidStateError} The future is already done.
   */
  setResult(result: T): void {
    if (this.#state !== PENDING) {
      throw new InvalidStateError(`Cannot set result: future is ${STATE_NAMES[this.#state]}`);
    }
    this.#result = result;
    this.#state = FINISHED;
    this.#scheduleCallbacks();
  }

  /**
   * Sets an exception and schedules the callbacks.
   *
   * @throws {InvalidStateError} The future is already done.
   */
  setException(exception: unknown): void {
    if (this.#state !== PENDING) {
      throw new InvalidStateError(`Cannot set exception: future is ${STATE_NAMES[this.#state]}`);
    }
    this.#exception = exception;
    this.#hasException = true;
    this.#state = FINISHED;
    this.#logTraceback = true;
    neverRetrieved.register(this, {
      loop: this.#loop,
      exception,
      description: this.constructor.name,
      sourceTraceback: this.#sourceTraceback,
    }, this);
    this.#scheduleCallbacks();
  }

  /**
   * Cancels the future and schedules the callbacks. Returns false if it was
   * already done.
   */
  cancel(msg?: string): boolean {
    if (this.#state !== PENDING) return false;
    this.#state = CANCELLED;
    this.#cancelMessage = msg;
    this.#scheduleCallbacks();
    return true;
  }

  /**
   * Calls `fn(future)` from the loop once the future is done (at the next
   * iteration if it is done already). Equivalent to `Future.add_done_callback`.
   *
   * @throws {TypeError} `fn` is not a function.
   */
  addDoneCallback(fn: (future: this) => void, options?: DoneCallbackOptions): void {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot add done callback as 'fn' must be a function: received ${typeof fn}`,
      );
    }
    const entry = new DoneCallback(
      fn as AnyCallback,
      this as Future<unknown>,
      options?.context ?? copyContext(),
    );
    if (this.#state !== PENDING) this.#loop[SCHEDULE](entry);
    else this.#addEntry(entry);
  }

  /**
   * Removes every registration of `fn`; returns how many were removed.
   * Equivalent to `Future.remove_done_callback`.
   */
  removeDoneCallback(fn: (future: this) => void): number {
    let removed = 0;
    if (this.#first instanceof DoneCallback && this.#first.fn === fn) {
      this.#first = null;
      removed++;
    }
    if (this.#rest !== null) {
      const kept = this.#rest.filter((e) => !(e instanceof DoneCallback && e.fn === fn));
      removed += this.#rest.length - kept.length;
      this.#rest = kept;
    }
    return removed;
  }

  /**
   * Registers callbacks like `Promise.prototype.then`, and makes the future
   * awaitable. When a task awaits the future, the task is recorded as
   * waiting on it, so cancelling the task cancels this future.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const awaiter = frameStorage.getStore() as Awaiter | undefined;
    if (this.#state !== PENDING) {
      // Done already: settle without a loop iteration (asyncio does not suspend here).
      if (awaiter !== undefined && awaiter._takePendingCancel()) {
        return Promise.reject(awaiter._makeCancelledError()).then(onFulfilled, onRejected);
      }
      return this.#settledPromise().then(onFulfilled, onRejected);
    }
    let epoch = 0;
    if (awaiter !== undefined) {
      if (awaiter === (this as unknown)) {
        return Promise.reject(new RuntimeError(`Cannot await ${this}: a task cannot await itself`))
          .then(onFulfilled, onRejected);
      }
      epoch = awaiter._suspendOn(this as Future<unknown>);
      if (epoch < 0) {
        return Promise.reject(awaiter._makeCancelledError()).then(onFulfilled, onRejected);
      }
    }
    const { promise, resolve, reject } = derivedPromise<R1 | R2>();
    this.#addEntry(
      new Reaction(
        this as Future<unknown>,
        onFulfilled,
        onRejected,
        resolve,
        reject,
        awaiter,
        epoch,
      ),
    );
    return promise;
  }

  /** Like `Promise.prototype.catch`. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onRejected);
  }

  /** Like `Promise.prototype.finally`. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.then().finally(onFinally);
  }

  /** The stack where the future was created (debug mode only). */
  get sourceTraceback(): string | undefined {
    return this.#sourceTraceback;
  }

  /** A readable form, such as `<Future pending>` or `<Future finished result=42>`. */
  toString(): string {
    return `<${this.constructor.name} ${this._stateDescription()}>`;
  }

  /** The state part of `toString()`; tasks add their name and coroutine. */
  protected _stateDescription(): string {
    if (this.#state === PENDING) return "pending";
    if (this.#state === CANCELLED) return "cancelled";
    if (this.#hasException) return `finished exception=${String(this.#exception)}`;
    return `finished result=${String(this.#result)}`;
  }

  /**
   * Completes the future with a result even if it is a Task, which forbids
   * `setResult` from outside (internal).
   */
  protected _complete(result: T): void {
    this.#result = result;
    this.#state = FINISHED;
    this.#scheduleCallbacks();
  }

  /** Fails the future even if it is a Task (internal). */
  protected _fail(exception: unknown): void {
    Future.prototype.setException.call(this, exception);
  }

  /**
   * Cancels the future even if it is a Task; `error` becomes the
   * CancelledError awaiters see (internal).
   */
  protected _cancelWith(msg: string | undefined, error: CancelledError | null): boolean {
    if (this.#state !== PENDING) return false;
    this.#cancelledError = error;
    return Future.prototype.cancel.call(this, msg);
  }

  /** Whether the future is pending; subclasses' own state checks use it. */
  protected _isPending(): boolean {
    return this.#state === PENDING;
  }

  #makeCancelledError(): CancelledError {
    if (this.#cancelledError !== null) return this.#cancelledError;
    return new CancelledError(this.#cancelMessage);
  }

  #retrieved(): void {
    if (this.#logTraceback) {
      this.#logTraceback = false;
      neverRetrieved.unregister(this);
    }
  }

  #settledPromise(): Promise<T> {
    if (this.#state === CANCELLED) return Promise.reject(this.#makeCancelledError());
    if (this.#hasException) {
      this.#retrieved();
      return Promise.reject(this.#exception);
    }
    return Promise.resolve(this.#result as T);
  }

  #addEntry(entry: Entry): void {
    if (this.#first === null && this.#rest === null) this.#first = entry;
    else (this.#rest ??= []).push(entry);
  }

  #scheduleCallbacks(): void {
    const loop = this.#loop;
    const first = this.#first;
    const rest = this.#rest;
    this.#first = null;
    this.#rest = null;
    if (first !== null) loop[SCHEDULE](first);
    if (rest !== null) { for (let i = 0; i < rest.length; i++) loop[SCHEDULE](rest[i]); }
  }

  static {
    resultOf = (f) => f.#result;
    hasException = (f) => {
      if (!f.#hasException) return false;
      f.#retrieved();
      return true;
    };
    cancelledErrorOf = (f) => f.#makeCancelledError();
  }
}

/**
 * Whether `value` is a {@linkcode Future} (tasks included). Equivalent to
 * Python's `asyncio.isfuture`.
 *
 * @example
 * ```ts
 * import { isFuture, run, getRunningLoop } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   assert.ok(isFuture(getRunningLoop().createFuture()));
 *   assert.ok(!isFuture(Promise.resolve(1)));
 * });
 * ```
 */
export function isFuture(value: unknown): value is Future<unknown> {
  return value instanceof Future;
}
