/**
 * {@linkcode Barrier}: tasks wait until a set number of them arrive.
 * Equivalent to Python's `asyncio.Barrier`.
 *
 * @module
 */
import { RuntimeError } from "../loop/exceptions.ts";
import { LoopBinding, WaiterQueue } from "./waiter_queue.ts";
import { checkCount } from "./_checks.ts";

/**
 * A barrier was broken by `abort()` or `reset()` while a task waited, or a
 * task waited on a broken barrier. Equivalent to Python's
 * `asyncio.BrokenBarrierError` (a `RuntimeError` there too).
 *
 * @example
 * ```ts
 * import { Barrier, BrokenBarrierError, run } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const barrier = new Barrier(2);
 *   barrier.abort();
 *   await assert.rejects(barrier.wait(), BrokenBarrierError);
 * });
 * ```
 */
export class BrokenBarrierError extends RuntimeError {
  /** Creates the error with a message that names the state. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokenBarrierError";
  }
}

/**
 * The states of a {@linkcode Barrier}, as asyncio's `_BarrierState`:
 * `filling` (tasks arrive), `draining` (the last one arrived and the waiting
 * tasks are leaving), `resetting` (`reset()` was called while tasks were
 * inside; they leave with `BrokenBarrierError`), `broken` (`abort()`).
 *
 * @example
 * ```ts
 * import { Barrier, type BarrierState } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const barrier = new Barrier(2);
 * barrier.abort();
 * const state: BarrierState = barrier.state;
 * assert.equal(state, "broken");
 * ```
 */
export type BarrierState = "filling" | "draining" | "resetting" | "broken";

/**
 * A barrier for `parties` tasks: each `wait()` blocks until `parties` tasks
 * wait, then all of them go on together. Equivalent to Python's
 * `asyncio.Barrier`.
 *
 * `wait()` resolves to the task's arrival index, `0` to `parties - 1`. The
 * barrier is reusable: tasks that arrive while the previous group is still
 * leaving (`draining`) wait for the next round. `reset()` sends the waiting
 * tasks away with {@linkcode BrokenBarrierError} and makes the barrier
 * usable again; `abort()` breaks it for good, until a `reset()`. A waiting
 * task that is cancelled leaves the barrier (one fewer party is waiting).
 * Python's `async with barrier as i:` is `const i = await barrier.wait()`
 * (its exit does nothing), and its `reset()`/`abort()` coroutines act at
 * once here (awaiting their result still works). Created outside a loop, it
 * binds to the loop of its first wait.
 *
 * @example Three tasks meet
 * ```ts
 * import { Barrier, createTask, gather, run } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const barrier = new Barrier(3);
 *   const arrive = () => barrier.wait();
 *   const indexes = await gather(createTask(arrive), createTask(arrive), createTask(arrive));
 *   assert.deepEqual([...indexes].sort(), [0, 1, 2]);
 *   assert.equal(barrier.nWaiting, 0);
 * });
 * ```
 */
export class Barrier {
  readonly #parties: number;
  #state: BarrierState = "filling";
  // Tasks inside the barrier: waiting in this round, or released and not
  // yet gone.
  #count = 0;
  // Tasks waiting for the round to fill (they all wake when it fills or breaks).
  readonly #inside: WaiterQueue<void>;
  // Tasks that arrived while the previous round drains or resets.
  readonly #blocked: WaiterQueue<void>;

  /**
   * Creates a barrier for `parties` tasks.
   *
   * @throws {TypeError} `parties` is not a number.
   * @throws {RangeError} `parties` is not a positive integer.
   */
  constructor(parties: number) {
    this.#parties = checkCount("create Barrier", "parties", parties, 1);
    const binding = new LoopBinding(this);
    this.#inside = new WaiterQueue(binding);
    this.#blocked = new WaiterQueue(binding);
  }

  /**
   * Waits until `parties` tasks wait, then resolves to this task's arrival
   * index (`0` for the first). Equivalent to `Barrier.wait()`.
   *
   * @throws {BrokenBarrierError} The barrier is broken, or is reset or
   *   aborted while the task waits.
   * @throws {RuntimeError} It must wait and no loop is running, or the
   *   barrier is bound to another loop.
   *
   * @example
   * ```ts
   * import { Barrier, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const barrier = new Barrier(1);
   *   assert.equal(await barrier.wait(), 0);
   * });
   * ```
   */
  async wait(): Promise<number> {
    // A round that is draining or resetting finishes before this task joins.
    while (this.#state === "draining" || this.#state === "resetting") {
      await this.#blocked.park("wait on barrier");
    }
    if (this.#state === "broken") {
      throw new BrokenBarrierError("Cannot pass barrier: barrier is broken (aborted)");
    }
    const index = this.#count++;
    try {
      if (index + 1 === this.#parties) {
        this.#state = "draining";
        this.#inside.wakeAll(undefined);
      } else {
        while (this.#state === "filling") await this.#inside.park("wait on barrier");
        if (this.#state !== "draining") {
          throw new BrokenBarrierError(
            `Cannot pass barrier: barrier was ${
              this.#state === "broken" ? "aborted" : "reset"
            } while waiting`,
          );
        }
      }
      return index;
    } finally {
      this.#count--;
      this.#exit();
    }
  }

  /**
   * Returns the barrier to its empty, unbroken state: waiting tasks leave
   * with {@linkcode BrokenBarrierError}, and new ones wait until they are
   * gone. Equivalent to `Barrier.reset()` (a coroutine there; this acts at
   * once).
   *
   * @example
   * ```ts
   * import { Barrier } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(2);
   * barrier.abort();
   * barrier.reset();
   * assert.ok(!barrier.broken);
   * ```
   */
  reset(): void {
    if (this.#count > 0) {
      this.#state = "resetting";
      this.#inside.wakeAll(undefined);
    } else {
      this.#state = "filling";
      this.#blocked.wakeAll(undefined);
    }
  }

  /**
   * Breaks the barrier: waiting tasks and every later `wait()` throw
   * {@linkcode BrokenBarrierError} until `reset()`. Equivalent to
   * `Barrier.abort()` (a coroutine there; this acts at once).
   *
   * @example
   * ```ts
   * import { Barrier } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * const barrier = new Barrier(2);
   * barrier.abort();
   * assert.ok(barrier.broken);
   * ```
   */
  abort(): void {
    this.#state = "broken";
    this.#inside.wakeAll(undefined);
    this.#blocked.wakeAll(undefined);
  }

  /** How many tasks must wait for the barrier to open. Equivalent to `Barrier.parties`. */
  get parties(): number {
    return this.#parties;
  }

  /**
   * How many tasks wait for the current round to fill (0 while draining).
   * Equivalent to `Barrier.n_waiting`.
   */
  get nWaiting(): number {
    return this.#state === "filling" ? this.#count : 0;
  }

  /** Whether the barrier is broken. Equivalent to `Barrier.broken`. */
  get broken(): boolean {
    return this.#state === "broken";
  }

  /** The barrier's state (asyncio shows it in the repr). */
  get state(): BarrierState {
    return this.#state;
  }

  /** `<Barrier [filling, waiters:2/3]>` or `<Barrier [broken]>`, as asyncio's repr. */
  toString(): string {
    const waiters = this.#state === "broken" ? "" : `, waiters:${this.nWaiting}/${this.#parties}`;
    return `<Barrier [${this.#state}${waiters}]>`;
  }

  // The last task of a round to leave lets the next round in.
  #exit(): void {
    if (this.#count !== 0) return;
    if (this.#state === "resetting" || this.#state === "draining") this.#state = "filling";
    this.#blocked.wakeAll(undefined);
  }
}
