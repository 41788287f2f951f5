/**
 * {@linkcode Future}: a result that will be set later, awaitable like a
 * promise. Equivalent to Python's `asyncio.Future`.
 *
 * A future is a thenable, not a `Promise` subclass: `await fut` calls
 * `fut.then(...)` inside the awaiting task's async context, so the future
 * learns which task waits on it. That is what lets `task.cancel()` cancel the
 * future the task is suspended on and throw `CancelledError` at that `await`.
 *
 * No callback runs synchronously from `setResult`. Done callbacks always run
 * from the loop, through the ready queue; so do the reactions of `then` on a
 * pending future, and such a callback behaves like a done callback: it runs
 * outside any task, in a snapshot of the context where `then` was called.
 * On a future already done, `then` settles in a microtask, without a loop
 * iteration (as `await` of a done future resumes the task).
 *
 * `then()` returns a {@linkcode FutureChain}, a lazy promise: `await fut`
 * never looks at it, so the common path allocates no promise; chaining on it
 * (`.then`, `.catch`, `.finally`, `await`) makes a real promise on demand. A
 * rejection that nothing has chained yet still surfaces as an unhandled
 * rejection, as a native promise's would.
 *
 * @module
 */
import {
  type Context,
  type ContextFrame,
  currentVars,
  currentVarsWithFrame,
  enterCallbackContext,
  exitCallbackContext,
  frameStorage,
  type VarMap,
} from "../loop/context.ts";
import { CancelledError, InvalidStateError, RuntimeError } from "../loop/exceptions.ts";
import { type AnyCallback, describeCallback, type Runnable, SCHEDULE } from "../loop/handle.ts";
import { getRunningLoop } from "../loop/current.ts";
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";

const PENDING = 0;
const RESULT = 1;
const EXCEPTION = 2;
const CANCELLED = 3;
type State = typeof PENDING | typeof RESULT | typeof EXCEPTION | typeof CANCELLED;
const STATE_NAMES = ["PENDING", "FINISHED", "FINISHED", "CANCELLED"] as const;

/**
 * What a task implements so the futures it awaits can track it (internal).
 * Only tasks are stored in the async context, so a future reads its awaiter
 * from there.
 */
export interface Awaiter {
  /** The task awaits `future`, which is pending. Returns the suspension's epoch. */
  _suspendOn(future: Future<unknown>): number;
  /**
   * The task's reaction on `future` is registered: a cancellation requested
   * while the task ran cancels that future, as asyncio's step does.
   */
  _deliverPendingCancel(future: Future<unknown>): void;
  /**
   * The task yields for one iteration (`sleep(0)`): a suspension on no
   * future. Returns its epoch, or -1 when a pending cancellation must be
   * delivered at once.
   */
  _yield(): number;
  /** The task awaits a done future: true when a pending cancellation must be delivered at once. */
  _takePendingCancel(): boolean;
  /** The task awaits a done future: it will go on in a microtask, without a loop iteration. */
  _expectImmediate(): void;
  /** The await of a done future resolved: the task runs on. */
  _immediateArrived(): void;
  /**
   * A reaction registered in suspension `epoch` is settling: the task will
   * run. Returns true when a cancellation must be delivered instead of the
   * future's outcome.
   */
  _resumeFrom(epoch: number): boolean;
  /** The CancelledError to deliver for a pending cancellation. */
  _makeCancelledError(): CancelledError;
  /**
   * A reaction detached by the task's cancellation (see `detachReactions`)
   * is rejecting now: if the task runs on from it, the cancellation was
   * delivered.
   */
  _detachedRejection(): void;
  /** The task's loop: a task may only await futures of its own loop. */
  getLoop(): AbstractEventLoop;
}

/**
 * What `Future.then` returns: a promise-like value that becomes a real
 * `Promise` only when something chains on it.
 */
export interface FutureChain<T> extends PromiseLike<T> {
  /** Like `Promise.prototype.catch`. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R>;
  /** Like `Promise.prototype.finally`. */
  finally(onFinally?: (() => void) | null): Promise<T>;
}

const noop = (): void => {};

type OnFulfilled = ((value: never) => unknown) | null | undefined;
type OnRejected = ((reason: unknown) => unknown) | null | undefined;

const PENDING_CHAIN = 0;
const CHAINED = 1;
const FULFILLED = 2;
const REJECTED = 3;

