/**
 * Lock: the behaviours CPython's test_locks.py checks for asyncio.Lock (FIFO
 * acquisition, cancellation while waiting, the cancel/release races), plus
 * the permit, withLock and loop binding of this port.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  gather,
  getRunningLoop,
  Lock,
  run,
  RuntimeError,
  sleep,
  TimeoutError,
  waitFor,
} from "../../mod.ts";
import { inLoop, rejection, settle, tick } from "./_helpers.ts";

Deno.test("Lock.acquire() on a free lock resolves without letting the loop run", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    const order: string[] = [];
    getRunningLoop().callSoon(() => order.push("callback"));
    await lock.acquire();
    order.push("acquired");
    await tick();
    assert.deepEqual(order, ["acquired", "callback"]);
    assert.ok(lock.locked());
  });
});

Deno.test("Lock.acquire() resolves to a truthy permit, as Python's True", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    const permit = await lock.acquire();
    assert.ok(permit);
    assert.equal(typeof permit.release, "function");
    assert.equal(typeof permit[Symbol.dispose], "function");
    assert.equal(typeof permit[Symbol.asyncDispose], "function");
  });
});

Deno.test("Lock.acquire() wakes waiters in FIFO order", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    const result: number[] = [];
    await lock.acquire();
    const waiter = (id: number) => async () => {
      if (await lock.acquire()) result.push(id);
      return true;
    };
    const t1 = createTask(waiter(1));
    const t2 = createTask(waiter(2));
    await tick();
    assert.deepEqual(result, []);
    assert.equal(lock.statistics().waiters, 2);

    lock.release();
    await tick();
    assert.deepEqual(result, [1]);
    await tick();
    assert.deepEqual(result, [1]);

    const t3 = createTask(waiter(3));
    lock.release();
    await tick();
    assert.deepEqual(result, [1, 2]);
    lock.release();
    await tick();
    assert.deepEqual(result, [1, 2, 3]);
    assert.deepEqual(await gather(t1, t2, t3), [true, true, true]);
    assert.ok(lock.locked());
  });
});

Deno.test("Lock.release() hands the lock to the next waiter, so locked() stays true", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    await lock.acquire();
    const order: string[] = [];
    const waiter = createTask(async () => {
      await lock.acquire();
      order.push("waiter");
      lock.release();
    });
    await tick();
    lock.release();
    // The waiter owns the lock before it runs: a newcomer queues behind it.
    assert.ok(lock.locked());
    const newcomer = createTask(async () => {
      await lock.acquire();
      order.push("newcomer");
      lock.release();
    });
    await gather(waiter, newcomer);
    assert.deepEqual(order, ["waiter", "newcomer"]);
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock.release() throws RuntimeError when the lock is not held", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    assert.throws(() => lock.release(), {
      name: "RuntimeError",
      message: "Cannot release lock: lock is not acquired",
    });
    await lock.acquire();
    lock.release();
    assert.throws(() => lock.release(), RuntimeError);
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock.acquire() cancelled while waiting leaves the queue", async () => {
  await inLoop(async (loop) => {
    const lock = new Lock();
    await lock.acquire();
    const task = createTask(() => lock.acquire());
    loop.callSoon(() => task.cancel());
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.equal(lock.statistics().waiters, 0);
    lock.release();
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock.release() skips a waiter cancelled in the same iteration", async () => {
  // CPython's test_cancel_race: A holds the lock, B and C wait; B is
  // cancelled while A releases: C gets the lock.
  await inLoop(async (loop) => {
    const lock = new Lock();
    const lockit = async (blocker: PromiseLike<void> | null) => {
      await lock.acquire();
      try {
        if (blocker !== null) await blocker;
      } finally {
        lock.release();
      }
    };
    const fa = loop.createFuture<void>();
    const ta = createTask(() => lockit(fa));
    await tick();
    assert.ok(lock.locked());
    const tb = createTask(() => lockit(null));
    await tick();
    const tc = createTask(() => lockit(null));
    await tick();
    assert.equal(lock.statistics().waiters, 2);

    fa.setResult();
    tb.cancel();
    assert.equal(lock.statistics().waiters, 1);
    await tick();
    assert.ok(ta.done());
    assert.ok(tb.cancelled());
    await tc;
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock.release() to a waiter cancelled before it resumes passes the lock on", async () => {
  // CPython's test_cancel_release_race: cancel the first waiter and release
  // in one callback; exactly one waiter gets the lock.
  await inLoop(async (loop) => {
    const lock = new Lock();
    let holders = 0;
    const lockit = async () => {
      await lock.acquire();
      holders++;
    };
    await lock.acquire();
    const t1 = createTask(lockit);
    const t2 = createTask(lockit);
    const t3 = createTask(lockit);
    await tick();
    loop.callSoon(() => {
      t1.cancel();
      lock.release();
    });
    assert.ok(await rejection(t1) instanceof CancelledError);
    await tick();
    assert.equal(holders, 1);
    assert.ok(t2.done() && !t3.done());
    t3.cancel();
    await tick();
    assert.ok(t3.cancelled());
  });
});

Deno.test("Lock.acquire() woken and then cancelled before it resumes hands the lock to the next waiter", async () => {
  // The race the wait queue exists for: the lock is handed to tb (its
  // waiter has a result), then tb is cancelled before it runs.
  await inLoop(async () => {
    const lock = new Lock();
    await lock.acquire();
    const tb = createTask(() => lock.acquire());
    const tc = createTask(async () => {
      await lock.acquire();
      return "c";
    });
    await tick();
    lock.release();
    tb.cancel();
    assert.ok(await rejection(tb) instanceof CancelledError);
    assert.equal(await tc, "c");
    assert.ok(lock.locked());
    assert.equal(lock.statistics().waiters, 0);
  });
});

Deno.test("Lock.acquire() handed to the last waiter, then cancelled, leaves the lock free", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    await lock.acquire();
    const tb = createTask(() => lock.acquire());
    await tick();
    lock.release();
    tb.cancel();
    await rejection(tb);
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock.acquire() in a task with a pending cancellation withdraws its waiter", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    await lock.acquire();
    const task = createTask(async () => {
      // Cancelled while running: the cancellation lands at the next await.
      currentTask()!.cancel();
      await lock.acquire();
    });
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.equal(lock.statistics().waiters, 0);
    lock.release();
    assert.ok(!lock.locked(), "the withdrawn waiter was not handed the lock");
  });
});

Deno.test("Lock permit releases at the end of a using block, also when the block throws", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    {
      using _permit = await lock.acquire();
      assert.ok(lock.locked());
    }
    assert.ok(!lock.locked());
    await assert.rejects(async () => {
      await using _permit = await lock.acquire();
      assert.ok(lock.locked());
      throw new Error("boom");
    }, { message: "boom" });
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock permit releases only once, however often it is released or disposed", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    const first = await lock.acquire();
    first.release();
    const second = await lock.acquire();
    first.release();
    first[Symbol.dispose]();
    await first[Symbol.asyncDispose]();
    assert.ok(lock.locked(), "a spent permit must not release the next holder");
    second.release();
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock.withLock() holds the lock for the body and releases it however the body ends", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    assert.equal(await lock.withLock(() => lock.locked()), true);
    assert.ok(!lock.locked());
    await assert.rejects(
      lock.withLock(async () => {
        await sleep(0.1);
        throw new Error("body failed");
      }),
      { message: "body failed" },
    );
    assert.ok(!lock.locked());
    await assert.rejects(
      lock.withLock(42 as unknown as () => void),
      {
        name: "TypeError",
        message: "Cannot run with lock held as 'fn' must be a function: received 42",
      },
    );
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock.withLock() cancelled while waiting for the lock does not run the body", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    await lock.acquire();
    let ran = false;
    const task = createTask(() => lock.withLock(() => (ran = true)));
    await tick();
    task.cancel();
    await rejection(task);
    lock.release();
    await settle();
    assert.ok(!ran);
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock.acquire() under waitFor() times out and leaves the queue", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    await lock.acquire();
    assert.ok(await rejection(waitFor(() => lock.acquire(), 0.5)) instanceof TimeoutError);
    assert.equal(lock.statistics().waiters, 0);
    lock.release();
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock.acquire() awaited through gather() is committed when woken", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    await lock.acquire();
    const both = gather(lock.acquire());
    lock.release();
    const [permit] = await both;
    assert.ok(lock.locked());
    permit.release();
    assert.ok(!lock.locked());
  });
});

Deno.test("Lock.acquire() under Promise.all, cancelled after it received the lock, does not hand it on twice", async () => {
  await inLoop(async (loop) => {
    const lock = new Lock();
    await lock.acquire();
    const other = loop.createFuture<void>();
    const task = createTask(() => Promise.all([lock.acquire(), other]));
    const next = createTask(() => lock.acquire());
    await tick();
    lock.release(); // to task
    await tick(); // task received the permit, still waits for `other`
    task.cancel();
    await rejection(task);
    await tick();
    // As in asyncio (gather(acquire(), ...) cancelled after the acquire
    // finished), the lock stays with the cancelled task's permit: it is not
    // handed to `next` behind its back.
    assert.ok(!next.done());
    assert.ok(lock.locked());
    next.cancel();
    await rejection(next);
  });
});

Deno.test("Lock.acquire() must wait outside a running loop: RuntimeError", () => {
  const lock = new Lock();
  lock.acquire(); // free: no loop needed
  assert.throws(() => lock.acquire(), {
    name: "RuntimeError",
    message: "Cannot acquire lock: no running event loop",
  });
});

Deno.test("Lock binds to the loop of its first wait and refuses waits from another loop", async () => {
  const lock = new Lock();
  await run(async () => {
    await lock.acquire();
    const waiter = createTask(() => lock.acquire());
    await sleep(0);
    lock.release();
    (await waiter).release();
  });
  await run(async () => {
    await lock.acquire(); // free: the fast path needs no loop
    assert.throws(() => lock.acquire(), {
      name: "RuntimeError",
      message: "Cannot acquire lock: <Lock [locked]> is bound to a different event loop",
    });
    lock.release();
  });
});

Deno.test("Lock.toString() and statistics() show the state and the waiters", async () => {
  await inLoop(async () => {
    const lock = new Lock();
    assert.equal(String(lock), "<Lock [unlocked]>");
    await lock.acquire();
    assert.equal(String(lock), "<Lock [locked]>");
    const tasks = [createTask(() => lock.acquire()), createTask(() => lock.acquire())];
    await tick();
    assert.equal(String(lock), "<Lock [locked, waiters:2]>");
    assert.deepEqual(lock.statistics(), { locked: true, waiters: 2 });
    for (const t of tasks) t.cancel();
    await gather(...tasks, { returnExceptions: true });
    assert.deepEqual(lock.statistics(), { locked: true, waiters: 0 });
  });
});
