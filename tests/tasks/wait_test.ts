// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * `wait`: the three `returnWhen` modes, timeouts that return instead of
 * throwing, argument checks, and that nothing is left registered on the
 * futures afterwards. Modelled on CPython's test_tasks.py wait cases.
 */
import assert from "node:assert/strict";
import {
  ALL_COMPLETED,
  CancelledError,
  createTask,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  type ReturnWhen,
  RuntimeError,
  sleep,
  type Task,
  wait,
} from "../../mod.ts";
import { inLoop, now, pending, rejection, resolved } from "./_task_helpers.ts";
import { TestLoop } from "../../testing/mod.ts";

// A future that records what is taken back off it with removeDoneCallback,
// the public way to unregister a callback, so a test can check that the
// callbacks `wait` added are gone.
class SpyFuture<T> extends Future<T> {
  removed: ((future: this) => void)[] = [];

  override removeDoneCallback(fn: (future: this) => void): number {
    this.removed.push(fn);
    return super.removeDoneCallback(fn);
  }

  /** Whether a callback `wait` removed is still registered (it must not be). */
  stillRegistered(): boolean {
    const removeAgain = Future.prototype.removeDoneCallback as (
      this: Future<T>,
      fn: (future: Future<T>) => void,
    ) => number;
    return this.removed.some((fn) => removeAgain.call(this, fn as (future: Future<T>) => void) > 0);
  }
}

function delayed<T>(delay: number, value: T): Task<T> {
  return createTask(() => sleep(delay, value));
}

function failing(delay: number, error: Error): Task<never> {
  return createTask(async () => {
    await sleep(delay);
    throw error;
  });
}

Deno.test("wait() with ALL_COMPLETED (the default) returns when every future is done", async () => {
  await inLoop(async () => {
    const a = delayed(1, "a");
    const b = delayed(3, "b");
    const [done, notDone] = await wait([a, b]);
    assert.deepEqual(done, new Set([a, b]));
    assert.deepEqual(notDone, new Set());
    assert.equal(now(), 3);
    const [done2] = await wait([a, b], { returnWhen: ALL_COMPLETED });
    assert.equal(done2.size, 2);
  });
});

Deno.test("wait() with ALL_COMPLETED does not stop at a failure", async () => {
  await inLoop(async () => {
    const boom = new Error("boom");
    const a = failing(1, boom);
    const b = delayed(2, "b");
    const [done, notDone] = await wait([a, b]);
    assert.equal(done.size, 2);
    assert.equal(notDone.size, 0);
    assert.equal(now(), 2);
    // wait() neither awaits nor throws: the failure stays in the task.
    assert.equal(a.exception(), boom);
  });
});

Deno.test("wait() with FIRST_COMPLETED returns at the first future done and leaves the rest running", async () => {
  await inLoop(async () => {
    const fast = delayed(1, "fast");
    const slow = delayed(5, "slow");
    const [done, notDone] = await wait([slow, fast], { returnWhen: FIRST_COMPLETED });
    assert.deepEqual(done, new Set([fast]));
    assert.deepEqual(notDone, new Set([slow]));
    assert.equal(now(), 1);
    assert.equal(slow.cancelled(), false);
    assert.equal(await slow, "slow");
  });
});

Deno.test("wait() with FIRST_COMPLETED counts a cancellation as completion", async () => {
  await inLoop(async () => {
    const a = delayed(10, "a");
    const b = delayed(10, "b");
    createTask(async () => {
      await sleep(1);
      a.cancel();
    });
    const [done, notDone] = await wait([a, b], { returnWhen: FIRST_COMPLETED });
    assert.deepEqual(done, new Set([a]));
    assert.deepEqual(notDone, new Set([b]));
    b.cancel();
  });
});

Deno.test("wait() with FIRST_EXCEPTION returns at the first failure", async () => {
  await inLoop(async () => {
    const boom = new Error("boom");
    const ok = delayed(1, "ok");
    const bad = failing(2, boom);
    const slow = delayed(5, "slow");
    const [done, notDone] = await wait([ok, bad, slow], { returnWhen: FIRST_EXCEPTION });
    assert.deepEqual(done, new Set([ok, bad]));
    assert.deepEqual(notDone, new Set([slow]));
    assert.equal(now(), 2);
    await slow;
  });
});