// The real promise behind a reaction once something chains on it.
interface Chain {
  promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * A scheduled reaction to a `then()` call (internal), which is also the
 * {@linkcode FutureChain} that call returns: it calls the caller's callbacks
 * with the outcome, settles the chain, and resumes the awaiting task. It is
 * the ready queue's work item itself, kept small: `await` creates one per
 * suspension. Subclasses say what the outcome is in `_invoke`.
 */
export abstract class ThenReaction<T> implements FutureChain<T>, Runnable {
  #onFulfilled: OnFulfilled;
  #onRejected: OnRejected;
  readonly #awaiter: Awaiter | undefined;
  readonly #epoch: number;
  // The context snapshot `then()` was called in, for the caller's callbacks
  // (null when they are resolving functions the library made itself).
  readonly #vars: VarMap | null;
  // PENDING_CHAIN, then CHAINED (#value is the Chain) or FULFILLED/REJECTED
  // (#value is the outcome, kept for a chain made later).
  #state = PENDING_CHAIN;
  #value: unknown = undefined;

  /**
   * Creates the reaction for one `then(onFulfilled, onRejected)` call;
   * `internal` when the callbacks are resolving functions the library made
   * (no user code runs, so no context snapshot is taken). The awaiter is the
   * current frame, which the snapshot is read from.
   */
  constructor(
    onFulfilled: OnFulfilled,
    onRejected: OnRejected,
    awaiter: Awaiter | undefined,
    epoch: number,
    internal = false,
  ) {
    this.#onFulfilled = onFulfilled;
    this.#onRejected = onRejected;
    this.#awaiter = awaiter;
    this.#epoch = epoch;
    this.#vars = internal ? null : currentVarsWithFrame(awaiter as ContextFrame | undefined);
  }

  /** Reactions are never cancelled; their future is. */
  cancelled(): boolean {
    return false;
  }

  /** Runs the reaction in the caller's context; only the loop calls this. */
  _run(): void {
    enterCallbackContext(null, this.#vars);
    try {
      this._invoke();
    } finally {
      exitCallbackContext();
    }
  }

  /** Settles the reaction from its outcome. */
  protected abstract _invoke(): void;

  /** Settles with `value`, through `onFulfilled` if given. */
  protected _fulfill(value: unknown): void {
    const onFulfilled = this.#onFulfilled as ((value: unknown) => unknown) | null | undefined;
    this.#onFulfilled = this.#onRejected = null;
    if (typeof onFulfilled !== "function") {
      this.#settle(FULFILLED, value);
      return;
    }
    let next: unknown;
    try {
      next = onFulfilled(value);
    } catch (err) {
      this.#settle(REJECTED, err);
      return;
    }
    this.#settle(FULFILLED, next);
  }

  /** Settles with `reason`, through `onRejected` if given. */
  protected _reject(reason: unknown): void {
    const onRejected = this.#onRejected;
    this.#onFulfilled = this.#onRejected = null;
    if (typeof onRejected !== "function") {
      this.#settle(REJECTED, reason);
      return;
    }
    let next: unknown;
    try {
      next = onRejected(reason);
    } catch (err) {
      this.#settle(REJECTED, err);
      return;
    }
    this.#settle(FULFILLED, next);
  }

  /**
   * Resumes the awaiting task. Returns the CancelledError to deliver instead
   * of the outcome when the task's cancellation was requested meanwhile, or
   * null.
   */
  protected _resumeAwaiter(): CancelledError | null {
    const awaiter = this.#awaiter;
    if (awaiter !== undefined && awaiter._resumeFrom(this.#epoch)) {
      return awaiter._makeCancelledError();
    }
    return null;
  }

  /** Tells the awaiting task that a detached rejection is being delivered (internal). */
  protected _notifyDetached(): void {
    this.#awaiter?._detachedRejection();
  }

  /** Whether the reaction was registered by `awaiter` in suspension `epoch` (internal). */
  _belongsTo(awaiter: Awaiter, epoch: number): boolean {
    return this.#awaiter === awaiter && this.#epoch === epoch;
  }

  /** Chains on the outcome, like `Promise.prototype.then`. */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#asPromise().then(onFulfilled, onRejected);
  }

  /** Like `Promise.prototype.catch`. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#asPromise().catch(onRejected);
  }

  /** Like `Promise.prototype.finally`. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#asPromise().finally(onFinally);
  }

  /** A readable form for debug messages. */
  toString(): string {
    return `<${this.constructor.name}>`;
  }

  #settle(state: typeof FULFILLED | typeof REJECTED, value: unknown): void {
    if (this.#state === CHAINED) {
      const chain = this.#value as Chain;
      if (state === FULFILLED) chain.resolve(value);
      else chain.reject(value);
      return;
    }
    this.#state = state;
    this.#value = value;
    // Nothing chained yet: a rejection, or a thenable that may reject, gets a
    // real promise now so an unhandled rejection is reported, never lost.
    const thenable = value !== null && (typeof value === "object" || typeof value === "function") &&
      typeof (value as PromiseLike<unknown>).then === "function";
    if (state === REJECTED || thenable) this.#asPromise();
  }

