/**
 * Semaphore and BoundedSemaphore: the behaviours of CPython's test_locks.py
 * SemaphoreTests (counting, FIFO order, cancellation before and after the
 * wake-up, no hang), plus bad input and the permit.
 */
import assert from "node:assert/strict";
import {
  BoundedSemaphore,
  CancelledError,
  createTask,
  gather,
  Semaphore,
  sleep,
  TaskGroup,
  waitFor,
} from "../../mod.ts";
import { inLoop, rejection, tick } from "./_helpers.ts";

Deno.test("Semaphore() rejects a negative, fractional or non-number value", () => {
  assert.throws(() => new Semaphore(-1), {
    name: "RangeError",
    message: "Cannot create Semaphore as 'value' must be a non-negative integer: received -1",
  });
  assert.throws(() => new Semaphore(1.5), RangeError);
  assert.throws(() => new Semaphore(NaN), RangeError);
  assert.throws(() => new BoundedSemaphore(-2), {
    name: "RangeError",
    message:
      "Cannot create BoundedSemaphore as 'value' must be a non-negative integer: received -2",
  });
  assert.throws(() => new Semaphore("2" as unknown as number), {
    name: "TypeError",
    message: "Cannot create Semaphore as 'value' must be a non-negative integer: received \"2\"",
  });
  assert.equal(new Semaphore().statistics().value, 1);
  assert.ok(new Semaphore(0).locked());
});

Deno.test("Semaphore.acquire() counts permits and queues the rest FIFO", async () => {
  await inLoop(async () => {
    const sem = new Semaphore(3);
    const result: number[] = [];
    assert.ok(await sem.acquire());
    assert.ok(await sem.acquire());
    assert.ok(!sem.locked());
    const c = (id: number) => async () => {
      await sem.acquire();
      result.push(id);
      return true;
    };
    const t1 = createTask(c(1));
    const t2 = createTask(c(2));
    const t3 = createTask(c(3));
    await tick();
    assert.deepEqual(result, [1]);
    assert.ok(sem.locked());
    assert.deepEqual(sem.statistics(), { value: 0, waiters: 2 });

    const t4 = createTask(c(4));
    sem.release();
    sem.release();
    assert.equal(sem.statistics().value, 0);
    await tick();
    // t4 started after the releases: it queued behind the woken t2 and t3.
    assert.deepEqual(result, [1, 2, 3]);
    assert.deepEqual(sem.statistics(), { value: 0, waiters: 1 });
    sem.release();
    assert.deepEqual(await gather(t1, t2, t3, t4), [true, true, true, true]);
  });
});

Deno.test("Semaphore.acquire() grants permits in arrival order across rounds", async () => {
  // CPython's test_acquire_fifo_order.
  await inLoop(async () => {
    const sem = new Semaphore(1);
    const result: string[] = [];
    const coro = (tag: string) => async () => {
      await sem.acquire();
      result.push(`${tag}_1`);
      await sleep(0.01);
      sem.release();
      await sem.acquire();
      result.push(`${tag}_2`);
      await sleep(0.01);
      sem.release();
    };
    await new TaskGroup().run((tg) => {
      tg.createTask(coro("c1"));
      tg.createTask(coro("c2"));
      tg.createTask(coro("c3"));
    });
    assert.deepEqual(result, ["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"]);
  });
});

Deno.test("Semaphore.acquire() cancelled while waiting leaves the queue", async () => {
  await inLoop(async (loop) => {
    const sem = new Semaphore(1);
    await sem.acquire();
    const task = createTask(() => sem.acquire());
    loop.callSoon(() => task.cancel());
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.deepEqual(sem.statistics(), { value: 0, waiters: 0 });
  });
});

Deno.test("Semaphore.release() skips waiters cancelled before it", async () => {
  // CPython's test_acquire_cancel_before_awoken and test_acquire_fifo_order_3.
  await inLoop(async () => {
    const sem = new Semaphore(0);
    const tasks = [1, 2, 3, 4].map((id) =>
      createTask(async () => {
        await sem.acquire();
        return id;
      })
    );
    await tick();
    tasks[0].cancel();
    tasks[1].cancel();
    sem.release();
    await tick(2);
    assert.ok(tasks[2].done());
    assert.equal(await tasks[2], 3);
    assert.ok(!tasks[3].done());
    sem.release();
    assert.equal(await tasks[3], 4);
    assert.ok(tasks[0].cancelled() && tasks[1].cancelled());
  });
});

