/**
 * Heap held by a `Queue` of 1,000,000 numbers (issue 4's target: under 64
 * MiB), for small integers and for doubles, and what is left once it is
 * drained. Needs `--v8-flags=--expose-gc` so each figure is taken after a
 * full GC.
 *
 *   deno run --v8-flags=--expose-gc bench/queue_memory.ts [N]
 *
 * @module
 */
import { Queue, run } from "../mod.ts";

const N = Number(Deno.args[0] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");

function heapUsed(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed;
}

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20 * 10) / 10;

for (
  const [name, value] of [["integers", (i: number) => i], [
    "doubles",
    (i: number) => i + 0.5,
  ]] as const
) {
  await run(async () => {
    const before = heapUsed();
    const q = new Queue<number>();
    for (let i = 0; i < N; i++) q.putNowait(value(i));
    const held = heapUsed() - before;
    for (let i = 0; i < N; i++) await q.get();
    const drained = heapUsed() - before;
    console.log(JSON.stringify({
      name: `queue_memory_${name}`,
      items: N,
      bytes_per_item: Math.round(held / N * 10) / 10,
      total_mib: mib(held),
      after_drain_mib: mib(drained),
      qsize: q.qsize(),
    }));
  });
}