  #asPromise(): Promise<T> {
    const state = this.#state;
    if (state === CHAINED) return (this.#value as Chain).promise as Promise<T>;
    let chain: Chain;
    if (state === FULFILLED) {
      const promise = Promise.resolve(this.#value);
      chain = { promise, resolve: noop, reject: noop };
    } else if (state === REJECTED) {
      const promise = Promise.reject(this.#value);
      chain = { promise, resolve: noop, reject: noop };
    } else {
      chain = Promise.withResolvers<unknown>();
    }
    this.#state = CHAINED;
    this.#value = chain;
    return chain.promise as Promise<T>;
  }
}

// The reaction to a future's outcome.
class Reaction<T> extends ThenReaction<T> {
  readonly #future: Future<unknown>;
  // Set when the awaiting task's cancellation detaches this reaction from a
  // future that stays pending (see `detachReactions`).
  #forced: CancelledError | null = null;

  constructor(
    future: Future<unknown>,
    onFulfilled: OnFulfilled,
    onRejected: OnRejected,
    awaiter: Awaiter | undefined,
    epoch: number,
  ) {
    super(onFulfilled, onRejected, awaiter, epoch);
    this.#future = future;
  }

  /** Rejects the reaction with `error` when it runs, whatever the future does (internal). */
  _force(error: CancelledError): void {
    this.#forced = error;
  }

  protected override _invoke(): void {
    if (this.#forced !== null) {
      this._notifyDetached();
      this._reject(this.#forced);
      return;
    }
    const cancel = this._resumeAwaiter();
    const future = this.#future;
    const state = stateOf(future);
    // The future's own cancellation wins: it carries the first message.
    if (state === CANCELLED) this._reject(cancelledErrorOf(future));
    else if (cancel !== null) this._reject(cancel);
    else if (state === RESULT) this._fulfill(valueOf(future));
    else this._reject(future.exception());
  }
}

// A done callback, kept as a ready-made work item so completion only has to
// schedule it. Internal callbacks (gather, wait, timeouts) run in no context
// of their own (`context` null and no snapshot).
class DoneCallback implements Runnable {
  readonly #context: Context | null;
  readonly #vars: VarMap | null;

  constructor(
    readonly fn: AnyCallback,
    readonly future: Future<unknown>,
    context: Context | null | undefined,
  ) {
    this.#context = context ?? null;
    this.#vars = context === undefined ? currentVars() : null;
  }

  cancelled(): boolean {
    return false;
  }

  _run(): void {
    try {
      enterCallbackContext(this.#context, this.#vars);
      this.fn(this.future);
    } catch (exception) {
      this.future.getLoop().callExceptionHandler({
        message: `Exception in callback ${describeCallback(this.fn)}`,
        exception,
        future: this.future,
      });
    } finally {
      exitCallbackContext();
    }
  }

  toString(): string {
    return `<DoneCallback ${describeCallback(this.fn)}>`;
  }
}

type Entry = ThenReaction<unknown> | DoneCallback;

/** Options of {@linkcode Future}. */
export interface FutureOptions {
  /** The loop the future belongs to (default: the running loop). */
  loop?: AbstractEventLoop;
}

/** Options of {@linkcode Future.addDoneCallback}. */
export interface DoneCallbackOptions {
  /** The context the callback runs in (default: a snapshot of the current one). */
  context?: Context;
}

// What the registry keeps to report a failed future nobody read. An error
// object is held weakly: it may reference the future (an error made inside a
// task keeps the task's frames), and a strong reference here would keep both
// alive forever. Its text is kept to report it once it is gone too.
interface NeverRetrieved {
  loop: AbstractEventLoop;
  exception: WeakRef<object> | { value: unknown };
  // The error's name, message and stack, to report it once it is collected.
  name: string;
  text: string;
  stack: string | undefined;
  description: string;
  sourceTraceback: string | undefined;
}

const neverRetrieved = new FinalizationRegistry<NeverRetrieved>((held) => {
  if (held.loop.isClosed()) return;
  const ref = held.exception;
  let exception = ref instanceof WeakRef ? ref.deref() : ref.value;
  if (exception === undefined) {
    const stand = new Error(held.text);
    stand.name = held.name;
    if (held.stack !== undefined) stand.stack = held.stack;
    exception = stand;
  }
  held.loop.callExceptionHandler({
    message: `${held.description} exception was never retrieved`,
    exception,
    sourceTraceback: held.sourceTraceback,
  });
});

// Accessors of Future's private state for this module, set in its static block.
let stateOf: (future: Future<unknown>) => State;
let valueOf: (future: Future<unknown>) => unknown;
let cancelledErrorOf: (future: Future<unknown>) => CancelledError;
let detach: (
  future: Future<unknown>,
  awaiter: Awaiter,
  epoch: number,
  error: CancelledError,
) => boolean;
let addInternalDoneCallback: (
  future: Future<unknown>,
  fn: (future: Future<unknown>) => void,
) => void;

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
  // The result, the exception, or (cancelled) the CancelledError to throw or
  // the cancel message.
  #value: unknown = undefined;
  #first: Entry | null = null;
  #rest: Entry[] | null = null;
  #logTraceback = false;
  #sourceTraceback: string | undefined = undefined;

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
    const state = this.#state;
    if (state === RESULT) return this.#value as T;
    if (state === CANCELLED) throw this.#makeCancelledError();
    if (state === PENDING) throw new InvalidStateError("Result is not ready");
    this.#retrieved();
    throw this.#value;
  }

  /**
   * The exception set with `setException`, or `undefined` if the future has a result.
   *
   * @throws {CancelledError} The future was cancelled.
   * @throws {InvalidStateError} The future is not done yet.
   */
  exception(): unknown {
    const state = this.#state;
    if (state === RESULT) return undefined;
    if (state === CANCELLED) throw this.#makeCancelledError();
    if (state === PENDING) throw new InvalidStateError("Exception is not set");
    this.#retrieved();
    return this.#value;
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
    this.#value = result;
    this.#state = RESULT;
    this.#scheduleCallbacks();
  }

  /**
   * Sets an exception and schedules the callbacks. If nothing retrieves it
   * before the future is garbage-collected, the loop's exception handler
   * reports "exception was never retrieved".
   *
   * @throws {InvalidStateError} The future is already done.
   */
  setException(exception: unknown): void {
    if (this.#state !== PENDING) {
      throw new InvalidStateError(`Cannot set exception: future is ${STATE_NAMES[this.#state]}`);
    }
    this.#value = exception;
    this.#state = EXCEPTION;
    this.#logTraceback = true;

    const isObject = exception !== null &&
      (typeof exception === "object" || typeof exception === "function");
    neverRetrieved.register(this, {
      loop: this.#loop,
      exception: isObject ? new WeakRef(exception as object) : { value: exception },
      name: exception instanceof Error ? exception.name : "Error",
      text: exception instanceof Error ? exception.message : String(exception),
      stack: exception instanceof Error ? exception.stack : undefined,
      description: this.constructor.name,
      sourceTraceback: this.#sourceTraceback,
    }, this);
    this.#scheduleCallbacks();
  }

  /**
   * Cancels the future and schedules the callbacks. Returns false if it was
   * already done. `msg` travels in the `CancelledError` awaiters see.
   */
  cancel(msg?: string): boolean {
    // As asyncio: cancelling marks an exception retrieved, even when done.
    this.#retrieved();
    if (this.#state !== PENDING) return false;
    this.#state = CANCELLED;
    this.#value = msg;
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
    this.#addDone(fn as AnyCallback, options?.context);
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
  ): FutureChain<R1 | R2> {
    const awaiter = frameStorage.getStore() as Awaiter | undefined;
    if (this.#state !== PENDING) {
      // Done already: settle without a loop iteration (asyncio does not suspend here).
      if (awaiter === undefined) return this.#settledPromise().then(onFulfilled, onRejected);
      if (awaiter._takePendingCancel()) {
        return Promise.reject(awaiter._makeCancelledError()).then(onFulfilled, onRejected);
      }
      // The task goes on in a microtask: its step is not over until then.
      awaiter._expectImmediate();
      return this.#settledPromise().then(
        (value) => {
          awaiter._immediateArrived();
          return typeof onFulfilled === "function" ? onFulfilled(value) : value as unknown as R1;
        },
        (reason) => {
          awaiter._immediateArrived();
          if (typeof onRejected === "function") return onRejected(reason);
          throw reason;
        },
      );
    }
    let epoch = 0;
    if (awaiter !== undefined) {
      if (awaiter === (this as unknown)) {
        return Promise.reject(new RuntimeError(`Cannot await ${this}: a task cannot await itself`))
          .then(onFulfilled, onRejected);
      }
      if (awaiter.getLoop() !== this.#loop) {
        return Promise.reject(
          new RuntimeError(
            `Cannot await ${this}: it is attached to a different loop than the task`,
          ),
        ).then(onFulfilled, onRejected);
      }
      epoch = awaiter._suspendOn(this as Future<unknown>);
    }
    if (typeof onRejected === "function") this.#retrieved();
    const reaction = new Reaction<R1 | R2>(
      this as Future<unknown>,
      onFulfilled,
      onRejected,
      awaiter,
      epoch,
    );
    this.#addEntry(reaction as ThenReaction<unknown>);
    awaiter?._deliverPendingCancel(this as Future<unknown>);
    return reaction;
  }

  /** Like `Promise.prototype.catch`. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return Promise.resolve(this.then(undefined, onRejected));
  }

  /** Like `Promise.prototype.finally`. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return Promise.resolve(this.then()).finally(onFinally);
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
    switch (this.#state) {
      case PENDING:
        return "pending";
      case CANCELLED:
        return "cancelled";
      case EXCEPTION:
        return `finished exception=${String(this.#value)}`;
      default:
        return `finished result=${String(this.#value)}`;
    }
  }

  /**
   * Completes the future with a result even if it is a Task, which forbids
   * `setResult` from outside (internal).
   */
  protected _complete(result: T): void {
    Future.prototype.setResult.call(this, result);
  }

  /** Fails the future even if it is a Task (internal). */
  protected _fail(exception: unknown): void {
    Future.prototype.setException.call(this, exception);
  }

  /**
   * Cancels the future even if it is a Task; `error`, if given, is the
   * CancelledError awaiters see (internal).
   */
  protected _cancelWith(msg: string | undefined, error: CancelledError | null): boolean {
    if (this.#state !== PENDING) return false;
    this.#state = CANCELLED;
    this.#value = error ?? msg;
    this.#scheduleCallbacks();
    return true;
  }

  #addDone(fn: AnyCallback, context: Context | null | undefined): void {
    const entry = new DoneCallback(fn, this as Future<unknown>, context);
    if (this.#state !== PENDING) this.#loop[SCHEDULE](entry);
    else this.#addEntry(entry);
  }

  #makeCancelledError(): CancelledError {
    const value = this.#value;
    if (value instanceof CancelledError) return value;
    return new CancelledError(value as string | undefined);
  }

  #retrieved(): void {
    if (this.#logTraceback) {
      this.#logTraceback = false;
      neverRetrieved.unregister(this);
    }
  }

  #settledPromise(): Promise<T> {
    const state = this.#state;
    if (state === RESULT) return Promise.resolve(this.#value as T);
    if (state === CANCELLED) return Promise.reject(this.#makeCancelledError());
    this.#retrieved();
    return Promise.reject(this.#value);
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
    stateOf = (f) => f.#state;
    valueOf = (f) => f.#value;
    cancelledErrorOf = (f) => f.#makeCancelledError();
    addInternalDoneCallback = (f, fn) => f.#addDone(fn as AnyCallback, null);
    detach = (f, awaiter, epoch, error) => {
      let found = false;
      const keep = (entry: Entry): boolean => {
        if (!(entry instanceof Reaction) || !entry._belongsTo(awaiter, epoch)) return true;
        entry._force(error);
        f.#loop[SCHEDULE](entry);
        found = true;
        return false;
      };
      if (f.#first !== null && !keep(f.#first)) f.#first = null;
      if (f.#rest !== null) f.#rest = f.#rest.filter(keep);
      return found;
    };
  }
}

/**
 * Adds a done callback that runs in no context of its own (internal: gather,
 * wait and the other combinators, whose callbacks read no context variables,
 * skip the context snapshot `addDoneCallback` takes).
 */
export function onDone<T>(future: Future<T>, fn: (future: Future<T>) => void): void {
  addInternalDoneCallback(future as Future<unknown>, fn as (future: Future<unknown>) => void);
}

/**
 * Rejects, with `error`, the reactions `awaiter` registered on the pending
 * `future` in suspension `epoch`, and removes them from it; the future
 * itself stays pending for its other awaiters. Returns whether there were
 * any (internal: how a task's cancellation reaches a `Promise.all` it is
 * still blocked in without cancelling futures others may await).
 */
export function detachReactions(
  future: Future<unknown>,
  awaiter: Awaiter,
  epoch: number,
  error: CancelledError,
): boolean {
  return detach(future, awaiter, epoch, error);
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
