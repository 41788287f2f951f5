/**
 * `deno bench` for the loop and task workloads of the peers' micro.py, at a
 * size that fits a bench iteration. For ns/op beside CPython asyncio and
 * uvloop, use `bench/micro.ts` (the same JSON lines as micro.py) through
 * `bench/compare_micro.sh`.
 *
 *   deno bench bench/loop_bench.ts
 *
 * @module
 */
import { createTask, gather, getRunningLoop, run, sleep } from "../mod.ts";

const N = 10_000;

Deno.bench(`call_soon_batch (${N} callbacks, 1000 in flight)`, async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const done = loop.createFuture<void>();
    let ran = 0, scheduled = 0;
    const cb = (): void => {
      ran++;
      if (scheduled < N) {
        scheduled++;
        loop.callSoon(cb);
      } else if (ran === N) done.setResult();
    };
    for (let i = 0; i < 1000; i++, scheduled++) loop.callSoon(cb);
    await done;
  });
});

Deno.bench(`future_roundtrip (${N} round trips)`, async () => {
  await run(async () => {
    const loop = getRunningLoop();
    for (let i = 0; i < N; i++) {
      const fut = loop.createFuture<number>();
      loop.callSoon(() => fut.setResult(i));
      await fut;
    }
  });
});

Deno.bench(`sleep0_switch (${N} switches, 2 tasks)`, async () => {
  await run(async () => {
    const spin = async (): Promise<void> => {
      for (let i = 0; i < N / 2; i++) await sleep(0);
    };
    await gather(spin, spin);
  });
});

Deno.bench(`task_spawn (${N} tasks)`, async () => {
  await run(async () => {
    const noop = async (): Promise<void> => {};
    const tasks = [];
    for (let i = 0; i < N; i++) tasks.push(createTask(noop));
    await gather(...tasks);
  });
});

Deno.bench(`gather_wide (${N} tasks awaiting sleep(0))`, async () => {
  await run(async () => {
    const one = async (): Promise<void> => {
      await sleep(0);
    };
    const tasks = [];
    for (let i = 0; i < N; i++) tasks.push(createTask(one));
    await gather(...tasks);
  });
});

Deno.bench(`timers (${N} random callLater within 5 ms)`, async () => {
  await run(async () => {
    const loop = getRunningLoop();
    const done = loop.createFuture<void>();
    let fired = 0;
    const fire = (): void => {
      if (++fired === N) done.setResult();
    };
    for (let i = 0; i < N; i++) loop.callLater(((i * 7919) % 5000) / 1e6, fire);
    await done;
  });
});
