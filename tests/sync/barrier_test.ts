// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * Barrier: the behaviours of CPython's test_locks.py BarrierTests (filling,
 * draining, reuse, cancellation of a waiter, reset and abort at every
 * stage).
 */
import assert from "node:assert/strict";
import {
  Barrier,
  BrokenBarrierError,
  CancelledError,
  createTask,
  gather,
  RuntimeError,
  type Task,
  wait,
} from "../../mod.ts";
import { inLoop, rejection, tick } from "./_helpers.ts";

const N = 5;

function spawn<T>(n: number, fn: () => Promise<T>): Task<T>[] {
  return Array.from({ length: n }, () => createTask(fn));
}

Deno.test("Barrier() rejects a non-positive or non-number party count", () => {
  assert.throws(() => new Barrier(0), {
    name: "RangeError",
    message: "Cannot create Barrier as 'parties' must be a positive integer: received 0",
  });
  assert.throws(() => new Barrier(-4), RangeError);
  assert.throws(() => new Barrier(2.5), RangeError);
  assert.throws(() => new Barrier(undefined as unknown as number), TypeError);
  assert.equal(new Barrier(N).parties, N);
});

Deno.test("Barrier.wait() releases all parties together with distinct indexes", async () => {
  await inLoop(async () => {
    const barrier = new Barrier(3);
    const results = await gather(...spawn(3, () => barrier.wait()));
    assert.deepEqual([...results].sort(), [0, 1, 2]);
    assert.equal(barrier.nWaiting, 0);
    assert.ok(!barrier.broken);
  });
});

Deno.test("Barrier.wait() with one party passes at once, every time", async () => {
  await inLoop(async () => {
    const barrier = new Barrier(1);
    const t1 = createTask(() => barrier.wait());
    await tick();
    assert.equal(barrier.nWaiting, 0);
    const t2 = createTask(() => barrier.wait());
    await tick();
    assert.equal(await t1, 0);
    assert.equal(await t2, 0);
    assert.ok(!barrier.broken);
  });
});

Deno.test("Barrier.nWaiting counts the tasks that arrived, task by task", async () => {
  await inLoop(async () => {
    const barrier = new Barrier(3);
    const t1 = createTask(() => barrier.wait());
    await tick();
    assert.equal(barrier.nWaiting, 1);
    assert.equal(barrier.state, "filling");
    const t2 = createTask(() => barrier.wait());
    await tick();
    assert.equal(barrier.nWaiting, 2);
    const t3 = createTask(() => barrier.wait());
    await tick();
    await wait([t1, t2, t3]);
    assert.equal(barrier.nWaiting, 0);
  });
});

Deno.test("Barrier.wait() is reusable: a second round waits for all again", async () => {
  await inLoop(async () => {
    const barrier = new Barrier(N);
    const results: boolean[] = [];
    const indexes = await gather(...spawn(N, async () => {
      await barrier.wait();
      results.push(true);
      const i = await barrier.wait();
      results.push(false);
      return i;
    }));
    assert.equal(results.filter((r) => r).length, N);
    assert.equal(results.filter((r) => !r).length, N);
    assert.deepEqual([...indexes].sort(), [0, 1, 2, 3, 4]);
    assert.equal(barrier.nWaiting, 0);
  });
});

Deno.test("Barrier.state is draining until the last party has left", async () => {
  await inLoop(async () => {
    const barrier = new Barrier(N);
    const seen: string[] = [];
    await gather(...spawn(N, async () => {
      await barrier.wait();
      seen.push(barrier.state);
    }));
    assert.equal(seen.length, N);
    assert.deepEqual(seen.slice(0, N - 1), Array(N - 1).fill("draining"));
    assert.equal(seen[N - 1], "filling");
    assert.ok(String(barrier).startsWith("<Barrier [filling"));
  });
});

Deno.test("Barrier.wait() called while draining waits for the next round", async () => {
  // CPython's test_blocking_tasks_while_draining.
  await inLoop(async () => {
    const barrier = new Barrier(N);
    const rewait = 2;
    const others = new Barrier(N - rewait);
    let left = rewait;
    await gather(...spawn(N, async () => {
      await barrier.wait();
      if (left > 0) {
        left--;
        await barrier.wait();
      } else {
        await others.wait();
        await barrier.wait();
      }
    }));
    assert.equal(barrier.nWaiting, 0);
  });
});

