/**
 * The item stores of the queues: a ring buffer (FIFO), an array stack (LIFO)
 * and a binary heap (priority). Python's `Queue._init/_put/_get`, plus
 * `putBack` for an item handed to a getter whose task was cancelled before
 * it received it.
 *
 * @module
 */

/** Where a queue keeps its items. */
export interface Store<T> {
  /** How many items are stored. */
  readonly length: number;
  /** Adds an item. May throw (a comparator); then nothing changed. */
  put(item: T): void;
  /** Removes and returns the next item; the caller checks `length` first. */
  take(): T;
  /** Returns an item `take()` removed, so it is the next one taken again. */
  putBack(item: T): void;
  /** Removes every item; returns how many there were. */
  clear(): number;
}

const MIN_CAPACITY = 16;

/**
 * FIFO items in a growable ring buffer: O(1) put, take and put-back without
 * `Array.prototype.shift`'s moves. Capacity is a power of two (the index wraps
 * with a mask); it doubles when full and halves when three quarters empty,
 * so a queue that once held a million items does not keep their slots.
 */
export class RingBuffer<T> implements Store<T> {
  #items: (T | undefined)[] = new Array(MIN_CAPACITY);
  #mask = MIN_CAPACITY - 1;
  #head = 0;
  #length = 0;

  /** How many items are stored. */
  get length(): number {
    return this.#length;
  }

  /** Appends at the back. */
  put(item: T): void {
    if (this.#length === this.#items.length) this.#resize(this.#items.length * 2);
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes and returns the front item. */
  take(): T {
    const items = this.#items;
    const head = this.#head;
    const item = items[head] as T;
    items[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    const length = --this.#length;
    if (length < items.length >> 2 && items.length > MIN_CAPACITY) {
      this.#resize(items.length >> 1);
    }
    return item;
  }

  /** Puts an item back at the front. */
  putBack(item: T): void {
    if (this.#length === this.#items.length) this.#resize(this.#items.length * 2);
    this.#head = (this.#head - 1) & this.#mask;
    this.#items[this.#head] = item;
    this.#length++;
  }

  /** Removes every item. */
  clear(): number {
    const length = this.#length;
    this.#items = new Array(MIN_CAPACITY);
    this.#mask = MIN_CAPACITY - 1;
    this.#head = 0;
    this.#length = 0;
    return length;
  }

  #resize(capacity: number): void {
    const old = this.#items;
    const next: (T | undefined)[] = new Array(capacity);
    for (let i = 0; i < this.#length; i++) next[i] = old[(this.#head + i) & this.#mask];
    this.#items = next;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}

/** LIFO items in an array: the last one put is taken first. */
export class Stack<T> implements Store<T> {
  #items: T[] = [];

  /** How many items are stored. */
  get length(): number {
    return this.#items.length;
  }

  /** Pushes on top. */
  put(item: T): void {
    this.#items.push(item);
  }

  /** Pops the top item. */
  take(): T {
    return this.#items.pop() as T;
  }

  /** Pushes the item back on top. */
  putBack(item: T): void {
    this.#items.push(item);
  }

  /** Removes every item. */
  clear(): number {
    const length = this.#items.length;
    this.#items = [];
    return length;
  }
}

/**
 * Items in a binary min-heap ordered by `compare` (negative: `a` comes
 * first), as Python's `heapq` (not stable: equal items come out in any
 * order). Every change first finds where items go, comparing only, then
 * moves them, so a comparator that throws leaves the heap as it was.
 */
export class Heap<T> implements Store<T> {
  #items: T[] = [];
  readonly #compare: (a: T, b: T) => number;

  /** Creates an empty heap ordered by `compare`. */
  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }

  /** How many items are stored. */
  get length(): number {
    return this.#items.length;
  }

  /** Adds an item. */
  put(item: T): void {
    const items = this.#items;
    const compare = this.#compare;
    // Find the slot first: if compare throws, nothing has moved.
    let slot = items.length;
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (compare(item, items[parent]) >= 0) break;
      slot = parent;
    }
    let hole = items.length;
    items.push(item);
    while (hole > slot) {
      const parent = (hole - 1) >> 1;
      items[hole] = items[parent];
      hole = parent;
    }
    items[slot] = item;
  }

  /** Removes and returns the smallest item. */
  take(): T {
    const items = this.#items;
    const top = items[0];
    const last = items[items.length - 1];
    const size = items.length - 1;
    if (size === 0) {
      items.pop();
      return top;
    }
    // Walk down from the root to where `last` goes, comparing only.
    const compare = this.#compare;
    const path: number[] = [];
    let hole = 0;
    for (;;) {
      let child = 2 * hole + 1;
      if (child >= size) break;
      if (child + 1 < size && compare(items[child + 1], items[child]) < 0) child++;
      if (compare(items[child], last) >= 0) break;
      path.push(child);
      hole = child;
    }
    items.pop();
    let at = 0;
    for (const child of path) {
      items[at] = items[child];
      at = child;
    }
    items[at] = last;
    return top;
  }

  /** Adds the item back (the heap orders it again). */
  putBack(item: T): void {
    this.put(item);
  }

  /** Removes every item. */
  clear(): number {
    const length = this.#items.length;
    this.#items = [];
    return length;
  }
}
