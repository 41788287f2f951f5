/**
 * {@linkcode Lock}: mutual exclusion for tasks. Equivalent to Python's
 * `asyncio.Lock`.
 *
 * @module
 */
import { RuntimeError } from "../loop/exceptions.ts";
import { LoopBinding, type Waiter, type WaiterHooks, WaiterQueue } from "./waiter_queue.ts";
import { OncePermit } from "./_permit.ts";
import { fnTypeError } from "./_checks.ts";
import type { Permit } from "./permit.ts";

/**
 * A snapshot of a {@linkcode Lock}'s state, from `statistics()` (trio's
 * `statistics()`, instead of parsing `toString()`).
 *
 * @example
 * ```ts
 * import { Lock, type LockStatistics } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const stats: LockStatistics = new Lock().statistics();
 * assert.equal(stats.waiters, 0);
 * ```
 */
export interface LockStatistics {
  /** Whether the lock is held. */
  locked: boolean;
  /** How many tasks wait in `acquire()`. */
  waiters: number;
}

// A woken waiter already owns the lock; if its task was cancelled before it
// resumed, it releases the lock again, which hands it to the next waiter.
const HOOKS: WaiterHooks<Permit> = {
  abandoned(_waiter: Waiter<Permit>, permit: Permit): void {
    permit.release();
  },
};

/**
 * A mutual-exclusion lock for tasks. Equivalent to Python's `asyncio.Lock`.
 *
 * `acquire()` resolves to a {@linkcode Permit}: hold it with `using` (or
 * `await using`) so the lock is released at the end of the block, as
 * Python's `async with lock:` does; or call `release()` yourself; or pass
 * the critical section to {@linkcode Lock.withLock}.
 *
 * Acquisition is FIFO-fair: `release()` hands the lock straight to the task
 * that has waited longest, so `locked()` stays true while the lock passes
 * from one task to the next (asyncio reports false in that instant, though a
 * new `acquire()` would queue there too). A waiter whose task is cancelled
 * leaves the queue; one cancelled just after it was handed the lock passes
 * it on. The lock is not owned by a task: any task may release it, as in
 * asyncio. Created outside a loop, it binds to the loop of its first wait.
 *
 * @example Protect a critical section
 * ```ts
 * import { createTask, gather, Lock, run, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const lock = new Lock();
 *   let inside = 0;
 *   const worker = async () => {
 *     using _permit = await lock.acquire();
 *     inside++;
 *     assert.equal(inside, 1);
 *     await sleep(0.001);
 *     inside--;
 *   };
 *   await gather(createTask(worker), createTask(worker), createTask(worker));
 *   assert.ok(!lock.locked());
 * });
 * ```
 */
export class Lock {
  #locked = false;
  readonly #waiters: WaiterQueue<Permit>;

  /** Creates an unlocked lock (it binds to a loop at its first wait). */
  constructor() {
    this.#waiters = new WaiterQueue(new LoopBinding(this), HOOKS);
  }

  /** Whether the lock is held. Equivalent to `Lock.locked()`. */
  locked(): boolean {
    return this.#locked;
  }

  /**
   * Acquires the lock: at once if it is free (without yielding to the loop,
   * as in asyncio), else after every task that waited before. Resolves to
   * the {@linkcode Permit} that releases it. Equivalent to `Lock.acquire()`
   * (which returns `True`; the permit is truthy).
   *
   * @throws {RuntimeError} The lock must wait and no loop is running, or it
   *   is bound to another loop.
   *
   * @example
   * ```ts
   * import { Lock, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const lock = new Lock();
   *   const permit = await lock.acquire();
   *   try {
   *     assert.ok(lock.locked());
   *   } finally {
   *     permit.release();
   *   }
   *   assert.ok(!lock.locked());
   * });
   * ```
   */
  acquire(): PromiseLike<Permit> {
    if (!this.#locked) {
      // Free means nobody waits: a release with waiters hands the lock on.
      this.#locked = true;
      return Promise.resolve(new OncePermit(this));
    }
    return this.#waiters.park("acquire lock");
  }

  /**
   * Releases the lock, handing it to the longest-waiting task if any.
   * Equivalent to `Lock.release()`.
   *
   * @throws {RuntimeError} The lock is not held.
   *
   * @example
   * ```ts
   * import { Lock, RuntimeError, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const lock = new Lock();
   *   await lock.acquire();
   *   lock.release();
   *   assert.throws(() => lock.release(), RuntimeError);
   * });
   * ```
   */
  release(): void {
    if (!this.#locked) throw new RuntimeError("Cannot release lock: lock is not acquired");
    if (this.#waiters.size > 0) this.#waiters.wakeFirst(new OncePermit(this));
    else this.#locked = false;
  }

  /**
   * Runs `fn` while holding the lock and releases it however `fn` ends;
   * resolves to `fn`'s result. Python's `async with lock: return await fn()`.
   *
   * @throws {TypeError} `fn` is not a function.
   *
   * @example
   * ```ts
   * import { Lock, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const lock = new Lock();
   *   const answer = await lock.withLock(async () => {
   *     assert.ok(lock.locked());
   *     return 42;
   *   });
   *   assert.equal(answer, 42);
   *   assert.ok(!lock.locked());
   * });
   * ```
   */
  async withLock<R>(fn: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    if (typeof fn !== "function") throw fnTypeError("lock", fn);
    const permit = await this.acquire();
    try {
      return await fn();
    } finally {
      permit.release();
    }
  }

  /**
   * A snapshot of the lock's state.
   *
   * @example
   * ```ts
   * import { Lock } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * assert.deepEqual(new Lock().statistics(), { locked: false, waiters: 0 });
   * ```
   */
  statistics(): LockStatistics {
    return { locked: this.#locked, waiters: this.#waiters.size };
  }

  /** `<Lock [unlocked]>` or `<Lock [locked, waiters:2]>`, as asyncio's repr. */
  toString(): string {
    const waiters = this.#waiters.size;
    return `<Lock [${this.#locked ? "locked" : "unlocked"}${
      waiters > 0 ? `, waiters:${waiters}` : ""
    }]>`;
  }
}