Deno.test("Barrier.wait() cancelled while filling leaves the barrier", async () => {
  await inLoop(async () => {
    const barrier = new Barrier(3);
    const results: boolean[] = [];
    const coro = async () => {
      await barrier.wait();
      results.push(true);
    };
    const t1 = createTask(coro);
    await tick();
    const t2 = createTask(coro);
    await tick();
    assert.equal(barrier.nWaiting, 2);
    t1.cancel();
    await tick();
    assert.equal(barrier.nWaiting, 1);
    assert.ok(await rejection(t1) instanceof CancelledError);
    const t3 = createTask(coro);
    await tick();
    assert.equal(barrier.nWaiting, 2);
    const t4 = createTask(coro);
    await gather(t2, t3, t4);
    assert.equal(results.length, 3);
    assert.equal(barrier.nWaiting, 0);
    assert.ok(!barrier.broken);
  });
});

Deno.test("Barrier.reset() with nobody waiting leaves it usable", async () => {
  await inLoop(async () => {
    const barrier = new Barrier(1);
    barrier.reset();
    assert.equal(barrier.nWaiting, 0);
    assert.ok(!barrier.broken);
    assert.equal(await barrier.wait(), 0);
  });
});

Deno.test("Barrier.reset() sends waiting tasks away with BrokenBarrierError", async () => {
  await inLoop(async () => {
    const barrier = new Barrier(N);
    const results: boolean[] = [];
    const tasks = spawn(N - 1, async () => {
      try {
        await barrier.wait();
      } catch (err) {
        if (err instanceof BrokenBarrierError) results.push(true);
        else throw err;
      }
    });
    await tick();
    createTask(async () => barrier.reset());
    await gather(...tasks);
    assert.equal(results.length, N - 1);
    assert.equal(barrier.nWaiting, 0);
    assert.equal(barrier.state, "filling");
    assert.ok(!barrier.broken);
  });
});

Deno.test("Barrier.reset() while draining breaks the parties that have not left yet", async () => {
  // CPython's test_reset_barrier_when_tasks_half_draining.
  await inLoop(async () => {
    const barrier = new Barrier(N);
    const broken: boolean[] = [];
    const restOfTasks = Math.floor(N / 2);
    let inside = N;
    await gather(...spawn(N, async () => {
      try {
        await barrier.wait();
        inside--;
      } catch (err) {
        if (!(err instanceof BrokenBarrierError)) throw err;
        broken.push(true);
        return;
      }
      if (inside === restOfTasks) barrier.reset();
    }));
    assert.deepEqual(broken, Array(restOfTasks).fill(true));
    assert.equal(barrier.nWaiting, 0);
    assert.notEqual(barrier.state, "resetting");
    assert.ok(!barrier.broken);
  });
});

Deno.test("Barrier.reset() while tasks wait and wait again lets them pass the next round", async () => {
  // CPython's test_reset_barrier_while_tasks_waiting_and_waiting_again.
  await inLoop(async () => {
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];
    const tasks = spawn(N - 1, async () => {
      try {
        await barrier.wait();
      } catch (err) {
        if (!(err instanceof BrokenBarrierError)) throw err;
        results1.push(true);
      } finally {
        await barrier.wait();
        results2.push(true);
      }
    });
    createTask(async () => barrier.reset());
    await tick();
    createTask(async () => {
      await barrier.wait();
      results2.push(true);
    });
    await gather(...tasks);
    assert.ok(!barrier.broken);
    assert.equal(results1.length, N - 1);
    assert.equal(results2.length, N);
    assert.equal(barrier.nWaiting, 0);
  });
});

Deno.test("Barrier.abort() breaks the barrier for waiting and later tasks", async () => {
  await inLoop(async () => {
    const barrier = new Barrier(3);
    const waiting = createTask(() => barrier.wait());
    await tick();
    barrier.abort();
    const err = await rejection(waiting);
    assert.ok(err instanceof BrokenBarrierError);
    assert.ok(err instanceof RuntimeError);
    assert.equal((err as Error).name, "BrokenBarrierError");
    assert.ok(barrier.broken);
    assert.equal(barrier.nWaiting, 0);
    assert.ok(await rejection(barrier.wait()) instanceof BrokenBarrierError);
    assert.equal(String(barrier), "<Barrier [broken]>");
  });
});

Deno.test("Barrier.abort() after an error breaks every other party", async () => {
  // CPython's test_abort_barrier_when_exception.
  await inLoop(async () => {
    const barrier = new Barrier(N);
    const passed: boolean[] = [];
    const broken: boolean[] = [];
    await gather(...spawn(N, async () => {
      try {
        const i = await barrier.wait();
        if (i === Math.floor(N / 2)) throw new Error("party failed");
        await barrier.wait();
        passed.push(true);
      } catch (err) {
        if (err instanceof BrokenBarrierError) broken.push(true);
        else barrier.abort();
      }
    }));
    assert.ok(barrier.broken);
    assert.equal(passed.length, 0);
    assert.equal(broken.length, N - 1);
    assert.equal(barrier.nWaiting, 0);
  });
});

