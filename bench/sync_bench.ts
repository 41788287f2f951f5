/**
 * `deno bench` for the sync and queue workloads of the peers' micro.py
 * (queue_pingpong, queue_unbounded, lock_contention), at a size that fits a
 * bench iteration, plus the uncontended fast paths and the `using` form of
 * a lock. For ns/op beside CPython asyncio and uvloop, use `bench/micro.ts`
 * (the same JSON lines as micro.py). The memory of a Queue holding 1,000,000
 * numbers is `bench/queue_memory.ts`.
 *
 *   deno bench bench/sync_bench.ts
 *
 * @module
 */
import { gather, Lock, Queue, run, Semaphore, sleep } from "../mod.ts";

const N = 10_000;

Deno.bench(`queue_pingpong (${N} items, maxsize 1)`, async () => {
  await run(async () => {
    const q = new Queue<number>({ maxsize: 1 });
    await gather(
      async () => {
        for (let i = 0; i < N; i++) await q.put(i);
      },
      async () => {
        for (let i = 0; i < N; i++) await q.get();
      },
    );
  });
});

Deno.bench(`queue_unbounded (${N * 10} putNowait, then ${N * 10} await get())`, async () => {
  await run(async () => {
    const q = new Queue<number>();
    for (let i = 0; i < N * 10; i++) q.putNowait(i);
    for (let i = 0; i < N * 10; i++) await q.get();
  });
});

const TASKS = 100, ITERS = N / TASKS;

Deno.bench(`lock_contention (${TASKS} tasks x ${ITERS}, acquire/try/finally)`, async () => {
  await run(async () => {
    const lock = new Lock();
    const worker = async (): Promise<void> => {
      for (let i = 0; i < ITERS; i++) {
        await lock.acquire();
        try {
          await sleep(0);
        } finally {
          lock.release();
        }
      }
    };
    await gather(...Array.from({ length: TASKS }, () => worker));
  });
});

Deno.bench(`lock_contention (${TASKS} tasks x ${ITERS}, using)`, async () => {
  await run(async () => {
    const lock = new Lock();
    const worker = async (): Promise<void> => {
      for (let i = 0; i < ITERS; i++) {
        using _permit = await lock.acquire();
        await sleep(0);
      }
    };
    await gather(...Array.from({ length: TASKS }, () => worker));
  });
});

Deno.bench(`lock_uncontended (${N * 10} acquire/release, no waiting)`, async () => {
  await run(async () => {
    const lock = new Lock();
    for (let i = 0; i < N * 10; i++) {
      await lock.acquire();
      lock.release();
    }
  });
});

Deno.bench(`semaphore_uncontended (${N * 10} withLock)`, async () => {
  await run(async () => {
    const sem = new Semaphore(4);
    const noop = (): void => {};
    for (let i = 0; i < N * 10; i++) await sem.withLock(noop);
  });
});
