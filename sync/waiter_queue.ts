/**
 * The wait queue under every primitive of `sync/` and under the queues: one
 * FIFO, cancellation-aware queue of waiting tasks,
 * like trio's `ParkingLot` and tokio's batch semaphore.
 *
 * Design note.
 *
 * - **Fairness.** Waiters are woken strictly in arrival order. A wake-up
 *   hands the resource itself to the woken waiter (lock ownership, a
 *   semaphore permit, a claim on a queue item, a free queue slot), so a
 *   task that arrives between the wake-up and the woken task's resumption
 *   finds nothing free and queues behind. (asyncio gets the same order by making
 *   newcomers wait while a woken waiter is still in its list.)
 * - **Cancellation before the wake-up.** A waiter is a loop future; when its
 *   task is cancelled, `Task.cancel()` cancels it, and its `cancel()` unlinks
 *   it at once, so it is never handed anything. `size` counts only waiters
 *   that can still be woken.
 * - **The race.** A waiter may be woken and its task cancelled before the
 *   task resumes; the task then receives `CancelledError` and what it was
 *   handed would be lost. So a woken waiter is only *handed* its value: its
 *   future stays pending, and the value is *delivered* (the primitive
 *   commits it, and the future gets it as its result) by the waiter's own
 *   reaction, which runs exactly when the task resumes. Until then a
 *   cancellation still cancels the future, and the value is passed on at
 *   once (`abandoned` hook: release the lock again, hand the permit or the
 *   notification to the next waiter, give up a queue claim or slot). If the
 *   task receives a cancellation some other way first (it was running, so
 *   the request waited for its next resumption), the reaction sees it and
 *   passes the value on instead of delivering it. A value that was
 *   delivered is never passed on, even if the task is cancelled later (as
 *   under `Promise.all`), so nothing is handed out twice. A waiter that no
 *   task awaits (only done callbacks, as under `gather`) is delivered at the
 *   wake-up itself: no cancellation can come in between.
 * - **Data structure.** An intrusive doubly linked list through the waiter
 *   futures: append, unlink on cancel and wake the head are O(1); a wait
 *   allocates nothing beyond its future and the reaction any `await` needs;
 *   there is no lazy deletion that would leave cancelled waiters to skip or
 *   make `size` lie. A handed waiter has left the list and is only marked.
 * - **Loops.** Primitives are created outside any loop, as in asyncio 3.10+,
 *   and bind to the running loop at their first wait ({@linkcode LoopBinding},
 *   asyncio's `_LoopBoundMixin`); waits from another loop then fail. Fast
 *   paths that need no waiter never touch the loop.
 * - **Limit.** A task blocked in `Promise.all` over a waiter and a future
 *   that already settled is cancelled through `detachReactions`, which only
 *   sees a future's own reactions: the cancellation reaches it when the
 *   waiter is woken (the value then passes on), not at once.
 *
 * @module
 */
import { frameStorage } from "../loop/context.ts";
import { RuntimeError } from "../loop/exceptions.ts";
import { runningLoopOrNull } from "../loop/current.ts";
import { SCHEDULE } from "../loop/handle.ts";
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { type Awaiter, Future, type FutureChain, ThenReaction } from "../tasks/future.ts";

/** The options every waiter future of one loop is created with (shared, never copied). */
interface BoundLoop {
  readonly loop: AbstractEventLoop;
}

/**
 * Binds a primitive to the loop of its first wait and checks every later
 * wait against it (asyncio's `_LoopBoundMixin`). One binding is shared by all
 * the wait queues of a primitive.
 */
export class LoopBinding {
  #bound: BoundLoop | null = null;
  readonly #owner: object;

  /** Creates the binding of `owner` (named in error messages). */
  constructor(owner: object) {
    this.#owner = owner;
  }

  /**
   * The future options for the running loop, binding on first use.
   *
   * @throws {RuntimeError} No loop is running, or the primitive is bound to
   *   another loop; `action` ("acquire lock") starts the message.
   */
  options(action: string): BoundLoop {
    const running = runningLoopOrNull();
    const bound = this.#bound;
    if (bound !== null && bound.loop === running) return bound;
    if (running === null) throw new RuntimeError(`Cannot ${action}: no running event loop`);
    if (bound !== null) {
      throw new RuntimeError(
        `Cannot ${action}: ${String(this.#owner)} is bound to a different event loop`,
      );
    }
    return this.#bound = { loop: running };
  }
}

/** What a primitive does when a value it handed to a waiter is received or refused. */
export interface WaiterHooks<T> {
  /**
   * The waiter's task resumes with `value`, or nothing awaits the waiter so
   * it receives `value` at the wake-up: commit it and return what the task
   * receives (a queue's getter is handed a claim and takes its item here).
   * Throwing fails the wait with that error instead.
   */
  delivered?(waiter: Waiter<T>, value: T): T;
  /**
   * The waiter was handed `value` but its task was cancelled before it
   * received it: pass it on.
   */
  abandoned?(waiter: Waiter<T>, value: T): void;
}

