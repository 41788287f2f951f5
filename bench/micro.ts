/**
 * The event-loop micro workloads of `../shared/bench/peers/micro.py`, on this
 * library. Prints the same JSON lines as micro.py (one per workload, the
 * median of --repeat runs, each on a fresh loop), so `run_peers.sh` and
 * `table.py` can put them beside CPython asyncio and uvloop.
 *
 *   deno run bench/micro.ts [--repeat N] [NAME ...]
 *
 * @module
 */
import { createTask, gather, getRunningLoop, Lock, Queue, run, sleep } from "../mod.ts";

type Extra = Record<string, number>;
type Result = number | [number, Extra];

// Same deterministic delays as micro_js.ts (a Lehmer generator), in seconds.
const rng = (() => {
  let s = 1;
  return () => ((s = (s * 48271) % 2147483647) - 1) / 2147483646;
})();
const TIMER_DELAYS = Array.from({ length: 200_000 }, () => rng() * 0.05);

async function callSoonBatch(n = 1_000_000, width = 1000): Promise<Result> {
  const loop = getRunningLoop();
  const done = loop.createFuture<void>();
  let ran = 0, scheduled = 0;
  const cb = (): void => {
    ran++;
    if (scheduled < n) {
      scheduled++;
      loop.callSoon(cb);
    } else if (ran === n) done.setResult();
  };
  for (let i = 0; i < width; i++) {
    scheduled++;
    loop.callSoon(cb);
  }
  await done;
  return n;
}

function callSoonChain(): Promise<Result> {
  return callSoonBatch(200_000, 1);
}

async function taskSpawn(n = 100_000): Promise<Result> {
  const noop = async (): Promise<void> => {};
  const loop = getRunningLoop();
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(loop.createTask(noop));
  await gather(...tasks);
  return n;
}

async function sleep0Switch(n = 500_000): Promise<Result> {
  const spin = async (): Promise<void> => {
    for (let i = 0; i < n; i++) await sleep(0);
  };
  await gather(spin, spin);
  return 2 * n;
}

async function futureRoundtrip(n = 200_000): Promise<Result> {
  const loop = getRunningLoop();
  for (let i = 0; i < n; i++) {
    const fut = loop.createFuture<number>();
    loop.callSoon(() => fut.setResult(i));
    await fut;
  }
  return n;
}

async function queuePingpong(n = 200_000): Promise<Result> {
  const q = new Queue<number>({ maxsize: 1 });
  const producer = async (): Promise<void> => {
    for (let i = 0; i < n; i++) await q.put(i);
  };
  const consumer = async (): Promise<void> => {
    for (let i = 0; i < n; i++) await q.get();
  };
  await gather(producer, consumer);
  return n;
}

async function queueUnbounded(n = 1_000_000): Promise<Result> {
  const q = new Queue<number>();
  for (let i = 0; i < n; i++) q.putNowait(i);
  for (let i = 0; i < n; i++) await q.get();
  return n;
}

async function lockContention(tasks = 100, iters = 2000): Promise<Result> {
  const lock = new Lock();
  const worker = async (): Promise<void> => {
    for (let i = 0; i < iters; i++) {
      // micro.py's `async with lock:` as acquire/try/finally, the shape of
      // the JS floor (micro_js.ts): `using _ = await lock.acquire()` adds
      // V8's own cost of a `using` block (~140 ns on Deno 2.9.6).
      await lock.acquire();
      try {
        await sleep(0);
      } finally {
        lock.release();
      }
    }
  };
  const workers = [];
  for (let i = 0; i < tasks; i++) workers.push(worker);
  await gather(...workers);
  return tasks * iters;
}

async function timers(delays = TIMER_DELAYS): Promise<Result> {
  const loop = getRunningLoop();
  const done = loop.createFuture<void>();
  let fired = 0, late = 0, early = 0, outOfOrder = 0, lastDue = -Infinity;
  const fire = (due: number): void => {
    const d = loop.time() - due;
    late += d;
    if (d < 0) early++;
    if (due < lastDue) outOfOrder++;
    lastDue = due;
    fired++;
    if (fired === delays.length) done.setResult();
  };
  // callAt with the deadline it passes on, so the order check compares the
  // loop's own deadlines (callLater is callAt(time() + delay)).
  for (const d of delays) {
    const when = loop.time() + d;
    loop.callAt(when, fire, when);
  }
  await done;
  return [delays.length, {
    late_us_mean: Math.round(late / delays.length * 1e7) / 10,
    early,
    out_of_order: outOfOrder,
  }];
}

async function gatherWide(n = 10_000, rounds = 10): Promise<Result> {
  const one = async (): Promise<void> => {
    await sleep(0);
  };
  for (let r = 0; r < rounds; r++) {
    const fns = [];
    for (let i = 0; i < n; i++) fns.push(one);
    await gather(...fns.map((f) => createTask(f)));
  }
  return n * rounds;
}

/** The workloads, by micro.py's names, in its order. */
export const WORKLOADS: Record<string, () => Promise<Result>> = {
  call_soon_batch: callSoonBatch,
  call_soon_chain: callSoonChain,
  task_spawn: taskSpawn,
  sleep0_switch: sleep0Switch,
  future_roundtrip: futureRoundtrip,
  queue_pingpong: queuePingpong,
  queue_unbounded: queueUnbounded,
  lock_contention: lockContention,
  timers,
  gather_wide: gatherWide,
};

async function timed(
  workload: () => Promise<Result>,
): Promise<{ ops: number; seconds: number; extra: Extra }> {
  return await run(async () => {
    const t = performance.now();
    const result = await workload();
    const seconds = (performance.now() - t) / 1000;
    const [ops, extra] = typeof result === "number" ? [result, {}] : result;
    return { ops, seconds, extra };
  });
}

/** Runs the selected workloads and prints one JSON line each. */
export async function main(args: string[]): Promise<void> {
  let repeat = 3;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--repeat") repeat = Number(args[++i]);
    else names.push(args[i]);
  }
  for (const [name, workload] of Object.entries(WORKLOADS)) {
    if (names.length > 0 && !names.includes(name)) continue;
    const runs = [];
    for (let i = 0; i < repeat; i++) runs.push(await timed(workload));
    runs.sort((a, b) => a.seconds - b.seconds);
    const r = runs[runs.length >> 1];
    console.log(JSON.stringify({
      name,
      ops: r.ops,
      seconds: Math.round(r.seconds * 1e4) / 1e4,
      ...r.extra,
      ns_per_op: Math.round(r.seconds / r.ops * 1e10) / 10,
    }));
  }
}

if (import.meta.main) await main(Deno.args);