Deno.test("Barrier.reset() after abort() makes the barrier usable again", async () => {
  // CPython's test_abort_barrier_when_exception_then_resetting.
  await inLoop(async () => {
    const barrier1 = new Barrier(N);
    const barrier2 = new Barrier(N);
    const broken: boolean[] = [];
    const passed: boolean[] = [];
    await gather(...spawn(N, async () => {
      try {
        const i = await barrier1.wait();
        if (i === Math.floor(N / 2)) throw new Error("party failed");
        await barrier1.wait();
      } catch (err) {
        if (err instanceof BrokenBarrierError) broken.push(true);
        else barrier1.abort();
      }
      const i = await barrier2.wait();
      if (i === Math.floor(N / 2)) barrier1.reset();
      await barrier2.wait();
      await barrier1.wait();
      passed.push(true);
    }));
    assert.ok(!barrier1.broken);
    assert.equal(broken.length, N - 1);
    assert.equal(passed.length, N);
    assert.equal(barrier1.nWaiting, 0);
  });
});

Deno.test("Barrier.reset() by a drained party breaks the blocked half and lets all pass again", async () => {
  // CPython's test_reset_barrier_when_tasks_half_draining_half_blocking.
  await inLoop(async () => {
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];
    const blocking = Math.floor(N / 2);
    let count = 0;
    await gather(...spawn(N, async () => {
      try {
        await barrier.wait();
      } catch (err) {
        if (!(err instanceof BrokenBarrierError)) throw err;
        results1.push(true);
        await barrier.wait();
        return;
      }
      count++;
      if (count > blocking) {
        barrier.reset();
        await barrier.wait();
      } else {
        try {
          await barrier.wait();
        } catch (err) {
          if (!(err instanceof BrokenBarrierError)) throw err;
          results2.push(true);
        }
      }
    }));
    assert.deepEqual(results1, Array(blocking).fill(true));
    assert.deepEqual(results2, []);
    assert.equal(barrier.nWaiting, 0);
    assert.notEqual(barrier.state, "resetting");
    assert.ok(!barrier.broken);
  });
});

Deno.test("Barrier.reset() by the last party to leave lets the next round pass", async () => {
  // CPython's test_reset_barrier_while_tasks_draining.
  await inLoop(async () => {
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];
    const results3: boolean[] = [];
    let count = 0;
    await gather(...spawn(N, async () => {
      await barrier.wait();
      count++;
      if (count === N) {
        barrier.reset();
        await barrier.wait();
      } else {
        try {
          await barrier.wait();
          results1.push(true);
        } catch {
          results2.push(true);
        }
      }
      await barrier.wait();
      results3.push(true);
    }));
    assert.ok(!barrier.broken);
    assert.equal(results1.length, N - 1);
    assert.equal(results2.length, 0);
    assert.equal(results3.length, N);
    assert.equal(barrier.nWaiting, 0);
  });
});

Deno.test("Barrier.abort() by a drained party breaks the draining and the blocked parties", async () => {
  // CPython's test_abort_barrier_when_tasks_half_draining_half_blocking.
  await inLoop(async () => {
    const barrier = new Barrier(N);
    const results1: boolean[] = [];
    const results2: boolean[] = [];
    const blocking = Math.floor(N / 2);
    let count = 0;
    await gather(...spawn(N, async () => {
      try {
        await barrier.wait();
      } catch (err) {
        if (!(err instanceof BrokenBarrierError)) throw err;
        results1.push(true);
        return;
      }
      count++;
      if (count > blocking) {
        barrier.abort();
      } else {
        try {
          await barrier.wait();
        } catch (err) {
          if (!(err instanceof BrokenBarrierError)) throw err;
          results2.push(true);
        }
      }
    }));
    assert.ok(barrier.broken);
    assert.deepEqual(results1, Array(blocking).fill(true));
    assert.deepEqual(results2, Array(N - blocking - 1).fill(true));
    assert.equal(barrier.nWaiting, 0);
    assert.notEqual(barrier.state, "resetting");
  });
});

Deno.test("Barrier.toString() shows the state and the waiters", async () => {
  await inLoop(async () => {
    const barrier = new Barrier(N);
    assert.equal(String(barrier), "<Barrier [filling, waiters:0/5]>");
    const waiters = spawn(2, () => barrier.wait());
    await tick();
    assert.equal(String(barrier), "<Barrier [filling, waiters:2/5]>");
    waiters.push(...spawn(3, () => barrier.wait()));
    await tick();
    await gather(...waiters);
    const more = spawn(2, () => barrier.wait());
    await tick();
    barrier.reset();
    assert.equal(String(barrier), "<Barrier [resetting, waiters:0/5]>");
    await gather(...more, { returnExceptions: true });
  });
});