Deno.test("wait() with FIRST_EXCEPTION waits for all when nothing fails, cancellations included", async () => {
  await inLoop(async () => {
    const a = delayed(1, "a");
    const b = delayed(10, "b");
    const c = delayed(3, "c");
    createTask(async () => {
      await sleep(2);
      b.cancel();
    });
    const [done, notDone] = await wait([a, b, c], { returnWhen: FIRST_EXCEPTION });
    assert.equal(done.size, 3);
    assert.equal(notDone.size, 0);
    assert.equal(now(), 3);
  });
});

Deno.test("wait() with FIRST_EXCEPTION returns at once when a future has already failed", async () => {
  await inLoop(async ({ loop }) => {
    const failed = new Future<void>({ loop });
    failed.setException(new Error("already"));
    const slow = delayed(5, "slow");
    const [done, notDone] = await wait([failed, slow], { returnWhen: FIRST_EXCEPTION });
    assert.deepEqual(done, new Set([failed]));
    assert.deepEqual(notDone, new Set([slow]));
    assert.equal(now(), 0);
    failed.exception();
    slow.cancel();
  });
});

Deno.test("wait() returns at once when the futures are already done", async () => {
  await inLoop(async () => {
    const a = resolved(1);
    const b = resolved(2);
    for (const returnWhen of [ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION] as ReturnWhen[]) {
      const [done, notDone] = await wait([a, b], { returnWhen });
      assert.deepEqual(done, new Set([a, b]));
      assert.equal(notDone.size, 0);
    }
    assert.equal(now(), 0);
  });
});

Deno.test("wait() with a timeout returns what is done by then, without throwing or cancelling", async () => {
  await inLoop(async () => {
    const fast = delayed(1, "fast");
    const slow = delayed(10, "slow");
    const [done, notDone] = await wait([fast, slow], { timeout: 2 });
    assert.deepEqual(done, new Set([fast]));
    assert.deepEqual(notDone, new Set([slow]));
    assert.equal(now(), 2);
    assert.equal(slow.cancelled(), false);
    assert.equal(await slow, "slow");
  });
});

Deno.test("wait() with a timeout returns early when the condition holds first", async () => {
  await inLoop(async () => {
    const a = delayed(1, "a");
    const [done] = await wait([a], { timeout: 100 });
    assert.deepEqual(done, new Set([a]));
    assert.equal(now(), 1);
    // The timeout's timer is gone: nothing moves the clock to 100.
    await sleep(0);
    assert.equal(now(), 1);
  });
});

Deno.test("wait() with a timeout of zero or less returns at the next iteration", async () => {
  await inLoop(async () => {
    for (const timeout of [0, -1]) {
      const slow = delayed(10, "slow");
      const [done, notDone] = await wait([slow], { timeout });
      assert.equal(done.size, 0);
      assert.deepEqual(notDone, new Set([slow]));
      assert.equal(now(), 0);
      slow.cancel();
      await rejection(slow);
    }
  });
});

Deno.test("wait() with a null or infinite timeout waits without limit", async () => {
  await inLoop(async () => {
    const a = delayed(50, "a");
    const [done] = await wait([a], { timeout: null });
    assert.equal(done.size, 1);
    const b = delayed(50, "b");
    const [done2] = await wait([b], { timeout: Infinity });
    assert.equal(done2.size, 1);
    assert.equal(now(), 100);
  });
});

Deno.test("wait() counts a future given twice once", async () => {
  await inLoop(async () => {
    const a = delayed(1, "a");
    const [done, notDone] = await wait([a, a, a]);
    assert.deepEqual(done, new Set([a]));
    assert.equal(notDone.size, 0);
  });
});