const NONE = 0;
const WAITING = 1;
const HANDED = 2;
type Where = typeof NONE | typeof WAITING | typeof HANDED;

/**
 * One task's wait: a loop future in a {@linkcode WaiterQueue}. Primitives
 * return it from their waiting methods, so `await` on it is what suspends the
 * task and `task.cancel()` cancels it.
 */
export class Waiter<T> extends Future<T> {
  /** The previous waiter in the queue (internal to the queue). */
  _prev: Waiter<T> | null = null;
  /** The next waiter in the queue (internal to the queue). */
  _next: Waiter<T> | null = null;
  /** Waiting in the queue, handed a value, or neither (internal to the queue). */
  _where: Where = WAITING;
  /** The value handed to the waiter and not yet delivered (internal to the queue). */
  _value: T | undefined = undefined;
  /** What the waiter brings, such as the item of a waiting `put()`. */
  readonly payload: unknown;
  readonly #queue: WaiterQueue<T>;
  #reaction: WaiterReaction<unknown> | null = null;

  /** Creates a waiter of `queue`; only {@linkcode WaiterQueue.park} does. */
  constructor(queue: WaiterQueue<T>, bound: BoundLoop, payload: unknown) {
    super(bound);
    this.#queue = queue;
    this.payload = payload;
  }

  /**
   * Awaits the waiter. The first `then()` gets the reaction that delivers
   * the handed value when the task resumes; later ones are plain future
   * reactions.
   */
  override then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): FutureChain<R1 | R2> {
    if (this.#reaction !== null || this.done()) return super.then(onFulfilled, onRejected);
    const awaiter = frameStorage.getStore() as Awaiter | undefined;
    let epoch = 0;
    if (awaiter !== undefined) {
      if (awaiter._takePendingCancel()) {
        // The task was cancelled before it got to wait: withdraw the waiter,
        // as asyncio cancels the future the task would have waited on.
        this.cancel();
        return Promise.reject(awaiter._makeCancelledError()).then(onFulfilled, onRejected);
      }
      epoch = awaiter._suspendOn(this as Future<unknown>);
    }
    const reaction = new WaiterReaction<R1 | R2>(
      this as Waiter<unknown>,
      onFulfilled as ((value: never) => unknown) | null | undefined,
      onRejected,
      awaiter,
      epoch,
    );
    this.#reaction = reaction as WaiterReaction<unknown>;
    return reaction;
  }

  /**
   * Cancels the wait: a waiting waiter leaves the queue, a handed one passes
   * its value on. False if the value was already delivered, or the wait failed.
   */
  override cancel(msg?: string): boolean {
    if (!super.cancel(msg)) return false;
    if (this._where === WAITING) {
      this.#queue._unlinkWaiting(this);
      this.#schedule();
    } else if (this._where === HANDED) {
      // Its reaction is scheduled already (a handed waiter has one).
      this.#queue._refuse(this);
    }
    return true;
  }

  /** Hands `value` to the waiter (internal: the queue has unlinked it). */
  _wake(value: T): void {
    this._value = value;
    if (this.#reaction === null) {
      // Nothing awaits the waiter: no task can be cancelled before it
      // "resumes", so the value is received now.
      this._deliver();
    } else {
      this.#schedule();
    }
  }

  /** Fails the wait with `error` (internal: the queue has unlinked it). */
  _wakeWithError(error: unknown): void {
    this.setException(error);
    this.#schedule();
  }

  /**
   * Delivers the handed value: the primitive commits it and the future gets
   * it as its result; if the primitive refuses (throws), the future fails
   * (internal).
   */
  _deliver(): void {
    let value = this._value as T;
    this._value = undefined;
    this._where = NONE;
    try {
      value = this.#queue._deliver(this, value);
    } catch (err) {
      this.setException(err);
      return;
    }
    this.setResult(value);
  }

  /**
   * The task receives a cancellation instead of the outcome: pass a handed
   * value on, or mark a failure as retrieved (internal).
   */
  _refuse(): void {
    if (this._where === HANDED) {
      Future.prototype.cancel.call(this);
      this.#queue._refuse(this);
    } else if (this.done() && !this.cancelled()) {
      this.exception();
    }
  }

  // Schedules the reaction, if any; each waiter does so once, when it
  // leaves the waiting list.
  #schedule(): void {
    const reaction = this.#reaction;
    if (reaction !== null) this.getLoop()[SCHEDULE](reaction);
  }
}

// The reaction of the first `then()` on a waiter, run when the awaiting task
// resumes (see the design note: the race).
class WaiterReaction<T> extends ThenReaction<T> {
  readonly #waiter: Waiter<unknown>;

  constructor(
    waiter: Waiter<unknown>,
    onFulfilled: ((value: never) => unknown) | null | undefined,
    onRejected: ((reason: unknown) => unknown) | null | undefined,
    awaiter: Awaiter | undefined,
    epoch: number,
  ) {
    super(onFulfilled, onRejected, awaiter, epoch);
    this.#waiter = waiter;
  }

