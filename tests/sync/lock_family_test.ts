/**
 * What every lock-like primitive shares (Lock, Condition, Semaphore,
 * BoundedSemaphore): CPython's test_pep492.py `async with` behaviours as
 * `using`/`await using`, withLock, mutual exclusion and FIFO grants; and
 * that sync/ and queues/ work without the `Deno` namespace.
 */
import assert from "node:assert/strict";
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  createTask,
  Event,
  gather,
  LifoQueue,
  Lock,
  type Permit,
  PriorityQueue,
  Queue,
  Semaphore,
  sleep,
} from "../../mod.ts";
import { inLoop, tick } from "./_helpers.ts";

interface LockLike {
  acquire(): PromiseLike<Permit>;
  release(): void;
  locked(): boolean;
  withLock<R>(fn: () => R | PromiseLike<R>): Promise<Awaited<R>>;
}

const LOCK_LIKES: [string, () => LockLike][] = [
  ["Lock", () => new Lock()],
  ["Condition", () => new Condition()],
  ["Semaphore", () => new Semaphore()],
  ["BoundedSemaphore", () => new BoundedSemaphore()],
];

for (const [name, make] of LOCK_LIKES) {
  Deno.test(`${name}.acquire() with using holds across awaits and releases at the block's end`, async () => {
    await inLoop(async () => {
      const lock = make();
      await sleep(0.01);
      assert.ok(!lock.locked());
      {
        using permit = await lock.acquire();
        assert.ok(permit);
        assert.ok(lock.locked());
        await sleep(0.01);
        assert.ok(lock.locked());
      }
      assert.ok(!lock.locked());
    });
  });

  Deno.test(`${name}.acquire() with await using releases when the block throws`, async () => {
    await inLoop(async () => {
      const lock = make();
      await assert.rejects(async () => {
        await using _permit = await lock.acquire();
        await sleep(0.01);
        throw new Error("inside");
      }, { message: "inside" });
      assert.ok(!lock.locked());
    });
  });

  Deno.test(`${name}.withLock() returns the body's result and releases`, async () => {
    await inLoop(async () => {
      const lock = make();
      assert.equal(await lock.withLock(async () => (await sleep(0.01), "done")), "done");
      assert.ok(!lock.locked());
      await assert.rejects(lock.withLock("x" as unknown as () => void), TypeError);
    });
  });

  Deno.test(`${name} is not itself awaitable: awaiting it does not acquire`, async () => {
    await inLoop(async () => {
      const lock = make();
      assert.ok(!("then" in lock));
      assert.equal(await lock, lock);
      assert.ok(!lock.locked());
    });
  });

  Deno.test(`${name}.acquire() provides mutual exclusion and grants in FIFO order`, async () => {
    await inLoop(async () => {
      const lock = make();
      const order: number[] = [];
      let inside = 0;
      const worker = (id: number) => async () => {
        using _permit = await lock.acquire();
        inside++;
        assert.equal(inside, 1);
        order.push(id);
        await sleep(0.01);
        inside--;
      };
      const first = await lock.acquire();
      const tasks = [1, 2, 3, 4].map((id) => createTask(worker(id)));
      await tick();
      first.release();
      await gather(...tasks);
      assert.deepEqual(order, [1, 2, 3, 4]);
      assert.ok(!lock.locked());
    });
  });
}

Deno.test("sync and queues primitives work with the Deno namespace gone (edge runtimes)", async () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, "Deno")!;
  const touched: string[] = [];
  const deno = original.value as Record<string | symbol, unknown>;
  // Deno's own runtime code reaches its internals through `Deno[Deno.internal]`;
  // everything else a library could call is gone.
  const gone = new Proxy({}, {
    get(_target, key): unknown {
      if (key === "internal" || typeof key === "symbol") return deno[key];
      touched.push(String(key));
      throw new Error(`Deno.${String(key)} used`);
    },
  });
  Object.defineProperty(globalThis, "Deno", { value: gone, configurable: true });
  try {
    await inLoop(async () => {
      const lock = new Lock();
      const cond = new Condition(lock);
      const sem = new BoundedSemaphore(1);
      const event = new Event();
      const barrier = new Barrier(2);
      const queue = new Queue<number>({ maxsize: 1 });
      const ranked = new PriorityQueue<[number, string]>();
      const stack = new LifoQueue<number>();
      const worker = createTask(async () => {
        await event.wait();
        await cond.withLock(() => cond.waitFor(() => queue.qsize() > 0));
        using _slot = await sem.acquire();
        await barrier.wait();
        for await (const item of queue) stack.putNowait(item);
      });
      const held = await lock.acquire();
      const blocked = createTask(() => lock.acquire());
      await tick();
      blocked.cancel();
      await tick();
      held.release();
      event.set();
      await queue.put(1);
      await cond.withLock(() => cond.notifyAll());
      await barrier.wait();
      await queue.put(2);
      queue.shutdown();
      await worker;
      ranked.putNowait([2, "b"]);
      ranked.putNowait([1, "a"]);
      assert.deepEqual(await ranked.get(), [1, "a"]);
      assert.deepEqual([stack.getNowait(), stack.getNowait()], [2, 1]);
    });
  } finally {
    Object.defineProperty(globalThis, "Deno", original);
  }
  assert.deepEqual(touched, []);
});
