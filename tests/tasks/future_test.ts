/**
 * `Future`, `isFuture`, `wrapFuture` and `ensureFuture`. Modelled on the
 * behaviours CPython's test_futures.py checks: states and their errors,
 * done callbacks (never synchronous, FIFO, removable, in a context),
 * awaiting, promise interop, and "exception was never retrieved".
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  Context,
  ContextVar,
  ensureFuture,
  Future,
  getRunningLoop,
  InvalidStateError,
  isFuture,
  RuntimeError,
  sleep,
  Task,
  wrapFuture,
} from "../../mod.ts";
import { TestLoop } from "../../testing/mod.ts";
import { captureLog, errorLike, LOOPS, recordErrors, runOnce, withLoop } from "../loop/_helpers.ts";

const testLoop = (): TestLoop => new TestLoop();

// ----------------------------------------------------------------------
// Construction and states.

Deno.test("Future() without a loop and none running throws RuntimeError", () => {
  assert.throws(() => new Future(), RuntimeError);
});

Deno.test("Future() uses the running loop, or the given one", async () => {
  await withLoop(testLoop, async (loop) => {
    const explicit = new Future({ loop });
    assert.equal(explicit.getLoop(), loop);
    // Boxed: returning a future (a thenable) would hand back its result instead.
    const [implicit] = await loop.runUntilComplete(loop.createTask(() => [new Future()]));
    assert.equal(implicit.getLoop(), loop);
    explicit.cancel();
    implicit.cancel();
  });
});

Deno.test("Future starts pending", async () => {
  await withLoop(testLoop, (loop) => {
    const fut = loop.createFuture<number>();
    assert.equal(fut.done(), false);
    assert.equal(fut.cancelled(), false);
    assert.throws(() => fut.result(), errorLike(InvalidStateError, "Result is not ready"));
    assert.throws(() => fut.exception(), errorLike(InvalidStateError, "Exception is not set"));
    fut.cancel();
  });
});

Deno.test("Future.setResult() completes the future once", async () => {
  await withLoop(testLoop, (loop) => {
    const fut = loop.createFuture<number>();
    fut.setResult(42);
    assert.equal(fut.done(), true);
    assert.equal(fut.cancelled(), false);
    assert.equal(fut.result(), 42);
    assert.equal(fut.exception(), undefined);
    const done = errorLike(InvalidStateError, /future is FINISHED/);
    assert.throws(() => fut.setResult(1), done);
    assert.throws(() => fut.setException(new Error()), done);
    assert.equal(fut.cancel(), false);
    assert.equal(fut.result(), 42);
  });
});

Deno.test("Future.setException() makes result() throw and exception() return the error", async () => {
  await withLoop(testLoop, (loop) => {
    const fut = loop.createFuture<number>();
    const boom = new TypeError("boom");
    fut.setException(boom);
    assert.equal(fut.done(), true);
    assert.equal(fut.cancelled(), false);
    assert.throws(() => fut.result(), (err) => err === boom);
    assert.equal(fut.exception(), boom);
    assert.throws(() => fut.setResult(1), InvalidStateError);
    assert.throws(() => fut.setException(new Error()), InvalidStateError);
    assert.equal(fut.cancel(), false);
  });
});

Deno.test("Future.cancel() cancels a pending future once", async () => {
  await withLoop(testLoop, (loop) => {
    const fut = loop.createFuture<number>();
    assert.equal(fut.cancel(), true);
    assert.equal(fut.cancelled(), true);
    assert.equal(fut.done(), true);
    assert.throws(() => fut.result(), CancelledError);
    assert.throws(() => fut.exception(), CancelledError);
    const cancelled = errorLike(InvalidStateError, /future is CANCELLED/);
    assert.throws(() => fut.setResult(1), cancelled);
    assert.throws(() => fut.setException(new Error()), cancelled);
    assert.equal(fut.cancel(), false);
  });
});

Deno.test("Future.cancel() puts its message in every CancelledError", async () => {
  await withLoop(testLoop, async (loop) => {
    const fut = loop.createFuture<number>();
    fut.cancel("my message");
    assert.throws(() => fut.result(), errorLike(CancelledError, "my message"));
    assert.throws(() => fut.exception(), errorLike(CancelledError, "my message"));
    await assert.rejects(async () => await fut, errorLike(CancelledError, "my message"));
    await assert.rejects(loop.runUntilComplete(fut), errorLike(CancelledError, "my message"));
    const plain = loop.createFuture<number>();
    plain.cancel();
    assert.throws(() => plain.result(), errorLike(CancelledError, ""));
  });
});

Deno.test("Future.toString() shows the state", async () => {
  await withLoop(testLoop, (loop) => {
    const pending = loop.createFuture<number>();
    assert.equal(String(pending), "<Future pending>");
    pending.cancel();
    assert.equal(String(pending), "<Future cancelled>");
    const result = loop.createFuture<number>();
    result.setResult(4);
    assert.equal(String(result), "<Future finished result=4>");
    const failed = loop.createFuture<number>();
    failed.setException(new RangeError("bad"));
    assert.equal(String(failed), "<Future finished exception=RangeError: bad>");
    failed.exception();
    class MyFuture<T> extends Future<T> {}
    const mine = new MyFuture<number>({ loop });
    assert.equal(String(mine), "<MyFuture pending>");
    mine.cancel();
  });
});

Deno.test("Future.sourceTraceback records where it was created in debug mode only", async () => {
  using _log = captureLog();
  await withLoop(testLoop, (loop) => {
    assert.equal(loop.createFuture().sourceTraceback, undefined);
    loop.setDebug(true);
    assert.match(new Future({ loop }).sourceTraceback ?? "", /future_test\.ts/);
  });
});

// ----------------------------------------------------------------------
// Done callbacks, over every loop.

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: Future.addDoneCallback() callbacks never run synchronously`, async () => {
    await withLoop(make, async (loop) => {
      const bag: string[] = [];
      const fut = loop.createFuture<string>();
      fut.addDoneCallback(() => bag.push("first"));
      fut.addDoneCallback(() => bag.push("second"));
      fut.setResult("foo");
      assert.deepEqual(bag, []);
      // Not in a microtask either: only the loop runs them.
      await Promise.resolve();
      await new Promise((resolve) => queueMicrotask(() => resolve(null)));
      assert.deepEqual(bag, []);
      await runOnce(loop);
      assert.deepEqual(bag, ["first", "second"]);
      await runOnce(loop);
      assert.deepEqual(bag, ["first", "second"]);
    });
  });

  Deno.test(`${name}: Future.addDoneCallback() on a done future schedules the callback`, async () => {
    await withLoop(make, async (loop) => {
      const fut = loop.createFuture<number>();
      fut.setResult(1);
      const seen: unknown[] = [];
      fut.addDoneCallback((f) => seen.push(f));
      assert.deepEqual(seen, []);
      await runOnce(loop);
      assert.deepEqual(seen, [fut]);
    });
  });

  Deno.test(`${name}: Future.addDoneCallback() callbacks run on exception and on cancel`, async () => {
    await withLoop(make, async (loop) => {
      const bag: string[] = [];
      const failed = loop.createFuture<number>();
      const cancelled = loop.createFuture<number>();
      failed.addDoneCallback((f) => bag.push(`failed ${(f.exception() as Error).message}`));
      cancelled.addDoneCallback((f) => bag.push(`cancelled ${f.cancelled()}`));
      failed.setException(new Error("boom"));
      cancelled.cancel();
      assert.deepEqual(bag, []);
      await runOnce(loop);
      assert.deepEqual(bag, ["failed boom", "cancelled true"]);
    });
  });

  Deno.test(`${name}: Future.addDoneCallback() callbacks that throw reach the exception handler`, async () => {
    await withLoop(make, async (loop) => {
      const contexts = recordErrors(loop);
      const fut = loop.createFuture<number>();
      const boom = new Error("callback failed");
      const bag: string[] = [];
      fut.addDoneCallback(() => {
        throw boom;
      });
      fut.addDoneCallback(() => bag.push("next"));
      fut.setResult(1);
      await runOnce(loop);
      assert.deepEqual(bag, ["next"]);
      assert.equal(contexts.length, 1);
      assert.equal(contexts[0].exception, boom);
      assert.match(contexts[0].message, /Exception in callback/);
      assert.equal(contexts[0].future, fut);
    });
  });

  Deno.test(`${name}: Future.addDoneCallback() runs in a snapshot of the context, or the given one`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<string>("v", { default: "default" });
      const seen: string[] = [];
      const fut = loop.createFuture<number>();
      const scheduling = new Context();
      scheduling.run(() => {
        v.set("at addDoneCallback");
        fut.addDoneCallback(() => seen.push(v.get()));
        v.set("after");
      });
      const given = new Context();
      given.run(() => v.set("given"));
      fut.addDoneCallback(() => {
        seen.push(v.get());
        v.set("set by callback");
      }, { context: given });
      fut.setResult(1);
      await runOnce(loop);
      assert.deepEqual(seen, ["at addDoneCallback", "given"]);
      // The given context is the one the callback ran in.
      assert.equal(given.get(v), "set by callback");
    });
  });

  Deno.test(`${name}: Future.removeDoneCallback() removes every registration and counts them`, async () => {
    await withLoop(make, async (loop) => {
      const bag: number[] = [];
      const cb1 = () => bag.push(1);
      const cb2 = () => bag.push(2);
      const cb3 = () => bag.push(3);
      const fut = loop.createFuture<string>();
      fut.addDoneCallback(cb1);
      fut.addDoneCallback(cb2);
      assert.equal(fut.removeDoneCallback(cb2), 1);
      assert.equal(fut.removeDoneCallback(cb3), 0);
      fut.addDoneCallback(cb2);
      for (let i = 0; i < 5; i++) fut.addDoneCallback(cb1);
      assert.equal(fut.removeDoneCallback(cb1), 6);
      assert.equal(fut.removeDoneCallback(cb1), 0);
      fut.setResult("foo");
      await runOnce(loop);
      assert.deepEqual(bag, [2]);
    });
  });

  Deno.test(`${name}: Future.removeDoneCallback() of the first, middle or last callback keeps the others in order`, async () => {
    await withLoop(make, async (loop) => {
      for (const remove of [[0], [0, 1], [2], [1]]) {
        const bag: number[] = [];
        const cbs = [42, 17, 100].map((n) => () => bag.push(n));
        const fut = loop.createFuture<string>();
        for (const cb of cbs) fut.addDoneCallback(cb);
        for (const i of remove) {
          fut.removeDoneCallback(cbs[i]);
          fut.removeDoneCallback(cbs[i]);
        }
        fut.setResult("foo");
        await runOnce(loop);
        assert.deepEqual(bag, [42, 17, 100].filter((_, i) => !remove.includes(i)));
      }
    });
  });

  Deno.test(`${name}: Future.removeDoneCallback() leaves awaiters alone`, async () => {
    await withLoop(make, async (loop) => {
      const fut = loop.createFuture<number>();
      const cb = () => {};
      fut.addDoneCallback(cb);
      const task = loop.createTask(async () => await fut);
      await runOnce(loop);
      assert.equal(fut.removeDoneCallback(cb), 1);
      loop.callSoon(() => fut.setResult(5));
      assert.equal(await loop.runUntilComplete(task), 5);
    });
  });

  Deno.test(`${name}: await of a pending future resumes the task with its outcome`, async () => {
    await withLoop(make, async (loop) => {
      const ok = loop.createFuture<number>();
      const bad = loop.createFuture<number>();
      loop.callLater(1, () => ok.setResult(42));
      loop.callLater(2, () => bad.setException(new RangeError("bad")));
      const task = loop.createTask(async () => {
        const value = await ok;
        try {
          await bad;
        } catch (err) {
          return [value, (err as Error).message];
        }
        return [value, "no error"];
      });
      assert.deepEqual(await loop.runUntilComplete(task), [42, "bad"]);
    });
  });

  Deno.test(`${name}: await of a done future resolves without a loop iteration`, async () => {
    await withLoop(make, async (loop) => {
      const fut = loop.createFuture<number>();
      fut.setResult(5);
      const task = loop.createTask(async () => {
        let iterated = false;
        loop.callSoon(() => iterated = true);
        const value = await fut;
        return [value, iterated];
      });
      assert.deepEqual(await loop.runUntilComplete(task), [5, false]);
      // With the loop not running at all, it resolves too.
      assert.equal(await fut, 5);
      const failed = loop.createFuture<number>();
      failed.setException(new Error("stored"));
      await assert.rejects(async () => await failed, /stored/);
    });
  });

  Deno.test(`${name}: Future.then() reactions run from the loop, not synchronously`, async () => {
    await withLoop(make, async (loop) => {
      const fut = loop.createFuture<number>();
      const seen: number[] = [];
      const chain = fut.then((v) => {
        seen.push(v);
        return v * 2;
      });
      fut.setResult(21);
      await Promise.resolve();
      await Promise.resolve();
      assert.deepEqual(seen, []);
      await runOnce(loop);
      assert.deepEqual(seen, [21]);
      assert.equal(await chain, 42);
    });
  });

  Deno.test(`${name}: Future.then(), catch() and finally() interoperate with promises`, async () => {
    await withLoop(make, async (loop) => {
      const task = loop.createTask(async () => {
        const ok = loop.createFuture<number>();
        const bad = loop.createFuture<number>();
        const cancelled = loop.createFuture<number>();
        loop.callLater(1, () => {
          ok.setResult(1);
          bad.setException(new Error("bad"));
          cancelled.cancel("gone");
        });
        let finallyRan = 0;
        const results = await Promise.all([
          ok.then((v) => v + 1),
          ok.then((v) => `${v}`).then((s) => s + "!"),
          bad.then(() => "unreached", (err) => `then ${(err as Error).message}`),
          bad.catch((err) => `catch ${(err as Error).message}`),
          cancelled.catch((err) => `${(err as Error).name} ${(err as Error).message}`),
          ok.finally(() => finallyRan++),
          bad.finally(() => finallyRan++).catch(() => "finally passed the error on"),
          ok.then(() => {
            throw new Error("thrown in then");
          }).catch((err) => (err as Error).message),
          Promise.resolve(ok),
          (async () => await ok)(),
        ]);
        return [results, finallyRan];
      });
      assert.deepEqual(await loop.runUntilComplete(task), [
        [
          2,
          "1!",
          "then bad",
          "catch bad",
          "CancelledError gone",
          1,
          "finally passed the error on",
          "thrown in then",
          1,
          1,
        ],
        2,
      ]);
    });
  });

  Deno.test(`${name}: Promise.all() over futures resolves when every future is done`, async () => {
    await withLoop(make, async (loop) => {
      const futs = [3, 1, 2].map((delay) => {
        const fut = loop.createFuture<number>();
        loop.callLater(delay, () => fut.setResult(delay * 10));
        return fut;
      });
      const task = loop.createTask(async () => {
        const t0 = loop.time();
        const values = await Promise.all(futs);
        return [values, loop.time() - t0];
      });
      assert.deepEqual(await loop.runUntilComplete(task), [[30, 10, 20], 3]);
    });
  });

  Deno.test(`${name}: Promise.all() over futures rejects with the first failure`, async () => {
    await withLoop(make, async (loop) => {
      const slow = loop.createFuture<number>();
      const failing = loop.createFuture<number>();
      loop.callLater(1, () => failing.setException(new Error("first failure")));
      loop.callLater(2, () => slow.setResult(1));
      const task = loop.createTask(() => Promise.all([slow, failing]));
      await assert.rejects(loop.runUntilComplete(task), /first failure/);
      await runOnce(loop);
    });
  });
}

Deno.test({
  name: "await of a future of another loop in a task throws RuntimeError",
  fn: async () => {
    const loop = new TestLoop();
    const other = new TestLoop();
    try {
      const foreign = other.createFuture<number>();
      loop.callLater(1, () => foreign.setResult(5));
      const task = loop.createTask(async () => await foreign);
      loop.callLater(2, () => loop.stop());
      await loop.runForever();
      assert.equal(task.done(), true, "the task hangs on the foreign future");
      assert.throws(() => task.result(), errorLike(RuntimeError, /different loop/));
    } finally {
      loop.close();
      other.close();
    }
  },
});

// ----------------------------------------------------------------------
// isFuture, wrapFuture, ensureFuture.

Deno.test("isFuture() is true for futures and tasks only", async () => {
  await withLoop(testLoop, async (loop) => {
    const fut = loop.createFuture<number>();
    const task = loop.createTask(() => 1);
    assert.equal(isFuture(fut), true);
    assert.equal(isFuture(task), true);
    assert.equal(isFuture(Future), false);
    assert.equal(isFuture(Promise.resolve(1)), false);
    assert.equal(isFuture({ then() {} }), false);
    assert.equal(isFuture(null), false);
    assert.equal(isFuture(1), false);
    fut.cancel();
    await loop.runUntilComplete(task);
  });
});

Deno.test("wrapFuture() makes a loop future that settles like the promise", async () => {
  await withLoop(testLoop, async (loop) => {
    const ok = wrapFuture(Promise.resolve("done"), { loop });
    assert.ok(isFuture(ok));
    assert.equal(ok.getLoop(), loop);
    assert.equal(await loop.runUntilComplete(ok), "done");
    const boom = new Error("rejected");
    const bad = wrapFuture(Promise.reject(boom), { loop });
    await assert.rejects(loop.runUntilComplete(bad), (err) => err === boom);
    assert.equal(bad.exception(), boom);
  });
});

Deno.test("wrapFuture() accepts any thenable", async () => {
  await withLoop(testLoop, async (loop) => {
    const thenable: PromiseLike<number> = {
      then(onFulfilled) {
        queueMicrotask(() => onFulfilled?.(7));
        return this as never;
      },
    };
    assert.equal(await loop.runUntilComplete(wrapFuture(thenable, { loop })), 7);
  });
});

Deno.test("wrapFuture() of a future returns it", async () => {
  await withLoop(testLoop, (loop) => {
    const fut = loop.createFuture<number>();
    assert.equal(wrapFuture(fut), fut);
    fut.cancel();
  });
});

Deno.test("wrapFuture() uses the running loop, and throws without one", async () => {
  assert.throws(
    () => wrapFuture(Promise.resolve(1)),
    errorLike(RuntimeError, /no running event loop/),
  );
  await withLoop(testLoop, async (loop) => {
    const [fut] = await loop.runUntilComplete(
      loop.createTask(() => [wrapFuture(Promise.resolve(1))]),
    );
    assert.equal(fut.getLoop(), loop);
    await loop.runUntilComplete(fut);
  });
});

Deno.test("wrapFuture() rejects what is not a thenable", () => {
  for (const bad of [null, undefined, 42, "x", {}, () => {}]) {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => wrapFuture(bad as any), errorLike(TypeError, /promise or thenable/));
  }
});

Deno.test("wrapFuture() cancelled settles at once and drops the promise's later outcome", async () => {
  await withLoop(testLoop, async (loop) => {
    const contexts = recordErrors(loop);
    const { promise, resolve } = Promise.withResolvers<number>();
    const fut = wrapFuture(promise, { loop });
    assert.equal(fut.cancel(), true);
    resolve(1);
    await promise;
    await runOnce(loop);
    assert.equal(fut.cancelled(), true);
    const { promise: p2, reject } = Promise.withResolvers<number>();
    const fut2 = wrapFuture(p2, { loop });
    fut2.cancel();
    reject(new Error("late"));
    await p2.catch(() => {});
    await runOnce(loop);
    assert.equal(fut2.cancelled(), true);
    assert.deepEqual(contexts, []);
  });
});

Deno.test("wrapFuture() ignores a promise that settles after the loop closed", async () => {
  const loop = new TestLoop();
  const { promise, resolve } = Promise.withResolvers<number>();
  const fut = wrapFuture(promise, { loop });
  loop.close();
  resolve(1);
  await promise;
  await Promise.resolve();
  assert.equal(fut.done(), false);
});

Deno.test("ensureFuture() returns a future as is, runs a function as a task, wraps a promise", async () => {
  await withLoop(testLoop, async (loop) => {
    const fut = loop.createFuture<number>();
    assert.equal(ensureFuture(fut), fut);
    assert.equal(ensureFuture(fut, { loop }), fut);
    fut.cancel();

    const task = ensureFuture(async () => {
      await sleep(1);
      return getRunningLoop();
    }, { loop });
    assert.ok(task instanceof Task);
    assert.equal(await loop.runUntilComplete(task), loop);

    const wrapped = ensureFuture(Promise.resolve("p"), { loop });
    assert.ok(isFuture(wrapped) && !(wrapped instanceof Task));
    assert.equal(await loop.runUntilComplete(wrapped), "p");

    const thenable: PromiseLike<string> = {
      then(onFulfilled) {
        onFulfilled?.("t");
        return this as never;
      },
    };
    assert.equal(await loop.runUntilComplete(ensureFuture(thenable, { loop })), "t");
  });
});

Deno.test("ensureFuture() uses the running loop, and throws without one", async () => {
  assert.throws(() => ensureFuture(() => 1), errorLike(RuntimeError, /no running event loop/));
  assert.throws(() => ensureFuture(Promise.resolve(1)), RuntimeError);
  await withLoop(testLoop, async (loop) => {
    const [inner] = await loop.runUntilComplete(
      loop.createTask(() => [ensureFuture(() => "in task")]),
    );
    assert.equal(inner.getLoop(), loop);
    assert.equal(await loop.runUntilComplete(inner), "in task");
  });
});

Deno.test("ensureFuture() rejects a future of another loop and non-awaitables", async () => {
  await withLoop(testLoop, async (loop) => {
    const other = new TestLoop();
    try {
      const fut = other.createFuture<number>();
      assert.throws(() => ensureFuture(fut, { loop }), errorLike(RuntimeError, /different loop/));
      fut.cancel();
    } finally {
      other.close();
    }
    for (const bad of [null, undefined, 42, "x", {}]) {
      // deno-lint-ignore no-explicit-any
      assert.throws(() => ensureFuture(bad as any, { loop }), TypeError);
    }
    await runOnce(loop);
  });
});

// ----------------------------------------------------------------------
// "exception was never retrieved".
//
// The gate runs tests without --expose-gc, so garbage is collected by
// allocation pressure: allocate, give the host a turn (FinalizationRegistry
// callbacks run as host tasks), repeat until the condition holds or the
// deadline passes. A collection happens within the first few rounds in
// practice; the deadline only turns a broken report into a failure, not a
// hang.

async function collectGarbageUntil(done: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!done()) {
    if (performance.now() > deadline) assert.fail(`garbage collection never ${what}`);
    let junk: unknown[] = [];
    for (let i = 0; i < 200_000; i++) junk.push({ i, s: `x${i}` });
    junk = [];
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Makes a failed future in its own frame so nothing keeps it alive; returns a WeakRef. */
function failedFuture(
  loop: TestLoop,
  message: string,
  retrieve?: (fut: Future<number>) => void,
): WeakRef<Future<number>> {
  const fut = new Future<number>({ loop });
  fut.setException(new Error(message));
  retrieve?.(fut);
  return new WeakRef(fut);
}

