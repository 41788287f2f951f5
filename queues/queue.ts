/**
 * {@linkcode Queue}: a FIFO queue for producer and consumer tasks.
 * Equivalent to Python's `asyncio.Queue`.
 *
 * @module
 */
import { LoopBinding, type Waiter, WaiterQueue } from "../sync/waiter_queue.ts";
import { RingBuffer, type Store } from "./_stores.ts";
import { QueueEmpty, QueueFull, QueueShutDown } from "./exceptions.ts";

/**
 * Options of {@linkcode Queue}. Equivalent to the keyword arguments of
 * Python's `Queue`.
 *
 * @example
 * ```ts
 * import { Queue, type QueueOptions } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const options: QueueOptions = { maxsize: 10 };
 * assert.equal(new Queue(options).maxsize, 10);
 * ```
 */
export interface QueueOptions {
  /**
   * How many items the queue holds before `put()` waits; 0 or less (the
   * default) means no limit.
   */
  maxsize?: number;
}

/**
 * A snapshot of a {@linkcode Queue}'s state, from `statistics()`.
 *
 * @example
 * ```ts
 * import { Queue, type QueueStatistics } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const queue = new Queue<string>();
 * queue.putNowait("job");
 * const stats: QueueStatistics = queue.statistics();
 * assert.equal(stats.unfinishedTasks, 1);
 * ```
 */
export interface QueueStatistics {
  /** Items in the queue (`qsize()`). */
  qsize: number;
  /** The `maxsize` it was created with. */
  maxsize: number;
  /** How many tasks wait in `get()`. */
  getters: number;
  /** How many tasks wait in `put()`. */
  putters: number;
  /** Items put and not yet marked done with `taskDone()`. */
  unfinishedTasks: number;
  /** Whether `shutdown()` was called. */
  shutdown: boolean;
}

const OPEN = 0;
const SHUT = 1;
const SHUT_IMMEDIATE = 2;
type Phase = typeof OPEN | typeof SHUT | typeof SHUT_IMMEDIATE;

const DONE: Promise<void> = Promise.resolve();

// Set in Queue's static block: lets the subclasses choose their store.
let setStore: (queue: Queue<unknown>, store: Store<unknown>) => void;

/**
 * A first-in, first-out queue for tasks. Equivalent to Python's
 * `asyncio.Queue`; {@linkcode PriorityQueue} and {@linkcode LifoQueue}
 * change only the order.
 *
 * `put()` waits while the queue is full (`maxsize` items), `get()` while it
 * is empty; the `Nowait` forms throw {@linkcode QueueFull} and
 * {@linkcode QueueEmpty} instead. Waiting getters and putters are served
 * FIFO, and what a woken one is owed is kept for it: a getter is promised an
 * item (a task that comes later cannot take it first) and takes the front
 * item when its task resumes; a putter is granted a slot. Items leave in
 * queue order, and nothing is lost or duplicated: a getter cancelled before
 * it resumed passes its claim to the next getter (with none waiting, the
 * item stays first in the queue), and a `put()` that throws
 * `CancelledError` did not put its item.
 *
 * One difference from asyncio: an item promised to a waiting getter has
 * left the queue at once, for `qsize()` and for `maxsize` too (as a Go
 * channel or a trio memory channel hands it over), where asyncio keeps it
 * in the queue until the getter's task runs. So with getters waiting, a
 * `put()` does not wait for them to run; and if such a getter is cancelled
 * with no other getter waiting, its item returns to the queue, which may
 * then briefly hold more than `maxsize` items. `taskDone()`
 * and `join()` track processing; `shutdown()` (Python 3.13) ends the queue.
 * Queues are async-iterable: `for await (const item of queue)` gets items
 * until the queue is shut down and empty.
 *
 * Like every promise, `await queue.get()` adopts an item that is itself a
 * promise or thenable (a `Future`, a `Task`): wrap such items (`{ task }`).
 *
 * @typeParam T The items' type.
 *
 * @example Producers and consumers
 * ```ts
 * import { createTask, gather, Queue, run } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const queue = new Queue<number>({ maxsize: 2 });
 *   const got: number[] = [];
 *   const producer = createTask(async () => {
 *     for (let i = 0; i < 5; i++) await queue.put(i);
 *     queue.shutdown();
 *   });
 *   const consumer = createTask(async () => {
 *     for await (const item of queue) got.push(item);
 *   });
 *   await gather(producer, consumer);
 *   assert.deepEqual(got, [0, 1, 2, 3, 4]);
 * });
 * ```
 */
