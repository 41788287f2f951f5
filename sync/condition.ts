/**
 * {@linkcode Condition}: wait for a notification while holding a lock.
 * Equivalent to Python's `asyncio.Condition`.
 *
 * @module
 */
import { CancelledError, RuntimeError } from "../loop/exceptions.ts";
import { LoopBinding, WaiterQueue } from "./waiter_queue.ts";
import { checkCount, describe, fnTypeError } from "./_checks.ts";
import { Lock } from "./lock.ts";
import type { Permit } from "./permit.ts";

/**
 * A snapshot of a {@linkcode Condition}'s state, from `statistics()`.
 *
 * @example
 * ```ts
 * import { Condition, type ConditionStatistics } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const stats: ConditionStatistics = new Condition().statistics();
 * assert.equal(stats.waiters + stats.lockWaiters, 0);
 * ```
 */
export interface ConditionStatistics {
  /** Whether the underlying lock is held. */
  locked: boolean;
  /** How many tasks wait in `wait()` for a notification. */
  waiters: number;
  /** How many tasks wait to acquire the underlying lock. */
  lockWaiters: number;
}

/**
 * A condition variable: tasks holding its lock wait until another task
 * notifies them. Equivalent to Python's `asyncio.Condition`.
 *
 * Acquire it like its lock (`using _ = await cond.acquire()`, or
 * `cond.withLock(fn)`), then `wait()` or `waitFor(predicate)`; `notify(n)`
 * and `notifyAll()` wake waiters, FIFO. A woken waiter re-acquires the lock
 * before `wait()` returns, even when it is cancelled (it then throws
 * `CancelledError` holding the lock, as in asyncio). A notification handed
 * to a waiter that is cancelled before it resumes goes to the next waiter,
 * so none is lost. Several conditions may share one {@linkcode Lock}.
 *
 * @example A producer notifies a consumer
 * ```ts
 * import { Condition, createTask, run, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const cond = new Condition();
 *   const items: string[] = [];
 *   const consumer = createTask(async () => {
 *     using _permit = await cond.acquire();
 *     await cond.waitFor(() => items.length > 0);
 *     return items.shift();
 *   });
 *   await sleep(0.001);
 *   await cond.withLock(() => {
 *     items.push("job");
 *     cond.notify();
 *   });
 *   assert.equal(await consumer, "job");
 * });
 * ```
 */
export class Condition {
  readonly #lock: Lock;
  readonly #waiters: WaiterQueue<true>;