Deno.test("Future exception never retrieved is reported through the exception handler when collected", async () => {
  const loop = new TestLoop();
  try {
    const contexts = recordErrors(loop);
    failedFuture(loop, "dropped");
    await collectGarbageUntil(() => contexts.length > 0, "reported the dropped future");
    assert.equal(contexts.length, 1);
    assert.equal(contexts[0].message, "Future exception was never retrieved");
    assert.equal((contexts[0].exception as Error).message, "dropped");
  } finally {
    loop.close();
  }
});

Deno.test("Future exception retrieved, or a result, is not reported when collected", async () => {
  const loop = new TestLoop();
  try {
    const contexts = recordErrors(loop);
    const refs = [
      failedFuture(loop, "exception()", (f) => f.exception()),
      failedFuture(loop, "result()", (f) => assert.throws(() => f.result())),
      failedFuture(loop, "catch()", (f) => void f.catch(() => {})),
      failedFuture(loop, "then(_, onRejected)", (f) => void f.then(undefined, () => {})),
      ((): WeakRef<Future<number>> => {
        const ok = new Future<number>({ loop });
        ok.setResult(1);
        return new WeakRef(ok);
      })(),
    ];
    // A dropped failed future as the witness that collection and reporting happened.
    failedFuture(loop, "witness");
    await collectGarbageUntil(
      () => contexts.length > 0 && refs.every((r) => r.deref() === undefined),
      "collected every future",
    );
    // One more round, so any report of the others would have arrived.
    await collectGarbageUntil(() => true, "");
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(contexts.map((c) => (c.exception as Error).message), ["witness"]);
    // The then() reactions scheduled above run on the loop.
    await runOnce(loop);
  } finally {
    loop.close();
  }
});

