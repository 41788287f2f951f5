/**
 * {@linkcode Task}: runs an async function as a cancellable unit of
 * concurrent work. Equivalent to Python's `asyncio.Task`.
 *
 * How cancellation reaches the right `await` (see `docs/architecture.md`):
 * each task runs its function inside `AsyncLocalStorage.run(task, ...)`, so
 * every future it awaits sees the task in `then()` and records it. The set of
 * futures the task is suspended on (one, or several under `Promise.all`) is
 * replaced at each new suspension. `cancel()` cancels those futures, which
 * throws `CancelledError` at the `await`; when the task is not suspended on a
 * loop future, the request is remembered and delivered at its next await of
 * one, as asyncio delivers it at the next step.
 *
 * @module
 */
import {
  type Context,
  contextOf,
  currentVars,
  frameStorage,
  outsideCallbackContext,
  type VarMap,
  varsOfContext,
} from "../loop/context.ts";
import { CancelledError, RuntimeError } from "../loop/exceptions.ts";
import { type Runnable, SCHEDULE } from "../loop/handle.ts";
import { runningLoopOrNull, steps } from "../loop/current.ts";
import type { AbstractEventLoop, CoroutineFunction } from "../loop/abstract_event_loop.ts";
import { type Awaiter, detachReactions, Future } from "./future.ts";

/** Options of `createTask`. Equivalent to the keyword arguments of Python's `create_task`. */
export interface TaskOptions {
  /** The task's name (default `Task-N`). */
  name?: string;
  /** The context the task runs in (default: a copy of the current one). */
  context?: Context;
  /** Run the first step at once, synchronously, as Python's `eager_start=True`. */
  eagerStart?: boolean;
}

const INITIAL = 0;
const RUNNING = 1;
const SUSPENDED = 2;
const DONE = 3;
type Phase = typeof INITIAL | typeof RUNNING | typeof SUSPENDED | typeof DONE;

let taskCounter = 0;

interface DestroyedPending {
  loop: AbstractEventLoop;
  name: string | number;
  fnName: string;
  sourceTraceback: string | undefined;
  ref: WeakRef<Task<unknown>>;
}

// Tasks are tracked per loop for allTasks() on a strong intrusive list (no
// allocation per task). A pending task is therefore never garbage-collected
// while its loop lives: when the loop closes, the tasks still pending are
// reported as destroyed, as Python reports them at shutdown. In debug mode a
// task moves to weak tracking at its first suspension on a pending future
// (only then can it become unreachable), so a task lost while the loop runs
// is reported when it is collected. Weak tracking costs about 400 bytes and
// a FinalizationRegistry cell per task, which is why it is for debugging.
interface Registry {
  head: Task<unknown> | null;
  weak: Set<WeakRef<Task<unknown>>>;
}
const registries = new WeakMap<AbstractEventLoop, Registry>();

// The last registry used: tasks are created and finish on one loop at a time.
let lastLoop: AbstractEventLoop | null = null;
let lastRegistry: Registry | null = null;

function registryOf(loop: AbstractEventLoop): Registry {
  if (loop === lastLoop) return lastRegistry!;
  let registry = registries.get(loop);
  if (registry === undefined) {
    registry = { head: null, weak: new Set() };
    registries.set(loop, registry);
  }
  lastLoop = loop;
  lastRegistry = registry;
  return registry;
}

function describeTask(name: string | number, fnName: string): string {
  return `<Task pending name='${typeof name === "number" ? `Task-${name}` : name}' fn=${
    fnName || "<anonymous>"
  }()>`;
}

const destroyedPending = new FinalizationRegistry<DestroyedPending>((held) => {
  registries.get(held.loop)?.weak.delete(held.ref);
  if (held.loop.isClosed()) return;
  held.loop.callExceptionHandler({
    message: `Task was destroyed but it is pending: ${describeTask(held.name, held.fnName)}`,
    sourceTraceback: held.sourceTraceback,
  });
});

