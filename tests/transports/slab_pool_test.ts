/**
 * The read slabs of the epoll selector's sockets (`transports/_slab_pool.ts`):
 * a byte handed out is never written again while its view lives, and a slab
 * whose views were all collected comes back zeroed for the next reads.
 *
 * `gc()` comes from `--v8-flags=--expose-gc` (both I/O test groups pass it).
 *
 * @module
 */
import assert from "node:assert/strict";
import { slabPoolStats, SlabReader } from "../../transports/_slab_pool.ts";

const gc = (globalThis as { gc?: () => void }).gc;

// Collects, then lets V8 run the FinalizationRegistry callbacks (a task),
// until `done()` or `turns` turns.
async function collect(done: () => boolean, turns = 50): Promise<void> {
  for (let turn = 0; turn < turns && !done(); turn++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

// "Reads" `n` bytes of `value` the way a socket does: into the tail, then takes them.
function read(reader: SlabReader, n: number, value: number): Uint8Array {
  reader.tail().fill(value, 0, n);
  return reader.take(n);
}

Deno.test({
  name: "SlabReader hands out views whose bytes are never written again while they live",
  ignore: gc === undefined,
  async fn() {
    const reader = new SlabReader();
    const kept: Uint8Array[] = [];
    // 3 MiB through one reader: several slabs, each retired while views of it live.
    for (let i = 0; i < 3 * 256; i++) {
      const view = read(reader, 4096, i % 251);
      if (i % 7 === 0) kept.push(view);
    }
    await collect(() => false, 3); // the dropped views' slabs may come back meanwhile
    for (let i = 0; i < 3 * 256; i++) read(reader, 4096, 255);
    for (const [k, view] of kept.entries()) {
      const expected = (k * 7) % 251;
      assert.ok(view.every((b) => b === expected), `view ${k} kept its bytes`);
    }
    reader.release();
  },
});

Deno.test({
  name: "SlabReader's slabs come back zeroed once their views are collected",
  ignore: gc === undefined,
  async fn() {
    const before = slabPoolStats();
    const reader = new SlabReader();
    // Retires two slabs (a new one starts when the tail is below 64 KiB).
    for (let i = 0; i < 2 * 8; i++) read(reader, 60 * 1024, 0xab);
    reader.release();
    await collect(() => slabPoolStats().free >= before.free + 2);
    assert.ok(slabPoolStats().free >= before.free + 2, "the retired slabs are free again");
    assert.equal(slabPoolStats().arenas, Math.max(before.arenas, 1), "no new arena was needed");
    // The next reader reuses that memory, zeroed.
    const next = new SlabReader();
    const tail = next.tail();
    assert.equal(tail.length, 256 * 1024);
    assert.ok(tail.every((b) => b === 0), "a reused slab is zeroed");
    next.release();
  },
});

Deno.test("SlabReader views share an arena that cannot be detached or transferred", () => {
  const reader = new SlabReader();
  const a = read(reader, 10, 1);
  const b = read(reader, 10, 2);
  assert.equal(a.buffer, b.buffer, "one arena");
  assert.equal(b.byteOffset, a.byteOffset + 10);
  assert.throws(() => (a.buffer as ArrayBuffer).transfer(), TypeError);
  assert.throws(
    () => structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] }),
    TypeError,
  );
  assert.deepEqual([...a], Array(10).fill(1), "still there");
  reader.release();
});

Deno.test("SlabReader gives slabs of their own once every arena is in use", () => {
  const readers: SlabReader[] = [];
  // 8 arenas of 16 slabs: the 129th reader's slab (or earlier, if other
  // tests hold some) is a standalone array.
  for (let i = 0; i < 8 * 16 + 1; i++) {
    const reader = new SlabReader();
    reader.tail();
    readers.push(reader);
  }
  assert.equal(slabPoolStats().arenas, 8, "at most 8 arenas");
  const last = readers.at(-1)!;
  const view = read(last, 100, 7);
  assert.equal(view.buffer.byteLength, 512 * 1024, "a standalone slab");
  assert.deepEqual([...view], Array(100).fill(7));
  for (const reader of readers) reader.release();
});
