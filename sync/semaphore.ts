/**
 * {@linkcode Semaphore}: a counter of permits for tasks. Equivalent to
 * Python's `asyncio.Semaphore`.
 *
 * @module
 */
import { LoopBinding, type Waiter, type WaiterHooks, WaiterQueue } from "./waiter_queue.ts";
import { OncePermit } from "./_permit.ts";
import { checkCount, fnTypeError } from "./_checks.ts";
import type { Permit } from "./permit.ts";

/**
 * A snapshot of a {@linkcode Semaphore}'s state, from `statistics()`.
 *
 * @example
 * ```ts
 * import { Semaphore, type SemaphoreStatistics } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const stats: SemaphoreStatistics = new Semaphore(2).statistics();
 * assert.equal(stats.value, 2);
 * ```
 */
export interface SemaphoreStatistics {
  /** How many permits are free. */
  value: number;
  /** How many tasks wait in `acquire()`. */
  waiters: number;
}

// A woken waiter already holds its permit; if its task was cancelled before
// it resumed, the permit goes back, which hands it to the next waiter.
const HOOKS: WaiterHooks<Permit> = {
  abandoned(_waiter: Waiter<Permit>, permit: Permit): void {
    permit.release();
  },
};

// Set in Semaphore's static block: lets BoundedSemaphore set the bound.
let setBound: (semaphore: Semaphore, bound: number) => void;

/**
 * A semaphore: `value` permits that tasks acquire and release. Equivalent
 * to Python's `asyncio.Semaphore`.
 *
 * `acquire()` takes a permit, waiting while none is free, and resolves to a
 * {@linkcode Permit} that gives it back (hold it with `using`, as Python's
 * `async with sem:`). `release()` gives one back without a permit object.
 * Waiters are served FIFO: a released permit goes straight to the task that
 * waited longest, and one handed to a task cancelled before it resumed goes
 * to the next. Releasing more than was acquired raises the value above its
 * start; {@linkcode BoundedSemaphore} refuses that. Created outside a loop,
 * it binds to the loop of its first wait.
 *
 * @example Limit concurrency to two
 * ```ts
 * import { createTask, gather, run, Semaphore, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const slots = new Semaphore(2);
 *   let running = 0, peak = 0;
 *   const job = async () => {
 *     using _permit = await slots.acquire();
 *     peak = Math.max(peak, ++running);
 *     await sleep(0.001);
 *     running--;
 *   };
 *   await gather(...[1, 2, 3, 4, 5].map(() => createTask(job)));
 *   assert.equal(peak, 2);
 * });
 * ```
 */
export class Semaphore {
  #value: number;
  #bound = Infinity;
  readonly #waiters: WaiterQueue<Permit>;

  /**
   * Creates a semaphore with `value` free permits (default 1).
   *
   * @throws {TypeError} `value` is not a number.
   * @throws {RangeError} `value` is negative or not an integer.
   */
  constructor(value: number = 1) {
    this.#value = checkCount(`create ${this.constructor.name}`, "value", value, 0);
    this.#waiters = new WaiterQueue(new LoopBinding(this), HOOKS);
  }

  /**
   * Whether `acquire()` would wait (no permit is free). Equivalent to
   * `Semaphore.locked()`.
   */
  locked(): boolean {
    // A free permit and a waiting task never coexist: release() hands
    // permits to waiters first.
    return this.#value === 0;
  }

  /**
   * Takes a permit: at once if one is free (without yielding to the loop),
   * else after every task that waited before. Resolves to the
   * {@linkcode Permit} that gives it back. Equivalent to
   * `Semaphore.acquire()` (which returns `True`; the permit is truthy).
   *
   * @throws {RuntimeError} It must wait and no loop is running, or the
   *   semaphore is bound to another loop.
   *
   * @example
   * ```ts
   * import { run, Semaphore } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const sem = new Semaphore(2);
   *   const a = await sem.acquire();
   *   await sem.acquire();
   *   assert.ok(sem.locked());
   *   a.release();
   *   assert.ok(!sem.locked());
   * });
   * ```
   */
  acquire(): PromiseLike<Permit> {
    if (this.#value > 0) {
      this.#value--;
      return Promise.resolve(new OncePermit(this));
    }
    return this.#waiters.park(`acquire ${this.constructor.name}`);
  }

  /**
   * Gives a permit back, to the longest-waiting task if any. Equivalent to
   * `Semaphore.release()`.
   *
   * @throws {RangeError} A `BoundedSemaphore` is released more times than
   *   it was acquired.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * const sem = new Semaphore(0);
   * sem.release();
   * assert.equal(sem.statistics().value, 1);
   * ```
   */
  release(): void {
    if (this.#value >= this.#bound) {
      throw new RangeError(
        `Cannot release ${this.constructor.name}: it was released more times than acquired (value is already ${this.#bound}, its initial value)`,
      );
    }
    if (this.#waiters.size > 0) this.#waiters.wakeFirst(new OncePermit(this));
    else this.#value++;
  }

  /**
   * Runs `fn` while holding a permit and gives it back however `fn` ends;
   * resolves to `fn`'s result. Python's `async with sem: return await fn()`.
   *
   * @throws {TypeError} `fn` is not a function.
   *
   * @example
   * ```ts
   * import { run, Semaphore } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const sem = new Semaphore(1);
   *   assert.equal(await sem.withLock(async () => sem.locked()), true);
   *   assert.ok(!sem.locked());
   * });
   * ```
   */
  async withLock<R>(fn: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    if (typeof fn !== "function") throw fnTypeError("a semaphore permit", fn);
    const permit = await this.acquire();
    try {
      return await fn();
    } finally {
      permit.release();
    }
  }

  /**
   * A snapshot of the semaphore's state.
   *
   * @example
   * ```ts
   * import { Semaphore } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * assert.deepEqual(new Semaphore(3).statistics(), { value: 3, waiters: 0 });
   * ```
   */
  statistics(): SemaphoreStatistics {
    return { value: this.#value, waiters: this.#waiters.size };
  }

  /** `<Semaphore [unlocked, value:1]>` or `<Semaphore [locked, waiters:2]>`, as asyncio's repr. */
  toString(): string {
    const waiters = this.#waiters.size;
    const state = this.#value === 0 ? "locked" : `unlocked, value:${this.#value}`;
    return `<${this.constructor.name} [${state}${waiters > 0 ? `, waiters:${waiters}` : ""}]>`;
  }

  static {
    setBound = (semaphore, bound) => {
      semaphore.#bound = bound;
    };
  }
}

/** Makes `semaphore` refuse to be released above `bound` (for BoundedSemaphore). */
export function boundSemaphore(semaphore: Semaphore, bound: number): void {
  setBound(semaphore, bound);
}
