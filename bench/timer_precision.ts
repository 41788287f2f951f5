/**
 * How late a lone `callLater(0.01)` fires, beside a bare `setTimeout(10)`:
 * the median and p90 lateness of 50 samples each, in milliseconds.
 *
 *   deno run bench/timer_precision.ts [SAMPLES]
 *
 * @module
 */
import { getRunningLoop, run } from "../mod.ts";

const samples = Number(Deno.args[0] ?? 50);

function stats(values: number[]): { median: number; p90: number; min: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { median: at(0.5), p90: at(0.9), min: s[0], max: s[s.length - 1] };
}

const loopLate = await run(async () => {
  const loop = getRunningLoop();
  const late: number[] = [];
  for (let i = 0; i < samples; i++) {
    const fut = loop.createFuture<number>();
    const due = loop.time() + 0.01;
    loop.callLater(0.01, () => fut.setResult((loop.time() - due) * 1000));
    late.push(await fut);
  }
  return late;
});

const hostLate: number[] = [];
for (let i = 0; i < samples; i++) {
  const due = performance.now() + 10;
  hostLate.push(
    await new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - due), 10)),
  );
}

const fmt = (s: ReturnType<typeof stats>): string =>
  `median ${s.median.toFixed(3)} ms, p90 ${s.p90.toFixed(3)} ms, min ${s.min.toFixed(3)} ms, max ${
    s.max.toFixed(3)
  } ms`;
console.log(JSON.stringify({ name: "callLater(0.01) lateness", ...stats(loopLate) }));
console.log(JSON.stringify({ name: "setTimeout(10) lateness", ...stats(hostLate) }));
console.log(`callLater(0.01): ${fmt(stats(loopLate))}`);
console.log(`setTimeout(10):  ${fmt(stats(hostLate))}`);