Deno.test("wait() accepts any iterable of futures", async () => {
  await inLoop(async () => {
    const a = delayed(1, "a");
    const b = delayed(2, "b");
    const [done] = await wait(new Set([a, b]).values());
    assert.equal(done.size, 2);
  });
});

Deno.test("wait() leaves no callback on the futures once it returns", async () => {
  await inLoop(async ({ loop }) => {
    for (const returnWhen of [FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED] as ReturnWhen[]) {
      const a = new SpyFuture<number>({ loop });
      const b = new SpyFuture<number>({ loop });
      const c = new SpyFuture<number>({ loop });
      loop.callLater(1, () => a.setException(new Error("a")));
      const setB = loop.callLater(2, () => b.setResult(2));
      const [done, notDone] = await wait([a, b, c], { returnWhen, timeout: 3 });
      setB.cancel();
      assert.ok(done.has(a));
      assert.ok(notDone.has(c));
      for (const f of [a, b, c]) {
        assert.equal(f.stillRegistered(), false, `${returnWhen}: a callback stayed on ${f}`);
      }
      assert.ok(c.removed.length > 0, "wait() took its callback back off the pending future");
      a.exception();
      c.cancel();
      if (!b.done()) b.cancel();
    }
  });
});

Deno.test("wait() cancelled with its task leaves the futures pending and unregistered", async () => {
  await inLoop(async ({ loop }) => {
    const a = new SpyFuture<number>({ loop });
    const b = new SpyFuture<number>({ loop });
    const waiter = createTask(() => wait([a, b]));
    await sleep(1);
    waiter.cancel();
    assert.ok(await rejection(waiter) instanceof CancelledError);
    // wait() does not own the futures: cancelling the waiter leaves them alone.
    assert.equal(a.done(), false);
    assert.equal(b.done(), false);
    assert.equal(a.stillRegistered(), false);
    assert.equal(b.stillRegistered(), false);
    a.setResult(1);
    b.setResult(2);
  });
});

Deno.test("wait() with FIRST_COMPLETED leaves the losers untouched by a later cancel of the waiter", async () => {
  await inLoop(async () => {
    const fast = delayed(1, "fast");
    const shared = pending<string>();
    const waiter = createTask(async () => {
      await wait([fast, shared], { returnWhen: FIRST_COMPLETED });
      await sleep(100);
    });
    await sleep(2);
    waiter.cancel();
    assert.ok(await rejection(waiter) instanceof CancelledError);
    assert.equal(shared.done(), false);
    shared.setResult("still usable");
    assert.equal(await shared, "still usable");
  });
});

Deno.test("wait() rejects an empty collection with RangeError", async () => {
  await inLoop(async () => {
    assert.ok(await rejection(wait([])) instanceof RangeError);
  });
});

Deno.test("wait() rejects promises and functions with TypeError", async () => {
  await inLoop(async () => {
    const promise = Promise.resolve(1) as unknown as Future<number>;
    const err = await rejection(wait([promise]));
    assert.ok(err instanceof TypeError);
    const fn = (async () => 1) as unknown as Future<number>;
    const err2 = await rejection(wait([fn]));
    assert.ok(err2 instanceof TypeError);
    assert.match((err2 as Error).message, /createTask/);
  });
});

Deno.test("wait() rejects an unknown returnWhen with RangeError", async () => {
  await inLoop(async () => {
    const a = resolved(1);
    const err = await rejection(wait([a], { returnWhen: "FIRST_WHATEVER" as ReturnWhen }));
    assert.ok(err instanceof RangeError);
    assert.match((err as Error).message, /FIRST_WHATEVER/);
  });
});

Deno.test("wait() rejects a NaN timeout with RangeError", async () => {
  await inLoop(async () => {
    const a = resolved(1);
    assert.ok(await rejection(wait([a], { timeout: NaN })) instanceof RangeError);
  });
});

Deno.test("wait() outside a running loop rejects with RuntimeError", async () => {
  const loop = new TestLoop();
  try {
    const fut = new Future<void>({ loop });
    assert.ok(await rejection(wait([fut])) instanceof RuntimeError);
  } finally {
    loop.close();
  }
});