// A task's first step as a ready-made work item. It enters no callback
// context: the step runs inside the task's frame, which provides the task's
// context, and the step catches the body's errors itself.
class TaskStep implements Runnable {
  constructor(readonly task: Task<unknown>) {}

  cancelled(): boolean {
    return false;
  }

  _run(): void {
    stepTask(this.task);
  }

  toString(): string {
    return `<TaskStep ${this.task}>`;
  }
}

// Accessors of Task's private state for this module, set in its static block.
let stepTask: (task: Task<unknown>) => void;
let runBody: (task: Task<unknown>) => unknown;
let finishTask: (task: Task<unknown>, ok: boolean, value: unknown) => void;

// Runs inside the task's frame, so the reactions registered on a native
// promise run there too and find the task in the frame: no closure per task.
function startBody(task: Task<unknown>): void {
  const result = runBody(task);
  if (result instanceof Promise) {
    result.then(bodyFulfilled, bodyRejected);
  } else if (
    result !== null && typeof result === "object" &&
    typeof (result as PromiseLike<unknown>).then === "function"
  ) {
    // A future or other thenable: its callbacks may run outside the frame.
    (result as PromiseLike<unknown>).then(
      (value) => finishTask(task, true, value),
      (err) => finishTask(task, false, err),
    );
  } else {
    finishTask(task, true, result);
  }
}

function runInFrame(task: Task<unknown>): void {
  frameStorage.run(task, startBody, task);
}

function bodyFulfilled(value: unknown): void {
  finishTask(frameStorage.getStore() as Task<unknown>, true, value);
}

function bodyRejected(err: unknown): void {
  finishTask(frameStorage.getStore() as Task<unknown>, false, err);
}

// What few tasks need, kept out of the task object.
interface TaskExtra {
  abort: AbortController | null;
  suspendedAt: string | undefined;
  cancelMessage: string | undefined;
}

function newExtra(): TaskExtra {
  return { abort: null, suspendedAt: undefined, cancelMessage: undefined };
}
let pendingTasksOf: (loop: AbstractEventLoop) => Set<Task<unknown>>;

/**
 * A coroutine (async function) running on the loop. Equivalent to Python's
 * `asyncio.Task`. Create tasks with `createTask`, not with `new`.
 *
 * @typeParam T The function's result type.
 *
 * @example Start work, then cancel it
 * ```ts
 * import { CancelledError, createTask, run, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   let cleanedUp = false;
 *   const task = createTask(async () => {
 *     try {
 *       await sleep(3600);
 *     } finally {
 *       cleanedUp = true;
 *     }
 *   }, { name: "sleeper" });
 *   await sleep(0);
 *   task.cancel("no time");
 *   await assert.rejects(async () => await task, CancelledError);
 *   assert.ok(task.cancelled() && cleanedUp);
 * });
 * ```
 */
export class Task<T> extends Future<T> implements Awaiter {
  readonly #fn: CoroutineFunction<T>;
  // A number until read: "Task-N" is built on demand.
  #name: string | number;
  // The task's own context, made from the creation-time snapshot `#vars` on
  // demand (most tasks never touch a context variable).
  #context: Context | null;
  #vars: VarMap | null;
  #phase: Phase = INITIAL;
  // Whether this task counts in `steps.resumed` (valid only while
  // #runGeneration is the current generation).
  #counted = false;
  #runGeneration = 0;
  // Resumptions pending from awaits of done futures: the task goes on in a
  // microtask without a loop iteration, so its step is not over yet.
  #immediates = 0;
  // The generation in which a cancellation was delivered by detaching the
  // task's reactions (see cancel()), or -1.
  #cancelDeliveredAt = -1;
  #epoch = 0;
  #waiter: Future<unknown> | null = null;
  #moreWaiters: Future<unknown>[] | null = null;
  #mustCancel = false;
  #cancelRequests = 0;
  #extra: TaskExtra | null = null;
  // Registry membership: on the strong list (prev/next) or weakly tracked.
  #prev: Task<unknown> | null = null;
  #next: Task<unknown> | null = null;
  #weakRef: WeakRef<Task<unknown>> | null = null;

