/**
 * Heap held by 100,000 pending tasks, each awaiting one shared future (the
 * same shape as `bench/task_memory.py` for CPython asyncio). Needs
 * `--v8-flags=--expose-gc` so the measurement is taken after a full GC.
 *
 *   deno run --v8-flags=--expose-gc bench/task_memory.ts [N]
 *
 * @module
 */
import { createTask, getRunningLoop, run, sleep } from "../mod.ts";

const N = Number(Deno.args[0] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");

function heapUsed(): number {
  gc!();
  gc!();
  return Deno.memoryUsage().heapUsed;
}

await run(async () => {
  const loop = getRunningLoop();
  const fut = loop.createFuture<void>();
  const before = heapUsed();
  const tasks = [];
  for (let i = 0; i < N; i++) {
    tasks.push(createTask(async () => {
      await fut;
    }));
  }
  await sleep(0);
  await sleep(0);
  const held = heapUsed() - before;
  console.log(JSON.stringify({
    name: "pending_tasks_memory",
    tasks: N,
    bytes_per_task: Math.round(held / N),
    total_mib: Math.round(held / 2 ** 20 * 10) / 10,
  }));
  fut.setResult();
  await Promise.all(tasks);
});
