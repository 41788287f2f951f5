/**
 * Condition: the behaviours of CPython's test_locks.py ConditionTests
 * (wait/notify order, cancellation while waiting and after a notify, the
 * lock held again when wait() settles, a shared lock).
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  Condition,
  createTask,
  gather,
  Lock,
  RuntimeError,
  TimeoutError,
  waitFor,
} from "../../mod.ts";
import { inLoop, rejection, settle, tick } from "./_helpers.ts";

Deno.test("Condition.wait() returns after a notify, once it has the lock again", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    const result: number[] = [];
    const c = (id: number) => async () => {
      await cond.acquire();
      if (await cond.wait()) result.push(id);
      return true;
    };
    const t1 = createTask(c(1));
    const t2 = createTask(c(2));
    const t3 = createTask(c(3));
    await tick();
    assert.deepEqual(result, []);
    assert.ok(!cond.locked());

    assert.ok(await cond.acquire());
    cond.notify();
    await tick();
    assert.deepEqual(result, [], "notified, but the lock is still held");
    assert.ok(cond.locked());

    cond.release();
    await tick();
    assert.deepEqual(result, [1]);
    assert.ok(cond.locked(), "t1 returned holding the lock");

    cond.notify(2);
    await tick();
    assert.deepEqual(result, [1]);
    cond.release();
    await tick();
    assert.deepEqual(result, [1, 2]);
    cond.release();
    await tick();
    assert.deepEqual(result, [1, 2, 3]);
    assert.ok(cond.locked());
    assert.deepEqual(await gather(t1, t2, t3), [true, true, true]);
  });
});

Deno.test("Condition.notify() wakes at most n waiters, longest-waiting first", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    const result: number[] = [];
    const c = (id: number) => async () => {
      await cond.acquire();
      await cond.wait();
      result.push(id);
      cond.release();
    };
    const tasks = [1, 2, 3].map((id) => createTask(c(id)));
    await tick();
    await cond.withLock(() => cond.notify(1));
    await tick();
    assert.deepEqual(result, [1]);
    await cond.withLock(() => {
      cond.notify(1);
      cond.notify(2048);
    });
    await gather(...tasks);
    assert.deepEqual(result, [1, 2, 3]);
  });
});

Deno.test("Condition.notifyAll() wakes every waiter", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    const result: number[] = [];
    const tasks = [1, 2].map((id) =>
      createTask(async () => {
        await cond.acquire();
        await cond.wait();
        result.push(id);
        cond.release();
      })
    );
    await tick();
    await cond.withLock(() => cond.notifyAll());
    await gather(...tasks);
    assert.deepEqual(result, [1, 2]);
  });
});

Deno.test("Condition.notify() and notifyAll() throw RuntimeError without the lock", () => {
  const cond = new Condition();
  assert.throws(() => cond.notify(), {
    name: "RuntimeError",
    message: "Cannot notify condition: its lock is not acquired",
  });
  assert.throws(() => cond.notifyAll(), RuntimeError);
});

Deno.test("Condition.notify() rejects a negative or non-number count", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    await cond.withLock(() => {
      assert.throws(() => cond.notify(-1), RangeError);
      assert.throws(() => cond.notify(1.5), RangeError);
      assert.throws(() => cond.notify("1" as unknown as number), TypeError);
      cond.notify(0);
      cond.notify(Infinity);
    });
  });
});

Deno.test("Condition.wait() without the lock rejects with RuntimeError", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    const err = await rejection(cond.wait());
    assert.ok(err instanceof RuntimeError);
    assert.equal((err as Error).message, "Cannot wait on condition: its lock is not acquired");
  });
});

Deno.test("Condition.wait() cancelled re-acquires the lock before it throws", async () => {
  await inLoop(async (loop) => {
    const cond = new Condition();
    await cond.acquire();
    const wait = createTask(() => cond.wait());
    loop.callSoon(() => wait.cancel());
    assert.ok(await rejection(wait) instanceof CancelledError);
    assert.equal(cond.statistics().waiters, 0);
    assert.ok(cond.locked());
  });
});

Deno.test("Condition.wait() cancelled while re-acquiring a contested lock still returns holding it", async () => {
  // CPython's test_wait_cancel_contested.
  await inLoop(async (loop) => {
    const cond = new Condition();
    await cond.acquire();
    const waitTask = createTask(() => cond.wait());
    await tick();
    assert.ok(!cond.locked());
    await cond.acquire();
    cond.notify();
    loop.callSoon(() => waitTask.cancel());
    loop.callSoon(() => cond.release());
    try {
      await waitTask;
    } catch (err) {
      assert.ok(err instanceof CancelledError);
    }
    assert.ok(cond.locked());
  });
});

Deno.test("Condition.wait() cancelled after a notify passes the notification on", async () => {
  // bpo-32841 (test_wait_cancel_after_notify), plus: the other waiter gets
  // the notification the cancelled one did not use.
  await inLoop(async () => {
    const cond = new Condition();
    let reached = 0;
    const waitOnCond = async () => {
      await cond.withLock(async () => {
        reached++;
        await cond.wait();
      });
      return "woken";
    };
    const first = createTask(waitOnCond);
    const second = createTask(waitOnCond);
    await tick();
    await cond.acquire();
    cond.notify(); // to `first`
    await tick(); // first wakes and waits for the lock
    first.cancel();
    await tick();
    cond.release();
    await tick();
    assert.ok(first.cancelled());
    assert.equal(reached, 2);
    // The notification `first` consumed was passed to `second`.
    assert.equal(await second, "woken");
    assert.ok(!cond.locked());
  });
});

Deno.test("Condition.notify() to a waiter cancelled before it resumes goes to the next waiter", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    const waiter = () => cond.withLock(() => cond.wait());
    const first = createTask(waiter);
    const second = createTask(waiter);
    await tick();
    await cond.withLock(() => {
      cond.notify(1);
      first.cancel();
    });
    assert.ok(await rejection(first) instanceof CancelledError);
    assert.equal(await second, true);
    assert.equal(cond.statistics().waiters, 0);
  });
});

Deno.test("Condition.waitFor() checks the predicate after each notification", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    let ready = false;
    const result: number[] = [];
    const t = createTask(async () => {
      await cond.acquire();
      if (await cond.waitFor(() => ready)) {
        result.push(1);
        cond.release();
      }
      return true;
    });
    await tick();
    await cond.withLock(() => cond.notify());
    await tick();
    assert.deepEqual(result, []);
    ready = true;
    await cond.withLock(() => cond.notify());
    assert.equal(await t, true);
    assert.deepEqual(result, [1]);
  });
});

Deno.test("Condition.waitFor() returns a truthy predicate at once, without the lock", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    assert.deepEqual(await cond.waitFor(() => [1, 2, 3]), [1, 2, 3]);
    assert.ok(await rejection(cond.waitFor(() => false)) instanceof RuntimeError);
    await assert.rejects(cond.waitFor(1 as unknown as () => boolean), TypeError);
  });
});

Deno.test("Condition.wait() under waitFor() times out holding the lock", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    await cond.withLock(async () => {
      assert.ok(await rejection(waitFor(() => cond.wait(), 0.5)) instanceof TimeoutError);
      assert.ok(cond.locked());
    });
    assert.ok(!cond.locked());
  });
});

Deno.test("Condition over a given Lock shares its state", async () => {
  await inLoop(async () => {
    const check = async (lock: Lock, cond: Condition) => {
      assert.ok(!lock.locked() && !cond.locked());
      await cond.withLock(() => assert.ok(lock.locked() && cond.locked()));
      assert.ok(!lock.locked() && !cond.locked());
      await lock.withLock(() => assert.ok(lock.locked() && cond.locked()));
      assert.ok(!lock.locked() && !cond.locked());
    };
    const lock = new Lock();
    await check(lock, new Condition(lock));
    // Two conditions over one lock.
    const other = new Condition(lock);
    await check(lock, other);
    assert.throws(() => new Condition({} as Lock), {
      name: "TypeError",
      message: "Cannot create Condition as 'lock' must be a Lock: received object",
    });
  });
});

Deno.test("Condition permit from acquire() stays valid across wait()", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    const waiter = createTask(async () => {
      using _permit = await cond.acquire();
      await cond.wait();
      assert.ok(cond.locked());
    });
    await tick();
    await cond.withLock(() => cond.notify());
    await waiter;
    assert.ok(!cond.locked(), "the permit released the lock re-acquired by wait()");
  });
});

Deno.test("Condition.toString() and statistics() show the lock and the waiters", async () => {
  await inLoop(async () => {
    const cond = new Condition();
    assert.equal(String(cond), "<Condition [unlocked]>");
    const t = createTask(() => cond.withLock(() => cond.wait()));
    await tick();
    assert.equal(String(cond), "<Condition [unlocked, waiters:1]>");
    await cond.acquire();
    assert.deepEqual(cond.statistics(), { locked: true, waiters: 1, lockWaiters: 0 });
    cond.notify();
    await settle();
    assert.deepEqual(cond.statistics(), { locked: true, waiters: 0, lockWaiters: 1 });
    cond.release();
    await t;
  });
});
