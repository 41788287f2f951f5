/**
 * Read slabs whose memory is used again once nothing refers to it: what a
 * transport reads for a plain `Protocol` lands here, and `dataReceived`
 * gets a view of it (no copy).
 *
 * A protocol owns the data it receives and may keep it, so a byte handed
 * out is never written again while a view of it lives. With a fresh V8
 * array per slab, every byte received cost new memory, and V8 counts array
 * memory toward its collection heuristics: at 10 KiB echoes it ran a full
 * (mark-compact) collection every ~200 ms, most of the user CPU time the
 * plain echo paid beyond a `BufferedProtocol` (`docs/performance.md`).
 *
 * Here slabs are regions of arenas, each a `WebAssembly.Memory` the pool
 * allocates once: views of it allocate no array memory, and its buffer
 * cannot be detached (`transfer()` and transfer lists throw `TypeError`),
 * so nothing can move memory the pool still tracks. Each view handed out is
 * registered with a `FinalizationRegistry` (V8 runs those callbacks after
 * young-generation collections too, within milliseconds under load); a
 * retired slab whose views are all collected is zeroed and reused, and an
 * arena whose slabs are all free goes back to V8 when another free arena
 * is kept.
 *
 * What a user sees: `data.buffer` is the arena, shared with other reads
 * (as Node's pooled `Buffer`s share theirs); the view's own bytes are its
 * `byteOffset` .. `byteOffset + length`. Copy (`data.slice()`) to get a
 * buffer of one's own, for instance to transfer it.
 *
 * @module
 */

// A slab, as before the pool: reads of up to MAX_READ go into its tail, a
// new slab when the tail is below MIN_TAIL.
const SLAB_SIZE = 512 * 1024;
const MAX_READ = 256 * 1024;
const MIN_TAIL = 64 * 1024;
// An arena: 16 slabs (8 MiB, 128 WebAssembly pages of 64 KiB).
const SLABS_PER_ARENA = 16;
const PAGE = 64 * 1024;
// At most this many arenas (64 MiB), kept for reuse once made.
const MAX_ARENAS = 8;

interface Arena {
  readonly bytes: Uint8Array;
  // Slabs taken from this arena and not yet back.
  inUse: number;
  // A pool arena (false: one standalone slab, left to V8).
  readonly pooled: boolean;
}

interface Slab {
  readonly arena: Arena;
  readonly start: number;
  // Views handed out and not yet collected.
  live: number;
  // Its reader moved on: back to the pool once `live` is 0.
  retired: boolean;
  // Bytes written (zeroed again before reuse).
  used: number;
}

/** The process's slabs (one pool: arenas are shared by every reader). */
class SlabPool {
  readonly #free: Slab[] = [];
  readonly #registry = new FinalizationRegistry<Slab>((slab) => {
    slab.live--;
    if (slab.retired && slab.live === 0) this.#recycle(slab);
  });
  #arenas = 0;

  get arenas(): number {
    return this.#arenas;
  }

  get free(): number {
    return this.#free.length;
  }

  take(): Slab {
    const slab = this.#free.pop() ??
      (this.#arenas < MAX_ARENAS ? this.#newArena() : this.#standalone());
    slab.retired = false;
    slab.arena.inUse++;
    return slab;
  }

  view(slab: Slab, start: number, n: number): Uint8Array {
    const view = slab.arena.bytes.subarray(slab.start + start, slab.start + start + n);
    if (slab.arena.pooled) {
      slab.live++;
      this.#registry.register(view, slab);
    }
    return view;
  }

  retire(slab: Slab): void {
    if (!slab.arena.pooled) return;
    slab.retired = true;
    if (slab.live === 0) this.#recycle(slab);
  }

  #recycle(slab: Slab): void {
    const arena = slab.arena;
    arena.bytes.fill(0, slab.start, slab.start + slab.used);
    slab.used = 0;
    arena.inUse--;
    this.#free.push(slab);
  }

  #newArena(): Slab {
    const memory = new WebAssembly.Memory({ initial: (SLAB_SIZE * SLABS_PER_ARENA) / PAGE });
    const arena: Arena = { bytes: new Uint8Array(memory.buffer), inUse: 0, pooled: true };
    this.#arenas++;
    for (let i = SLABS_PER_ARENA - 1; i > 0; i--) {
      this.#free.push({ arena, start: i * SLAB_SIZE, live: 0, retired: true, used: 0 });
    }
    return { arena, start: 0, live: 0, retired: true, used: 0 };
  }

  // Every arena in use: a slab of its own, which V8 frees (and counts
  // toward its collections, which then give arenas back).
  #standalone(): Slab {
    const arena: Arena = { bytes: new Uint8Array(SLAB_SIZE), inUse: 0, pooled: false };
    return { arena, start: 0, live: 0, retired: true, used: 0 };
  }
}

const pool = new SlabPool();

/**
 * One reader's slab: read into {@linkcode SlabReader.tail}, then hand the
 * bytes read out with {@linkcode SlabReader.take}. A reader does one read
 * at a time.
 */
export class SlabReader {
  #slab: Slab | null = null;
  #used = 0;

  /** Free space of the current slab to read into (at most 256 KiB); a new slab when it runs low. */
  tail(): Uint8Array {
    let slab = this.#slab;
    if (slab === null || SLAB_SIZE - this.#used < MIN_TAIL) {
      if (slab !== null) pool.retire(slab);
      slab = this.#slab = pool.take();
      this.#used = 0;
    }
    const start = slab.start + this.#used;
    return slab.arena.bytes.subarray(start, start + Math.min(MAX_READ, SLAB_SIZE - this.#used));
  }

  /** The `n` bytes just read into the tail, as a view nothing will write again. */
  take(n: number): Uint8Array {
    const slab = this.#slab!;
    const view = pool.view(slab, this.#used, n);
    this.#used += n;
    slab.used = this.#used;
    return view;
  }

  /** Reading is over: the slab goes back once its views are collected. */
  release(): void {
    if (this.#slab === null) return;
    pool.retire(this.#slab);
    this.#slab = null;
  }
}

/** The pool's state: arenas allocated and free slabs (for tests and diagnostics). */
export function slabPoolStats(): { arenas: number; free: number } {
  return { arenas: pool.arenas, free: pool.free };
}