Deno.test("Semaphore.release() to a waiter cancelled before it resumes passes the permit on", async () => {
  // CPython's test_acquire_hang: t1 is handed the permit and cancelled; t2
  // must not hang.
  await inLoop(async () => {
    const sem = new Semaphore(0);
    const t1 = createTask(() => sem.acquire());
    const t2 = createTask(() => sem.acquire());
    await tick();
    sem.release(); // to t1
    t1.cancel();
    await tick(2);
    assert.ok(t1.cancelled());
    assert.ok(t2.done());
    assert.ok(sem.locked());
  });
});

Deno.test("Semaphore permit given back by a cancelled holder does not hang later acquirers", async () => {
  // CPython's test_acquire_no_hang.
  await inLoop(async () => {
    const sem = new Semaphore(1);
    const t2Ref: { task?: ReturnType<typeof createTask<void>> } = {};
    const c1 = async () => {
      {
        using _permit = await sem.acquire();
        await sleep(0);
      }
      t2Ref.task!.cancel();
    };
    const c2 = async () => {
      using _permit = await sem.acquire();
      assert.fail("c2 must be cancelled before it holds the permit");
    };
    const t1 = createTask(c1);
    t2Ref.task = createTask(c2);
    const [r1, r2] = await gather(t1, t2Ref.task, { returnExceptions: true });
    assert.equal(r1, undefined);
    assert.ok(r2 instanceof CancelledError);
    (await waitFor(() => sem.acquire(), 1)).release();
    assert.equal(sem.statistics().value, 1);
  });
});

Deno.test("Semaphore.release() above the initial value raises the value; BoundedSemaphore refuses", async () => {
  await inLoop(async () => {
    const sem = new Semaphore(1);
    sem.release();
    assert.equal(sem.statistics().value, 2);
    const bounded = new BoundedSemaphore(2);
    assert.throws(() => bounded.release(), {
      name: "RangeError",
      message:
        "Cannot release BoundedSemaphore: it was released more times than acquired (value is already 2, its initial value)",
    });
    const permit = await bounded.acquire();
    permit.release();
    permit.release(); // spent: no second release
    assert.equal(bounded.statistics().value, 2);
    assert.throws(() => new BoundedSemaphore(0).release(), RangeError);
  });
});

Deno.test("BoundedSemaphore.release() with waiters hands the permit on", async () => {
  await inLoop(async () => {
    const sem = new BoundedSemaphore(1);
    await sem.acquire();
    const waiter = createTask(() => sem.acquire());
    await tick();
    sem.release();
    (await waiter).release();
    assert.equal(sem.statistics().value, 1);
    assert.ok(sem instanceof Semaphore);
  });
});

Deno.test("Semaphore.withLock() holds a permit for the body", async () => {
  await inLoop(async () => {
    const sem = new Semaphore(2);
    let peak = 0, running = 0;
    const job = () =>
      sem.withLock(async () => {
        peak = Math.max(peak, ++running);
        await sleep(0.01);
        running--;
      });
    await gather(...[1, 2, 3, 4, 5].map(() => createTask(job)));
    assert.equal(peak, 2);
    assert.equal(sem.statistics().value, 2);
    await assert.rejects(sem.withLock(null as unknown as () => void), TypeError);
  });
});

Deno.test("Semaphore.toString() shows the value or the lock and the waiters", async () => {
  await inLoop(async () => {
    const sem = new Semaphore();
    assert.equal(String(sem), "<Semaphore [unlocked, value:1]>");
    await sem.acquire();
    assert.equal(String(sem), "<Semaphore [locked]>");
    const tasks = [createTask(() => sem.acquire()), createTask(() => sem.acquire())];
    await tick();
    assert.equal(String(sem), "<Semaphore [locked, waiters:2]>");
    assert.equal(String(new BoundedSemaphore(3)), "<BoundedSemaphore [unlocked, value:3]>");
    for (const t of tasks) t.cancel();
    await gather(...tasks, { returnExceptions: true });
  });
});
