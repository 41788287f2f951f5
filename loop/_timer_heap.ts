/**
 * A binary min-heap of timers ordered by deadline, then by insertion order,
 * so timers with equal deadlines fire first-in, first-out (asyncio relies on
 * `heapq` with a sequence tie-breaker for the same guarantee).
 *
 * Struct of arrays: deadlines and sequence numbers sit in their own arrays
 * beside the items, so a comparison reads two numbers and never calls a
 * method. Removal is lazy: the loop leaves cancelled timers in place, pops
 * them when they reach the top, and calls `filter` to rebuild the heap when
 * they are the majority.
 */
export class TimerHeap<T> {
  #whens: number[] = [];
  #seqs: number[] = [];
  #items: T[] = [];
  #nextSeq = 0;

  get length(): number {
    return this.#items.length;
  }

  /** The earliest deadline; the caller checks `length` first. */
  peekWhen(): number {
    return this.#whens[0];
  }

  /** The item with the earliest deadline; the caller checks `length` first. */
  peek(): T {
    return this.#items[0];
  }

  push(when: number, item: T): void {
    const whens = this.#whens, seqs = this.#seqs, items = this.#items;
    const seq = this.#nextSeq++;
    let i = items.length;
    whens.push(when);
    seqs.push(seq);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pw = whens[parent];
      if (pw < when || (pw === when && seqs[parent] < seq)) break;
      whens[i] = pw;
      seqs[i] = seqs[parent];
      items[i] = items[parent];
      i = parent;
    }
    whens[i] = when;
    seqs[i] = seq;
    items[i] = item;
  }

  /** Removes and returns the earliest item; the caller checks `length` first. */
  pop(): T {
    const whens = this.#whens, seqs = this.#seqs, items = this.#items;
    const top = items[0];
    const lastWhen = whens.pop()!;
    const lastSeq = seqs.pop()!;
    const lastItem = items.pop()!;
    const n = items.length;
    if (n > 0) this.#siftDown(0, lastWhen, lastSeq, lastItem, n);
    return top;
  }

  /** Keeps only the items for which `keep` is true, and restores heap order. */
  filter(keep: (item: T) => boolean): void {
    const whens = this.#whens, seqs = this.#seqs, items = this.#items;
    let j = 0;
    for (let i = 0; i < items.length; i++) {
      if (keep(items[i])) {
        whens[j] = whens[i];
        seqs[j] = seqs[i];
        items[j] = items[i];
        j++;
      }
    }
    whens.length = seqs.length = items.length = j;
    for (let i = (j >> 1) - 1; i >= 0; i--) this.#siftDown(i, whens[i], seqs[i], items[i], j);
  }

  clear(): void {
    this.#whens.length = this.#seqs.length = this.#items.length = 0;
  }

  /** Every item, in heap (not deadline) order. */
  items(): readonly T[] {
    return this.#items;
  }

  #siftDown(i: number, when: number, seq: number, item: T, n: number): void {
    const whens = this.#whens, seqs = this.#seqs, items = this.#items;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (
        right < n &&
        (whens[right] < whens[child] ||
          (whens[right] === whens[child] && seqs[right] < seqs[child]))
      ) child = right;
      const cw = whens[child];
      if (when < cw || (when === cw && seq < seqs[child])) break;
      whens[i] = cw;
      seqs[i] = seqs[child];
      items[i] = items[child];
      i = child;
    }
    whens[i] = when;
    seqs[i] = seq;
    items[i] = item;
  }
}
