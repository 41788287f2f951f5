/**
 * The byte buffer of `StreamReader`: a queue of bytes that keeps data
 * without copying when it can.
 *
 * Transports hand `dataReceived` views whose bytes are never written again
 * (`Protocol.dataReceived`). While the buffer is empty, such a view is kept
 * as it is (borrowed), and what a read takes from it is a `subarray` of it:
 * an echo or a line protocol whose reads keep up with the data never copies
 * a byte. Only when data must be joined (a second chunk arrives before the
 * first is consumed) do the bytes move into an owned, growable store; what
 * is taken from the store is copied out, because the store is reused.
 *
 * @module
 */

const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);
// Below this, an emptied store is kept for reuse; above it, it is released.
const KEEP_STORE = 256 * 1024;

/** A FIFO of bytes with zero-copy takes from borrowed views. */
export class ReadBuffer {
  // Exactly one of these holds the bytes: the borrowed view, or the owned
  // store's [#start, #end) range.
  #borrowed: Uint8Array<ArrayBuffer> = EMPTY;
  #store: Uint8Array<ArrayBuffer> = EMPTY;
  #start = 0;
  #end = 0;

  /** The number of bytes buffered. */
  get length(): number {
    return this.#borrowed.length + this.#end - this.#start;
  }

  /** Appends `data`, whose bytes never change: kept without a copy when the buffer is empty. */
  pushStable(data: Uint8Array<ArrayBuffer>): void {
    if (data.length === 0) return;
    if (this.length === 0) {
      this.#borrowed = data;
      return;
    }
    this.#append(data);
  }

  /** Appends a copy of `data` (the caller may reuse it). */
  pushCopy(data: Uint8Array): void {
    if (data.length === 0) return;
    this.#append(data);
  }

  /** Every buffered byte as one view, valid until the buffer changes. */
  peek(): Uint8Array<ArrayBuffer> {
    if (this.#borrowed.length > 0) return this.#borrowed;
    return this.#store.subarray(this.#start, this.#end);
  }

  /** Removes the first `n` bytes (at most `length`) and returns them; they are the caller's. */
  take(n: number): Uint8Array<ArrayBuffer> {
    const borrowed = this.#borrowed;
    if (borrowed.length > 0) {
      if (n >= borrowed.length) {
        this.#borrowed = EMPTY;
        return borrowed;
      }
      this.#borrowed = borrowed.subarray(n);
      return borrowed.subarray(0, n);
    }
    const end = Math.min(this.#start + n, this.#end);
    const out = this.#store.slice(this.#start, end);
    this.#start = end;
    if (end === this.#end) this.#reset();
    return out;
  }

  /** Drops the first `n` bytes (at most `length`). */
  skip(n: number): void {
    if (this.#borrowed.length > 0) {
      this.#borrowed = n >= this.#borrowed.length ? EMPTY : this.#borrowed.subarray(n);
      return;
    }
    this.#start = Math.min(this.#start + n, this.#end);
    if (this.#start === this.#end) this.#reset();
  }

  /** Drops every byte. */
  clear(): void {
    this.#borrowed = EMPTY;
    this.#reset();
  }

  #reset(): void {
    this.#start = 0;
    this.#end = 0;
    if (this.#store.length > KEEP_STORE) this.#store = EMPTY;
  }

  #append(data: Uint8Array): void {
    const borrowed = this.#borrowed;
    if (borrowed.length > 0) {
      this.#borrowed = EMPTY;
      this.#reserve(borrowed.length + data.length);
      this.#store.set(borrowed, 0);
      this.#end = borrowed.length;
    } else {
      this.#reserve(data.length);
    }
    this.#store.set(data, this.#end);
    this.#end += data.length;
  }

  // Makes room for `more` bytes after #end, compacting or growing the store.
  #reserve(more: number): void {
    const store = this.#store;
    if (store.length - this.#end >= more) return;
    const used = this.#end - this.#start;
    const need = used + more;
    if (need <= store.length >> 1) {
      // Compacting leaves at least half the store free: amortized O(1) per byte.
      store.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = new Uint8Array(Math.max(need, store.length * 2, 4096));
      grown.set(store.subarray(this.#start, this.#end));
      this.#store = grown;
    }
    this.#start = 0;
    this.#end = used;
  }
}

/** The index of `needle` in `haystack` at or after `from`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  const last = haystack.length - needle.length;
  if (needle.length === 1) return haystack.indexOf(first, from);
  for (
    let i = haystack.indexOf(first, from);
    i !== -1 && i <= last;
    i = haystack.indexOf(first, i + 1)
  ) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