Deno.test("Future exception of a future awaited by a task is not reported", async () => {
  const loop = new TestLoop();
  try {
    const contexts = recordErrors(loop);
    const task = loop.createTask(async () => {
      const ref = ((): WeakRef<Future<number>> => {
        const fut = new Future<number>();
        loop.callSoon(() => fut.setException(new Error("awaited")));
        awaited = fut;
        return new WeakRef(fut);
      })();
      try {
        await awaited;
      } catch { /* retrieved by the await */ }
      awaited = null;
      return ref;
    });
    let awaited: Future<number> | null = null;
    const ref = await loop.runUntilComplete(task);
    failedFuture(loop, "witness");
    await collectGarbageUntil(
      () => contexts.length > 0 && ref.deref() === undefined,
      "collected the awaited future",
    );
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(contexts.map((c) => (c.exception as Error).message), ["witness"]);
  } finally {
    loop.close();
  }
});

Deno.test({
  name: "Future.cancel() on a failed future marks its exception retrieved",
  fn: async () => {
    // Python's Future.cancel() clears the never-retrieved flag even when the
    // future is already done (test_tb_logger_not_called_after_cancel).
    const loop = new TestLoop();
    try {
      const contexts = recordErrors(loop);
      const ref = failedFuture(loop, "cancelled after failing", (f) => f.cancel());
      failedFuture(loop, "witness");
      await collectGarbageUntil(
        () => contexts.length > 0 && ref.deref() === undefined,
        "collected the futures",
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.deepEqual(contexts.map((c) => (c.exception as Error).message), ["witness"]);
    } finally {
      loop.close();
    }
  },
});

Deno.test("Future exception never retrieved is not reported once the loop is closed", async () => {
  const loop = new TestLoop();
  const contexts = recordErrors(loop);
  const ref = failedFuture(loop, "after close");
  loop.close();
  await collectGarbageUntil(() => ref.deref() === undefined, "collected the future");
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(contexts, []);
});