  /**
   * Creates a task and schedules its first step. Prefer `createTask`, which
   * honours the loop's task factory.
   *
   * @throws {TypeError} `fn` is not a function.
   */
  constructor(fn: CoroutineFunction<T>, options?: TaskOptions & { loop?: AbstractEventLoop }) {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot create task as 'fn' must be a function (an async function to run): received ${
          describeValue(fn)
        }; to wrap a promise, use ensureFuture()`,
      );
    }
    const loop = options?.loop ?? runningLoopOrNull();
    if (loop === null) throw new RuntimeError("Cannot create task: no running event loop");
    super({ loop });
    this.#fn = fn;
    this.#name = options?.name ?? ++taskCounter;
    const context = options?.context;
    if (context === undefined) {
      this.#context = null;
      this.#vars = currentVars();
    } else {
      this.#context = context;
      this.#vars = null;
    }
    const registry = registryOf(loop);
    const head = registry.head;
    this.#next = head;
    if (head !== null) head.#prev = this;
    registry.head = this;
    if (options?.eagerStart) outsideCallbackContext(stepTask, this as Task<unknown>);
    else loop[SCHEDULE](new TaskStep(this));
  }

  /** The task's name. Equivalent to `Task.get_name()`. */
  getName(): string {
    const name = this.#name;
    return typeof name === "number" ? `Task-${name}` : name;
  }

  /** Renames the task. Equivalent to `Task.set_name()`. */
  setName(name: string): void {
    this.#name = String(name);
  }

  /** The function the task runs (Python's `Task.get_coro()` returns the coroutine). */
  getCoro(): CoroutineFunction<T> {
    return this.#fn;
  }

  /** The context the task runs in. Equivalent to `Task.get_context()`. */
  getContext(): Context {
    if (this.#context === null) {
      this.#context = contextOf(this.#vars!);
      this.#vars = null;
    }
    return this.#context;
  }

  /** @internal The task's context variables, without making its Context. */
  _contextVars(): VarMap {
    return this.#context === null ? this.#vars! : varsOfContext(this.#context);
  }

  /**
   * An `AbortSignal` that aborts when the task is cancelled, for APIs such as
   * `fetch(url, { signal })` that JavaScript code cancels with signals. Read
   * it where you pass it: once the task un-cancels (for example when a
   * `timeout` block absorbs the cancellation), a fresh signal replaces the
   * aborted one.
   */
  get signal(): AbortSignal {
    const extra = this.#extra ??= newExtra();
    if (extra.abort === null || (extra.abort.signal.aborted && this.#cancelRequests === 0)) {
      extra.abort = new AbortController();
      if (this.#cancelRequests > 0 && !this.done()) extra.abort.abort(this._makeCancelledError());
    }
    return extra.abort.signal;
  }

  /**
   * Requests cancellation: throws `CancelledError` (carrying `msg`) into the
   * task at the `await` it is suspended on, or at its next await of a loop
   * future. Returns false if the task is already done. Repeated requests are
   * counted by {@linkcode cancelling}.
   */
  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    this.#cancelRequests++;
    const abort = this.#extra?.abort;
    if (abort != null && !abort.signal.aborted) abort.abort(new CancelledError(msg));
    if (this.#phase === SUSPENDED) {
      // The futures of this suspension are the ones to cancel (asyncio
      // cancels the future a task waits on).
      let cancelled = false;
      if (this.#waiter !== null && this.#waiter.cancel(msg)) cancelled = true;
      const more = this.#moreWaiters;
      if (more !== null) {
        for (let i = 0; i < more.length; i++) if (more[i].cancel(msg)) cancelled = true;
      }
      if (cancelled) return true;
    } else if (this.#phase === RUNNING && !this.#isCounted()) {
      // Resumed by one of several futures but not running: either still
      // blocked in a Promise.all over the others, or gone on to a foreign
      // await (the others being Promise.race losers that may be shared).
      // Reject only this task's own reactions on the pending ones: that
      // interrupts a Promise.all and leaves everyone else's futures alone.
      // If the task runs on from that rejection within the drain, that was
      // the delivery; if not, the request below is delivered at its next await.
      this.#detachWaiters(msg);
    }
    this.#mustCancel = true;
    if (msg !== undefined || this.#extra !== null) (this.#extra ??= newExtra()).cancelMessage = msg;
    return true;
  }

  /** The number of pending cancellation requests. Equivalent to `Task.cancelling()`. */
  cancelling(): number {
    return this.#cancelRequests;
  }

  /**
   * Withdraws one cancellation request and returns the remaining count.
   * Equivalent to `Task.uncancel()`; used by `timeout` and `TaskGroup` to
   * absorb the cancellations they made themselves.
   */
  uncancel(): number {
    if (this.#cancelRequests > 0) {
      this.#cancelRequests--;
      if (this.#cancelRequests === 0) this.#mustCancel = false;
    }
    return this.#cancelRequests;
  }

  /**
   * Where the task is suspended, as stack frames (most recent last). In
   * debug mode this is the stack of the await the task last suspended at;
   * otherwise JavaScript keeps no suspended frames and the list is empty.
   * Equivalent to `Task.get_stack()`.
   */
  getStack(options?: { limit?: number }): string[] {
    const suspendedAt = this.#extra?.suspendedAt;
    if (suspendedAt === undefined || this.done()) return [];
    // V8 lists the newest frame first; asyncio's stacks go oldest to newest.
    const frames = suspendedAt.split("\n").slice(1).map((line) => line.trim())
      .filter((line) => !line.includes("/tasks/future.ts") && !line.includes("/tasks/task.ts"))
      .reverse();
    // With a limit, a stack keeps its newest frames (as asyncio's).
    const limit = options?.limit;
    return limit === undefined ? frames : frames.slice(Math.max(0, frames.length - limit));
  }

  /** Writes the stack of {@linkcode getStack} to the console. Equivalent to `Task.print_stack()`. */
  printStack(options?: { limit?: number }): void {
    const frames = this.getStack(options);
    console.log(`Stack for ${this}:${frames.length === 0 ? " no frames" : ""}`);
    for (const frame of frames) console.log(`  ${frame}`);
  }

  /**
   * Not supported: a task's result comes from its function.
   *
   * @throws {RuntimeError} Always.
   */
  override setResult(_result: T): never {
    throw new RuntimeError("Cannot set result: Task does not support set_result operation");
  }

  /**
   * Not supported: a task's exception comes from its function.
   *
   * @throws {RuntimeError} Always.
   */
  override setException(_exception: unknown): never {
    throw new RuntimeError("Cannot set exception: Task does not support set_exception operation");
  }

  /** A readable form, such as `<Task pending name='Task-1' fn=main()>`. */
  override toString(): string {
    return `<Task ${this._stateDescription()} name='${this.getName()}' fn=${
      this.#fn.name || "<anonymous>"
    }()>`;
  }

  /** @internal See {@linkcode Awaiter._suspendOn}. */
  _suspendOn(future: Future<unknown>): number {
    if (this.#phase === SUSPENDED) {
      (this.#moreWaiters ??= []).push(future);
      return this.#epoch;
    }
    this.#settleDelivery();
    this.#suspend();
    this.#waiter = future;
    if (this.getLoop().getDebug()) {
      if (this.#weakRef === null) this.#trackWeakly();
      (this.#extra ??= newExtra()).suspendedAt = new Error().stack;
    }
    return this.#epoch;
  }

  /** @internal See {@linkcode Awaiter._deliverPendingCancel}. */
  _deliverPendingCancel(future: Future<unknown>): void {
    if (this.#mustCancel && this.#waiter === future && future.cancel(this.#extra?.cancelMessage)) {
      this.#mustCancel = false;
    }
  }

  /** @internal See {@linkcode Awaiter._yield}. */
  _yield(): number {
    if (this.#phase !== SUSPENDED) this.#settleDelivery();
    if (this.#mustCancel && this.#phase !== SUSPENDED) {
      this.#mustCancel = false;
      return -1;
    }
    this.#suspend();
    return this.#epoch;
  }

  /** @internal See {@linkcode Awaiter._takePendingCancel}. */
  _takePendingCancel(): boolean {
    if (!this.#mustCancel || this.#phase === SUSPENDED) return false;
    this.#mustCancel = false;
    return true;
  }

  /** @internal See {@linkcode Awaiter._expectImmediate}. */
  _expectImmediate(): void {
    this.#immediates++;
  }

  /** @internal See {@linkcode Awaiter._immediateArrived}. */
  _immediateArrived(): void {
    this.#immediates--;
    if (this.#phase === DONE) return;
    // The await resolved without a loop iteration: the task runs on, even if
    // it had meanwhile registered on another future (Promise.race).
    this.#phase = RUNNING;
    this.#count();
  }

  /** @internal See {@linkcode Awaiter._detachedRejection}. */
  _detachedRejection(): void {
    if (this.#phase !== RUNNING) return;
    this.#count();
    this.#cancelDeliveredAt = steps.generation;
  }

  /** @internal See {@linkcode Awaiter._resumeFrom}. */
  _resumeFrom(epoch: number): boolean {
    if (epoch !== this.#epoch || this.#phase === DONE) return false;
    this.#phase = RUNNING;
    this.#count();
    if (this.#mustCancel) {
      this.#mustCancel = false;
      return true;
    }
    return false;
  }

  /** @internal The CancelledError for a pending cancellation, with its message. */
  _makeCancelledError(): CancelledError {
    return new CancelledError(this.#extra?.cancelMessage);
  }

  /** Runs the first step: the body, until its first suspension. */
  #step(): void {
    if (this.#mustCancel) {
      // Cancelled before it started: the body never runs.
      this.#mustCancel = false;
      this.#phase = DONE;
      this.#untrack();
      this._cancelWith(this.#extra?.cancelMessage, null);
      return;
    }
    this.#phase = RUNNING;
    this.#count();
    try {
      // A task with a context object runs its step inside `context.run`, as
      // asyncio's, which marks the context entered; others skip the cost.
      if (this.#context === null) frameStorage.run(this, startBody, this);
      else this.#context.run(runInFrame, this as Task<unknown>);
    } catch (err) {
      this.#finish(false, err);
    }
  }

  #finish(ok: boolean, value: unknown): void {
    this.#settleDelivery();
    this.#uncount();
    this.#phase = DONE;
    this.#waiter = null;
    this.#moreWaiters = null;
    this.#untrack();
    if (ok) {
      if (this.#mustCancel) {
        // Cancelled right before the function returned: asyncio cancels the task.
        this.#mustCancel = false;
        this._cancelWith(this.#extra?.cancelMessage, null);
      } else {
        this._complete(value as T);
      }
    } else if (value instanceof CancelledError) {
      this._cancelWith(value.message || undefined, value);
    } else {
      this._fail(value);
    }
  }

  // A new suspension: the step is over (unless an await of a done future is
  // about to resume the task), and the waiter set starts afresh.
  #suspend(): void {
    if (this.#immediates === 0) this.#uncount();
    this.#phase = SUSPENDED;
    this.#waiter = null;
    this.#moreWaiters = null;
    this.#epoch++;
  }

  #isCounted(): boolean {
    return this.#counted && this.#runGeneration === steps.generation;
  }

  // A cancellation delivered by detaching reactions (cancel()) counts as
  // delivered if the task ran within the same drain; then the remembered
  // request must not be delivered a second time.
  #settleDelivery(): void {
    if (this.#cancelDeliveredAt === -1) return;
    if (this.#cancelDeliveredAt === steps.generation && this.#isCounted()) this.#mustCancel = false;
    this.#cancelDeliveredAt = -1;
  }

  #detachWaiters(msg: string | undefined): void {
    const error = new CancelledError(msg);
    const waiter = this.#waiter;
    if (waiter !== null && !waiter.done()) detachReactions(waiter, this, this.#epoch, error);
    const more = this.#moreWaiters;
    if (more !== null) {
      for (const f of more) if (!f.done()) detachReactions(f, this, this.#epoch, error);
    }
  }

  #count(): void {
    if (this.#isCounted()) return;
    this.#counted = true;
    this.#runGeneration = steps.generation;
    steps.resumed++;
  }

  #uncount(): void {
    if (!this.#counted) return;
    this.#counted = false;
    if (this.#runGeneration === steps.generation) steps.resumed--;
  }

  #trackWeakly(): void {
    const loop = this.getLoop();
    const registry = registryOf(loop);
    this.#unlink(registry);
    const ref = new WeakRef<Task<unknown>>(this);
    this.#weakRef = ref;
    registry.weak.add(ref);
    destroyedPending.register(this, {
      loop,
      name: this.#name,
      fnName: this.#fn.name,
      sourceTraceback: this.sourceTraceback,
      ref,
    }, this);
  }

  #untrack(): void {
    const registry = registryOf(this.getLoop());
    if (this.#weakRef !== null) {
      registry.weak.delete(this.#weakRef);
      destroyedPending.unregister(this);
      this.#weakRef = null;
    } else {
      this.#unlink(registry);
    }
  }

  #unlink(registry: Registry): void {
    const prev = this.#prev, next = this.#next;
    if (prev !== null) prev.#next = next;
    else if (registry.head === this) registry.head = next;
    if (next !== null) next.#prev = prev;
    this.#prev = this.#next = null;
  }

  static {
    stepTask = (task) => task.#step();
    runBody = (task) => task.#fn();
    finishTask = (task, ok, value) => task.#finish(ok, value);
    pendingTasksOf = (loop) => {
      const registry = registries.get(loop);
      const tasks = new Set<Task<unknown>>();
      if (registry === undefined) return tasks;
      for (let t = registry.head; t !== null; t = t.#next) if (!t.done()) tasks.add(t);
      for (const ref of registry.weak) {
        const t = ref.deref();
        if (t !== undefined && !t.done()) tasks.add(t);
      }
      return tasks;
    };
  }
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object" && typeof (value as PromiseLike<unknown>).then === "function") {
    return "a promise or thenable (it is already running)";
  }
  return typeof value;
}

/**
 * Reports the tasks of `loop` still pending as destroyed and forgets them
 * (internal: the loop calls this from `close()`).
 */
export function dropPendingTasks(loop: AbstractEventLoop): void {
  const pending = pendingTasksOf(loop);
  registries.delete(loop);
  if (lastLoop === loop) lastLoop = lastRegistry = null;
  for (const task of pending) {
    loop.callExceptionHandler({
      message: `Task was destroyed but it is pending: ${task}`,
      task,
      sourceTraceback: task.sourceTraceback,
    });
  }
}

/**
 * The task running now, or `undefined` outside any task. Equivalent to
 * Python's `asyncio.current_task()`.
 *
 * @example
 * ```ts
 * import { createTask, currentTask, run } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const task = createTask(async () => currentTask()?.getName(), { name: "worker" });
 *   assert.equal(await task, "worker");
 * });
 * ```
 */
export function currentTask(): Task<unknown> | undefined {
  return frameStorage.getStore() as Task<unknown> | undefined;
}

/**
 * The pending tasks of `loop` (default: the running loop). Equivalent to
 * Python's `asyncio.all_tasks()`.
 *
 * @throws {RuntimeError} No `loop` is given and no loop is running.
 *
 * @example
 * ```ts
 * import { allTasks, createTask, run, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const t = createTask(() => sleep(0.01));
 *   assert.ok(allTasks().has(t));
 *   await t;
 * });
 * ```
 */
export function allTasks(loop?: AbstractEventLoop): Set<Task<unknown>> {
  const target = loop ?? runningLoopOrNull();
  if (target === null) throw new RuntimeError("Cannot list tasks: no running event loop");
  return pendingTasksOf(target);
}