  protected override _invoke(): void {
    const waiter = this.#waiter;
    // A pending cancellation of the task is delivered instead of what the
    // waiter was handed, which is passed on.
    const cancel = this._resumeAwaiter();
    if (cancel !== null) {
      try {
        waiter._refuse();
      } catch (exception) {
        report(waiter, exception);
      }
      // The wait's own cancellation wins: it carries the first message.
      this._reject(waiter.cancelled() ? errorOf(waiter) : cancel);
      return;
    }
    if (waiter._where === HANDED) waiter._deliver();
    let value: unknown;
    try {
      value = waiter.result();
    } catch (err) {
      // Cancelled, failed, or the primitive refused the delivery.
      this._reject(err);
      return;
    }
    this._fulfill(value);
  }
}

// What a cancelled or failed waiter's result() throws.
function errorOf(waiter: Waiter<unknown>): unknown {
  try {
    waiter.result();
  } catch (err) {
    return err;
  }
  return undefined;
}

function report(waiter: Waiter<unknown>, exception: unknown): void {
  waiter.getLoop().callExceptionHandler({
    message: "Exception while passing on a wake-up refused by a cancelled task",
    exception,
    future: waiter,
  });
}

/**
 * A FIFO queue of {@linkcode Waiter}s (see the module's design note). The
 * primitive decides what a wake-up carries; the queue guarantees the order,
 * the removal of cancelled waiters, and the hooks on receipt or refusal.
 */
export class WaiterQueue<T> {
  #head: Waiter<T> | null = null;
  #tail: Waiter<T> | null = null;
  #size = 0;
  readonly #binding: LoopBinding;
  readonly #hooks: WaiterHooks<T> | null;

  /** Creates an empty queue that binds through `binding` and calls `hooks`. */
  constructor(binding: LoopBinding, hooks?: WaiterHooks<T>) {
    this.#binding = binding;
    this.#hooks = hooks ?? null;
  }

  /** How many waiters can still be woken. */
  get size(): number {
    return this.#size;
  }

  /**
   * Appends a new waiter and returns it; the caller returns it to the task,
   * whose `await` suspends on it.
   *
   * @throws {RuntimeError} No loop is running, or the primitive is bound to another loop.
   */
  park(action: string, payload?: unknown): Waiter<T> {
    const waiter = new Waiter<T>(this, this.#binding.options(action), payload);
    const tail = this.#tail;
    if (tail === null) this.#head = waiter;
    else {
      tail._next = waiter;
      waiter._prev = tail;
    }
    this.#tail = waiter;
    this.#size++;
    return waiter;
  }

  /** Hands `value` to the first waiter; false if nobody waits. */
  wakeFirst(value: T): boolean {
    const waiter = this.#head;
    if (waiter === null) return false;
    this._unlinkWaiting(waiter);
    waiter._where = HANDED;
    waiter._wake(value);
    return true;
  }

  /** Hands `value` to every waiter present now, in order; returns how many. */
  wakeAll(value: T): number {
    let count = 0;
    for (let waiter = this.#detachAll(); waiter !== null; count++) {
      const next: Waiter<T> | null = waiter._next;
      waiter._next = null;
      waiter._where = HANDED;
      waiter._wake(value);
      waiter = next;
    }
    return count;
  }

  /** Fails every waiter present now with an error from `makeError`, in order. */
  failAll(makeError: () => unknown): void {
    for (let waiter = this.#detachAll(); waiter !== null;) {
      const next: Waiter<T> | null = waiter._next;
      waiter._next = null;
      waiter._wakeWithError(makeError());
      waiter = next;
    }
  }

  /** Unlinks a waiting waiter (internal: waking or cancelling it). */
  _unlinkWaiting(waiter: Waiter<T>): void {
    const prev = waiter._prev, next = waiter._next;
    if (prev === null) this.#head = next;
    else prev._next = next;
    if (next === null) this.#tail = prev;
    else next._prev = prev;
    waiter._prev = waiter._next = null;
    waiter._where = NONE;
    this.#size--;
  }

  /** Commits a waiter's handed value through the `delivered` hook (internal). */
  _deliver(waiter: Waiter<T>, value: T): T {
    const hooks = this.#hooks;
    return hooks === null || hooks.delivered === undefined ? value : hooks.delivered(waiter, value);
  }

  /** A handed waiter refused its value: pass it on (internal). */
  _refuse(waiter: Waiter<T>): void {
    const value = waiter._value as T;
    waiter._value = undefined;
    waiter._where = NONE;
    this.#hooks?.abandoned?.(waiter, value);
  }

  // Empties the list and returns its old head; the waiters keep their
  // `_next` links for the caller's walk.
  #detachAll(): Waiter<T> | null {
    const head = this.#head;
    for (let w = head; w !== null; w = w._next) {
      w._prev = null;
      w._where = NONE;
    }
    this.#head = this.#tail = null;
    this.#size = 0;
    return head;
  }
}