  /**
   * Creates a condition over `lock` (default: a new {@linkcode Lock}).
   *
   * @throws {TypeError} `lock` is given but is not a `Lock`.
   */
  constructor(lock?: Lock) {
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(
        `Cannot create Condition as 'lock' must be a Lock: received ${describe(lock)}`,
      );
    }
    this.#lock = lock ?? new Lock();
    // A notification handed to a waiter whose task was cancelled before it
    // resumed goes to the next waiter.
    this.#waiters = new WaiterQueue(new LoopBinding(this), {
      abandoned: (): void => this.#notify(1),
    });
  }

  /** Whether the underlying lock is held. Equivalent to `Condition.locked()`. */
  locked(): boolean {
    return this.#lock.locked();
  }

  /**
   * Acquires the underlying lock; resolves to the {@linkcode Permit} that
   * releases it. Equivalent to `Condition.acquire()`.
   *
   * @throws {RuntimeError} It must wait and no loop is running, or the lock
   *   is bound to another loop.
   *
   * @example
   * ```ts
   * import { Condition, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const cond = new Condition();
   *   {
   *     using _permit = await cond.acquire();
   *     assert.ok(cond.locked());
   *   }
   *   assert.ok(!cond.locked());
   * });
   * ```
   */
  acquire(): PromiseLike<Permit> {
    return this.#lock.acquire();
  }

  /**
   * Releases the underlying lock. Equivalent to `Condition.release()`.
   *
   * @throws {RuntimeError} The lock is not held.
   *
   * @example
   * ```ts
   * import { Condition, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const cond = new Condition();
   *   await cond.acquire();
   *   cond.release();
   *   assert.ok(!cond.locked());
   * });
   * ```
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Runs `fn` while holding the underlying lock and releases it however `fn`
   * ends; resolves to `fn`'s result. Python's `async with cond: ...`.
   *
   * @throws {TypeError} `fn` is not a function.
   *
   * @example
   * ```ts
   * import { Condition, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const cond = new Condition();
   *   assert.equal(await cond.withLock(() => cond.locked()), true);
   * });
   * ```
   */
  withLock<R>(fn: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    if (typeof fn !== "function") return Promise.reject(fnTypeError("condition", fn));
    return this.#lock.withLock(fn);
  }

  /**
   * Releases the lock, waits until notified, re-acquires the lock, and
   * resolves to `true`. Equivalent to `Condition.wait()`. The lock is held
   * again when it settles, even when it rejects with `CancelledError`.
   *
   * @throws {RuntimeError} The lock is not held, or no loop is running, or
   *   the condition is bound to another loop.
   *
   * @example
   * ```ts
   * import { Condition, createTask, run, sleep } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const cond = new Condition();
   *   const waiter = createTask(() => cond.withLock(() => cond.wait()));
   *   await sleep(0.001);
   *   await cond.withLock(() => cond.notifyAll());
   *   assert.equal(await waiter, true);
   * });
   * ```
   */
  async wait(): Promise<true> {
    if (!this.#lock.locked()) {
      throw new RuntimeError("Cannot wait on condition: its lock is not acquired");
    }
    // Park before releasing: if parking fails (no loop, wrong loop), the
    // caller still holds the lock.
    const waiter = this.#waiters.park("wait on condition");
    this.#lock.release();
    let notified = false;
    let error: unknown = undefined;
    let failed = false;
    try {
      await waiter;
      notified = true;
    } catch (err) {
      failed = true;
      error = err;
    }
    // Re-acquire even when cancelled: the caller's block expects the lock.
    for (;;) {
      try {
        await this.#lock.acquire();
        break;
      } catch (err) {
        failed = true;
        error = err;
        if (!(err instanceof CancelledError)) break;
      }
    }
    if (failed) {
      // The task was notified but does not return normally: the
      // notification goes to another waiter, as in asyncio.
      if (notified) this.#notify(1);
      throw error;
    }
    return true;
  }

  /**
   * Waits until `predicate()` is truthy (checking it first, and again after
   * every notification), and resolves to its last value. Equivalent to
   * `Condition.wait_for()`. The lock must be held when the predicate is
   * false at first.
   *
   * @throws {TypeError} `predicate` is not a function.
   * @throws {RuntimeError} It must wait and the lock is not held.
   *
   * @example
   * ```ts
   * import { Condition, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const cond = new Condition();
   *   assert.deepEqual(await cond.waitFor(() => [1, 2]), [1, 2]);
   * });
   * ```
   */
  async waitFor<R>(predicate: () => R): Promise<R> {
    if (typeof predicate !== "function") {
      throw new TypeError(
        `Cannot wait for predicate as 'predicate' must be a function: received ${
          describe(predicate)
        }`,
      );
    }
    let result = predicate();
    while (!result) {
      await this.wait();
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` (default 1) waiting tasks, longest-waiting first. They
   * return from `wait()` once they re-acquire the lock, so release it.
   * Equivalent to `Condition.notify()`.
   *
   * @throws {RuntimeError} The lock is not held.
   * @throws {TypeError} `n` is not a number.
   * @throws {RangeError} `n` is negative or not an integer (Infinity is allowed).
   *
   * @example
   * ```ts
   * import { Condition, run } from "@aio/asyncio";
   *
   * await run(async () => {
   *   const cond = new Condition();
   *   await cond.withLock(() => cond.notify(2));
   * });
   * ```
   */
  notify(n: number = 1): void {
    checkCount("notify condition", "n", n, 0, true);
    if (!this.#lock.locked()) {
      throw new RuntimeError("Cannot notify condition: its lock is not acquired");
    }
    this.#notify(n);
  }

  /**
   * Wakes every waiting task. Equivalent to `Condition.notify_all()`.
   *
   * @throws {RuntimeError} The lock is not held.
   *
   * @example
   * ```ts
   * import { Condition, run } from "@aio/asyncio";
   *
   * await run(async () => {
   *   const cond = new Condition();
   *   await cond.withLock(() => cond.notifyAll());
   * });
   * ```
   */
  notifyAll(): void {
    if (!this.#lock.locked()) {
      throw new RuntimeError("Cannot notify condition: its lock is not acquired");
    }
    this.#waiters.wakeAll(true);
  }

  /**
   * A snapshot of the condition's state.
   *
   * @example
   * ```ts
   * import { Condition } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * assert.deepEqual(new Condition().statistics(), { locked: false, waiters: 0, lockWaiters: 0 });
   * ```
   */
  statistics(): ConditionStatistics {
    const lock = this.#lock.statistics();
    return { locked: lock.locked, waiters: this.#waiters.size, lockWaiters: lock.waiters };
  }

  /** `<Condition [unlocked]>` or `<Condition [locked, waiters:2]>`, as asyncio's repr. */
  toString(): string {
    const waiters = this.#waiters.size;
    return `<Condition [${this.locked() ? "locked" : "unlocked"}${
      waiters > 0 ? `, waiters:${waiters}` : ""
    }]>`;
  }

  #notify(n: number): void {
    for (let i = 0; i < n && this.#waiters.wakeFirst(true); i++);
  }
}