export class Queue<T> implements AsyncIterable<T> {
  readonly #maxsize: number;
  readonly #limit: number;
  #store: Store<T> = new RingBuffer<T>();
  // Items in the store promised to woken getters whose tasks have not
  // resumed (each takes the front item when it does): they have left the
  // queue for qsize() and maxsize. And slots granted to woken putters whose
  // tasks have not resumed: they count toward maxsize.
  #claims = 0;
  #reserved = 0;
  #unfinished = 0;
  #phase: Phase = OPEN;
  readonly #getters: WaiterQueue<T>;
  readonly #putters: WaiterQueue<void>;
  readonly #joiners: WaiterQueue<void>;

  /**
   * Creates an empty queue.
   *
   * @throws {TypeError} `maxsize` is not a number (or is NaN).
   */
  constructor(options?: QueueOptions) {
    const maxsize = options?.maxsize ?? 0;
    if (typeof maxsize !== "number" || Number.isNaN(maxsize)) {
      throw new TypeError(
        `Cannot create ${new.target.name} as 'maxsize' must be a number (0 or less for no limit): received ${
          typeof maxsize === "number" ? maxsize : typeof maxsize
        }`,
      );
    }
    this.#maxsize = maxsize;
    this.#limit = maxsize > 0 ? maxsize : Infinity;
    const binding = new LoopBinding(this);
    // A getter is handed a claim; it takes the front item when its task
    // resumes, so items leave in order even when a getter in the middle is
    // cancelled, and a cancelled getter's claim goes to the next one.
    this.#getters = new WaiterQueue<T>(binding, {
      delivered: (): T => {
        this.#claims--;
        if (this.#store.length === 0) {
          // Only after shutdown(true), which dropped the claimed items.
          throw new QueueShutDown("Cannot get item: queue was shut down immediately");
        }
        return this.#store.take();
      },
      // The item stays in its place and goes to the next getter if one
      // waits; if none does, it is back in the queue, even when that briefly
      // makes more than maxsize items.
      abandoned: (): void => {
        this.#claims--;
        this.#wakeGetters();
      },
    });
    // A putter is granted a slot; it puts its item when its task resumes,
    // so a put() that throws CancelledError did not put.
    this.#putters = new WaiterQueue<void>(binding, {
      delivered: (waiter: Waiter<void>): void => {
        this.#reserved--;
        if (this.#phase !== OPEN) {
          throw new QueueShutDown("Cannot put item: queue was shut down while waiting");
        }
        try {
          this.#deposit(waiter.payload as T);
        } finally {
          // The slot is free again if the item went to a getter (or failed).
          this.#grantSlots();
        }
        this.#unfinished++;
      },
      abandoned: (): void => {
        this.#reserved--;
        this.#grantSlots();
      },
    });
    this.#joiners = new WaiterQueue<void>(binding);
  }

  /** The `maxsize` the queue was created with. Equivalent to `Queue.maxsize`. */
  get maxsize(): number {
    return this.#maxsize;
  }

  /**
   * The number of items in the queue, which `get()` can take now.
   * Equivalent to `Queue.qsize()`, except that items already promised to
   * waiting getters whose tasks have not resumed yet are not counted
   * (asyncio counts them until those tasks run).
   */
  qsize(): number {
    const available = this.#store.length - this.#claims;
    return available > 0 ? available : 0;
  }

  /** Whether `qsize()` is 0, so `getNowait()` would throw. Equivalent to `Queue.empty()`. */
  empty(): boolean {
    return this.#store.length <= this.#claims;
  }

  /**
   * Whether `putNowait()` would throw {@linkcode QueueFull}: `qsize()` plus
   * the slots granted to putters whose tasks have not resumed yet reach
   * `maxsize`. Equivalent to `Queue.full()`. Never true without a `maxsize`.
   */
  full(): boolean {
    return this.#store.length - this.#claims + this.#reserved >= this.#limit;
  }

  /**
   * Puts `item` in the queue, waiting for a free slot while it is full (the
   * longest-waiting putter goes first). Equivalent to `Queue.put()`. If the
   * task is cancelled while it waits, the item is not put.
   *
   * @throws {QueueShutDown} The queue is shut down, or is shut down while waiting.
   * @throws {RuntimeError} It must wait and no loop is running, or the queue
   *   is bound to another loop.
   *
   * @example
   * ```ts
   * import { Queue, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const queue = new Queue<string>();
   *   await queue.put("a");
   *   assert.equal(queue.qsize(), 1);
   * });
   * ```
   */
  put(item: T): PromiseLike<void> {
    if (this.#phase !== OPEN) {
      return Promise.reject(new QueueShutDown("Cannot put item: queue is shut down"));
    }
    if (this.#store.length - this.#claims + this.#reserved < this.#limit) {
      try {
        this.#deposit(item);
      } catch (err) {
        return Promise.reject(err);
      }
      this.#unfinished++;
      return DONE;
    }
    return this.#putters.park("put into queue", item);
  }

  /**
   * Puts `item` in the queue without waiting. Equivalent to
   * `Queue.put_nowait()`.
   *
   * @throws {QueueFull} The queue is full.
   * @throws {QueueShutDown} The queue is shut down.
   *
   * @example
   * ```ts
   * import { Queue } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * assert.equal(queue.getNowait(), 1);
   * ```
   */
  putNowait(item: T): void {
    if (this.#phase !== OPEN) throw new QueueShutDown("Cannot put item: queue is shut down");
    if (this.#store.length - this.#claims + this.#reserved >= this.#limit) {
      throw new QueueFull(`Cannot put item: queue is full (maxsize ${this.#maxsize})`);
    }
    this.#deposit(item);
    this.#unfinished++;
  }

  /**
   * Removes and returns the next item, waiting while the queue is empty
   * (the longest-waiting getter is served first). Equivalent to
   * `Queue.get()`. A waiting getter takes its item only when its task
   * resumes, so a cancelled `get()` took nothing.
   *
   * @throws {QueueShutDown} The queue is shut down and empty, or is shut
   *   down while waiting.
   * @throws {RuntimeError} It must wait and no loop is running, or the queue
   *   is bound to another loop.
   *
   * @example
   * ```ts
   * import { getRunningLoop, Queue, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const queue = new Queue<string>();
   *   getRunningLoop().callLater(0.001, () => queue.putNowait("late"));
   *   assert.equal(await queue.get(), "late");
   * });
   * ```
   */
  get(): PromiseLike<T> {
    const store = this.#store;
    if (store.length > this.#claims) {
      // An unclaimed item means no getter waits: taking it passes no one.
      const item = store.take();
      if (this.#putters.size > 0) this.#grantSlots();
      return Promise.resolve(item);
    }
    if (this.#phase !== OPEN) {
      return Promise.reject(new QueueShutDown("Cannot get item: queue is shut down and empty"));
    }
    return this.#getters.park("get from queue");
  }

  /**
   * Removes and returns the next item without waiting. Equivalent to
   * `Queue.get_nowait()`.
   *
   * @throws {QueueEmpty} The queue is empty.
   * @throws {QueueShutDown} The queue is shut down and empty.
   *
   * @example
   * ```ts
   * import { Queue, QueueEmpty } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * assert.throws(() => queue.getNowait(), QueueEmpty);
   * ```
   */
  getNowait(): T {
    const store = this.#store;
    if (store.length <= this.#claims) {
      if (this.#phase !== OPEN) {
        throw new QueueShutDown("Cannot get item: queue is shut down and empty");
      }
      throw new QueueEmpty();
    }
    const item = store.take();
    if (this.#putters.size > 0) this.#grantSlots();
    return item;
  }

  /**
   * Marks one item taken from the queue as processed, for `join()`.
   * Equivalent to `Queue.task_done()`.
   *
   * @throws {RangeError} Called more times than items were put (Python's `ValueError`).
   *
   * @example
   * ```ts
   * import { Queue } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * queue.getNowait();
   * queue.taskDone();
   * assert.throws(() => queue.taskDone(), RangeError);
   * ```
   */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new RangeError(
        "Cannot mark task done: taskDone() was called more times than items were put",
      );
    }
    if (--this.#unfinished === 0) this.#joiners.wakeAll(undefined);
  }

  /**
   * Waits until every item put has been marked done with `taskDone()`.
   * Equivalent to `Queue.join()`.
   *
   * @throws {RuntimeError} It must wait and no loop is running, or the queue
   *   is bound to another loop.
   *
   * @example
   * ```ts
   * import { createTask, Queue, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const queue = new Queue<number>();
   *   const done: number[] = [];
   *   for (let i = 0; i < 3; i++) queue.putNowait(i);
   *   createTask(async () => {
   *     for (;;) {
   *       done.push(await queue.get());
   *       queue.taskDone();
   *     }
   *   });
   *   await queue.join();
   *   assert.deepEqual(done, [0, 1, 2]);
   * });
   * ```
   */
  join(): PromiseLike<void> {
    if (this.#unfinished === 0) return DONE;
    return this.#joiners.park("join queue");
  }

  /**
   * Shuts the queue down (Python 3.13): `put()` and `putNowait()` throw
   * {@linkcode QueueShutDown}, waiting putters and getters are woken with
   * it, and gets go on until the queue is empty, then throw it too. With
   * `immediate`, the items left are dropped at once (each counts as done for
   * `join()`), so gets throw at once. Equivalent to `Queue.shutdown()`.
   *
   * @example
   * ```ts
   * import { Queue, QueueShutDown } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * queue.shutdown();
   * assert.equal(queue.getNowait(), 1);
   * assert.throws(() => queue.getNowait(), QueueShutDown);
   * ```
   */
  shutdown(immediate: boolean = false): void {
    if (immediate) {
      this.#phase = SHUT_IMMEDIATE;
      this.#discard(this.#store.clear());
    } else if (this.#phase === OPEN) {
      this.#phase = SHUT;
    }
    this.#getters.failAll(() =>
      new QueueShutDown("Cannot get item: queue was shut down while waiting")
    );
    this.#putters.failAll(() =>
      new QueueShutDown("Cannot put item: queue was shut down while waiting")
    );
  }

  /**
   * Iterates over the items as they come (`for await`), until the queue is
   * shut down and empty. Each step is a `get()`; call `taskDone()` per item
   * if something `join()`s the queue.
   *
   * @example
   * ```ts
   * import { Queue, run } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * await run(async () => {
   *   const queue = new Queue<string>();
   *   queue.putNowait("a");
   *   queue.putNowait("b");
   *   queue.shutdown();
   *   const items: string[] = [];
   *   for await (const item of queue) items.push(item);
   *   assert.deepEqual(items, ["a", "b"]);
   * });
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    const next = async (): Promise<IteratorResult<T, undefined>> => {
      try {
        return { value: await this.get(), done: false };
      } catch (err) {
        if (err instanceof QueueShutDown) return { value: undefined, done: true };
        throw err;
      }
    };
    return { next };
  }

  /**
   * A snapshot of the queue's state.
   *
   * @example
   * ```ts
   * import { Queue } from "@aio/asyncio";
   * import assert from "node:assert/strict";
   *
   * const queue = new Queue<number>({ maxsize: 5 });
   * queue.putNowait(7);
   * assert.deepEqual(queue.statistics(), {
   *   qsize: 1, maxsize: 5, getters: 0, putters: 0, unfinishedTasks: 1, shutdown: false,
   * });
   * ```
   */
  statistics(): QueueStatistics {
    return {
      qsize: this.qsize(),
      maxsize: this.#maxsize,
      getters: this.#getters.size,
      putters: this.#putters.size,
      unfinishedTasks: this.#unfinished,
      shutdown: this.#phase !== OPEN,
    };
  }

  /** `<Queue maxsize=0 qsize=1 getters=1 tasks=1 shutdown>`, like asyncio's repr. */
  toString(): string {
    let text = `<${this.constructor.name} maxsize=${this.#maxsize} qsize=${this.qsize()}`;
    if (this.#getters.size > 0) text += ` getters=${this.#getters.size}`;
    if (this.#putters.size > 0) text += ` putters=${this.#putters.size}`;
    if (this.#unfinished > 0) text += ` tasks=${this.#unfinished}`;
    if (this.#phase !== OPEN) text += " shutdown";
    return `${text}>`;
  }

  // Stores `item` and, if a getter waits, promises it one.
  #deposit(item: T): void {
    this.#store.put(item);
    if (this.#getters.size > 0) {
      this.#claims++;
      this.#getters.wakeFirst(undefined as T);
    }
  }

  // Promises unclaimed items to waiting getters, longest-waiting first.
  #wakeGetters(): void {
    const getters = this.#getters;
    while (getters.size > 0 && this.#store.length > this.#claims) {
      this.#claims++;
      getters.wakeFirst(undefined as T);
    }
  }

  // Grants free slots to waiting putters, longest-waiting first.
  #grantSlots(): void {
    const putters = this.#putters;
    while (
      putters.size > 0 && this.#store.length - this.#claims + this.#reserved < this.#limit
    ) {
      this.#reserved++;
      putters.wakeFirst(undefined);
    }
  }

  // Items dropped by an immediate shutdown count as done.
  #discard(count: number): void {
    if (count === 0 || this.#unfinished === 0) return;
    this.#unfinished = Math.max(0, this.#unfinished - count);
    if (this.#unfinished === 0) this.#joiners.wakeAll(undefined);
  }

  static {
    setStore = (queue, store) => {
      queue.#store = store;
    };
  }
}

/** Replaces the store of a new, empty queue (for PriorityQueue and LifoQueue). */
export function useStore<T>(queue: Queue<T>, store: Store<T>): void {
  setStore(queue as Queue<unknown>, store as Store<unknown>);
}
