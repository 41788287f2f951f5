/**
 * {@linkcode Event}: a flag tasks can wait for. Equivalent to Python's
 * `asyncio.Event`.
 *
 * @module
 */
import { LoopBinding, WaiterQueue } from "./waiter_queue.ts";

/**
 * A snapshot of an {@linkcode Event}'s state, from `statistics()`.
 *
 * @example
 * ```ts
 * import { Event, type EventStatistics } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const event = new Event();
 * event.set();
 * const stats: EventStatistics = event.statistics();
 * assert.ok(stats.set);
 * ```
 */
export interface EventStatistics {
  /** Whether the flag is set. */
  set: boolean;
  /** How many tasks wait in `wait()`. */
  waiters: number;
}

const SET: Promise<true> = Promise.resolve(true);

/**
 * A flag that tasks wait for: `set()` wakes every waiting task, and while it
 * is set `wait()` returns at once. Equivalent to Python's `asyncio.Event`
 * (named after it, so importing it shadows the DOM's global `Event` in that
 * module). Created outside a loop, it binds to the loop of its first wait.
 *
 * @example Start workers together
 * ```ts
 * import { createTask, Event, gather, run, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const go = new Event();
 *   const started: number[] = [];
 *   const worker = (id: number) => async () => {
 *     await go.wait();
 *     started.push(id);
 *   };
 *   const tasks = [createTask(worker(1)), createTask(worker(2))];
 *   await sleep(0.001);
 *   assert.deepEqual(started, []);
 *   go.set();
 *   await gather(...tasks);
 *   assert.deepEqual(started, [1, 2]);
 * });
 * ```
 */
export class Event {
  #set = false;
  readonly #waiters: WaiterQueue<true> = new WaiterQueue(new LoopBinding(this));

  /** Whether the flag is set. Equivalent to `Event.is_set()`. */
  isSet(): boolean {
    return this.#set;
  }

  /**
   * Sets the flag and wakes every waiting task, in the order they started
   * waiting. Equivalent to `Event.set()`.
   *
   * @example
   * ```ts
   * import { Event } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * event.set();
   * assert.ok(event.isSet());
   * ```
   */
  set(): void {
    if (this.#set) return;
    this.#set = true;
    this.#waiters.wakeAll(true);
  }

  /**
   * Clears the flag, so later `wait()` calls block until the next `set()`.
   * Tasks already woken stay woken. Equivalent to `Event.clear()`.
   *
   * @example
   * ```ts
   * import { Event } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * const event = new Event();
   * event.set();
   * event.clear();
   * assert.ok(!event.isSet());
   * ```
   */
  clear(): void {
    this.#set = false;
  }

  /**
   * Waits until the flag is set (at once if it is), then resolves to `true`.
   * Equivalent to `Event.wait()`.
   *
   * @throws {RuntimeError} It must wait and no loop is running, or the event
   *   is bound to another loop.
   *
   * @example
   * ```ts
   * import { Event, getRunningLoop, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const event = new Event();
   *   getRunningLoop().callLater(0.001, () => event.set());
   *   assert.equal(await event.wait(), true);
   * });
   * ```
   */
  wait(): PromiseLike<true> {
    if (this.#set) return SET;
    return this.#waiters.park("wait for event");
  }

  /**
   * A snapshot of the event's state.
   *
   * @example
   * ```ts
   * import { Event } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * assert.deepEqual(new Event().statistics(), { set: false, waiters: 0 });
   * ```
   */
  statistics(): EventStatistics {
    return { set: this.#set, waiters: this.#waiters.size };
  }

  /** `<Event [unset]>` or `<Event [set]>`, with `, waiters:N` when tasks wait. */
  toString(): string {
    const waiters = this.#waiters.size;
    return `<Event [${this.#set ? "set" : "unset"}${waiters > 0 ? `, waiters:${waiters}` : ""}]>`;
  }
}
