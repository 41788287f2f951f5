/**
 * Where a stream transport keeps its copies of written data. `write()` must
 * copy (the caller may reuse its buffer as soon as `write()` returns, while
 * Deno's write is asynchronous), but a fresh `Uint8Array` per write costs an
 * allocation (about 2 µs for 1 KiB here, 12–30 µs for 100 KiB, plus the
 * collection), where copying into memory already owned costs about 0.1 µs
 * for 1 KiB. So each transport copies into one reused buffer:
 *
 * - copies go one after another into the buffer; consecutive copies are
 *   contiguous, so the transport can send them as one write without joining;
 * - once the transport's queue is empty, no write in flight or queued refers
 *   to the buffer any more, and the transport calls `reset()`: the next copy
 *   starts at the front again (the common case: one write, one completion);
 * - when the rest of the buffer is too small, a new one twice the size of
 *   what is needed is started (the old one lives on only in queued views),
 *   from 4 KiB up to 256 KiB, so an idle connection holds little memory;
 * - data over half the largest buffer (128 KiB) is copied on its own
 *   (`slice()`).
 *
 * @module
 */

const MIN_SIZE = 4 * 1024;
const MAX_SIZE = 256 * 1024;

/** A transport's reused buffer for the copies `write()` must make. */
export class WriteBuffer {
  #buf: Uint8Array = new Uint8Array(0);
  #used = 0;

  /** A copy of `data`: a view of the buffer, right after the previous copy when it fits. */
  copy(data: Uint8Array): Uint8Array {
    const n = data.length;
    if (this.#buf.length - this.#used < n) {
      if (n > MAX_SIZE / 2) return data.slice();
      let size = MIN_SIZE;
      while (size < 2 * n) size *= 2;
      // A buffer still partly queued is left to its views; a reset one is grown.
      this.#buf = new Uint8Array(Math.max(size, Math.min(MAX_SIZE, 2 * this.#buf.length)));
      this.#used = 0;
    }
    const start = this.#used;
    this.#used = start + n;
    const view = this.#buf.subarray(start, this.#used);
    view.set(data);
    return view;
  }

  /**
   * Appends `next` to `last` when both are consecutive copies in the same
   * buffer: the view covering both, or `null` when they are not adjacent.
   */
  static join(last: Uint8Array, next: Uint8Array): Uint8Array | null {
    if (last.buffer !== next.buffer || last.byteOffset + last.length !== next.byteOffset) {
      return null;
    }
    return new Uint8Array(last.buffer, last.byteOffset, last.length + next.length);
  }

  /** Nothing written from the buffer is queued or in flight any more: start at the front. */
  reset(): void {
    this.#used = 0;
  }
}
