// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * `waitFor`: a deadline on one awaitable, built on `timeout` as in Python
 * 3.12. Modelled on CPython's test_waitfor.py.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  type Future,
  sleep,
  TimeoutError,
  waitFor,
} from "../../mod.ts";
import { inLoop, now, pending, rejection, resolved } from "./_task_helpers.ts";

Deno.test("waitFor() returns the result when it comes in time", async () => {
  await inLoop(async () => {
    const value: number = await waitFor(async () => {
      await sleep(1);
      return 42;
    }, 5);
    assert.equal(value, 42);
    assert.equal(now(), 1);
    // The deadline's timer is gone once the wait is over.
    await sleep(0);
    assert.equal(now(), 1);
  });
});

Deno.test("waitFor() throws TimeoutError at the deadline and cancels a task it waited for", async () => {
  await inLoop(async () => {
    let innerSaw: unknown;
    const inner = createTask(async () => {
      try {
        await sleep(10);
      } catch (err) {
        innerSaw = err;
        throw err;
      }
    });
    const err = await rejection(waitFor(inner, 2));
    assert.ok(err instanceof TimeoutError);
    assert.ok((err as Error).cause instanceof CancelledError);
    assert.equal(now(), 2);
    assert.equal(inner.cancelled(), true);
    assert.ok(innerSaw instanceof CancelledError);
  });
});

Deno.test("waitFor() runs a function inline, in the current task", async () => {
  await inLoop(async () => {
    const me = currentTask();
    // Boxed: a task returned from an async function would be adopted (awaited).
    const ran = await waitFor(async () => ({ task: currentTask() }), 1);
    assert.equal(ran.task, me);
  });
});

Deno.test("waitFor() of a function that times out leaves the caller task usable", async () => {
  await inLoop(async () => {
    const me = currentTask()!;
    assert.ok(await rejection(waitFor(() => sleep(10), 1)) instanceof TimeoutError);
    assert.equal(me.cancelling(), 0);
    assert.equal(await sleep(1, "still fine"), "still fine");
  });
});

Deno.test("waitFor() of a pending future cancels it at the deadline", async () => {
  await inLoop(async () => {
    const fut = pending<number>();
    assert.ok(await rejection(waitFor(fut, 1)) instanceof TimeoutError);
    assert.equal(fut.cancelled(), true);
  });
});

Deno.test("waitFor() wraps a promise so the wait can time out", async () => {
  await inLoop(async () => {
    const never = new Promise<number>(() => {});
    assert.ok(await rejection(waitFor(never, 1)) instanceof TimeoutError);
    const soon = new Promise<string>((resolve) => setTimeout(() => resolve("host"), 0));
    assert.equal(await waitFor(soon, null), "host");
  });
});

Deno.test("waitFor() with a null or infinite timeout waits without limit", async () => {
  await inLoop(async () => {
    assert.equal(await waitFor(() => sleep(1000, "a"), null), "a");
    assert.equal(await waitFor(() => sleep(1000, "b"), Infinity), "b");
    assert.equal(now(), 2000);
  });
});

Deno.test("waitFor() passes the awaitable's own error through", async () => {
  await inLoop(async () => {
    const boom = new SyntaxError("boom");
    const err = await rejection(waitFor(async () => {
      await sleep(1);
      throw boom;
    }, 5));
    assert.equal(err, boom);
  });
});

Deno.test("waitFor() with a timeout of zero or less returns the result of a done future", async () => {
  await inLoop(async () => {
    assert.equal(await waitFor(resolved("ready"), 0), "ready");
    assert.equal(await waitFor(resolved("ready"), -1), "ready");
  });
});

Deno.test("waitFor() with a timeout of zero or less cancels a pending future at once", async () => {
  await inLoop(async () => {
    for (const timeout of [0, -5]) {
      const fut = pending<number>();
      const err = await rejection(waitFor(fut, timeout));
      assert.ok(err instanceof TimeoutError);
      assert.ok((err as Error).cause instanceof CancelledError);
      assert.equal(fut.cancelled(), true);
    }
    assert.equal(now(), 0);
  });
});

Deno.test("waitFor() with a timeout of zero or less never starts a function", async () => {
  await inLoop(async () => {
    let started = false;
    const err = await rejection(waitFor(async () => {
      started = true;
      await sleep(1);
    }, 0));
    assert.ok(err instanceof TimeoutError);
    assert.equal(started, false);
  });
});

Deno.test("waitFor() with a timeout of zero or less returns the result of a task that ignores cancellation", async () => {
  await inLoop(async () => {
    const stubborn = createTask(async () => {
      try {
        await sleep(10);
      } catch {
        await sleep(1);
      }
      return "kept going";
    });
    await sleep(0);
    assert.equal(await waitFor(stubborn, 0), "kept going");
    assert.equal(now(), 1);
  });
});

Deno.test("waitFor() returns the result of a task that ignores the deadline's cancellation", async () => {
  await inLoop(async () => {
    const stubborn = createTask(async () => {
      try {
        await sleep(10);
      } catch {
        await sleep(3);
      }
      return "ignored the cancel";
    });
    assert.equal(await waitFor(stubborn, 2), "ignored the cancel");
    // It waited for the task to finish its cleanup.
    assert.equal(now(), 5);
    assert.equal(currentTask()!.cancelling(), 0);
  });
});

Deno.test("waitFor() waits for the cancelled task to finish before throwing TimeoutError", async () => {
  await inLoop(async () => {
    const slowToCancel = createTask(async () => {
      try {
        await sleep(10);
      } catch (err) {
        await sleep(4);
        throw err;
      }
    });
    assert.ok(await rejection(waitFor(slowToCancel, 1)) instanceof TimeoutError);
    assert.equal(now(), 5);
    assert.equal(slowToCancel.cancelled(), true);
  });
});

Deno.test("waitFor() throws the error a task raises while being cancelled", async () => {
  await inLoop(async () => {
    const cleanupFailed = new Error("cleanup failed");
    const task = createTask(async () => {
      try {
        await sleep(10);
      } catch {
        throw cleanupFailed;
      }
    });
    assert.equal(await rejection(waitFor(task, 1)), cleanupFailed);
  });
});

Deno.test("waitFor() cancelled from outside throws CancelledError, not TimeoutError", async () => {
  await inLoop(async () => {
    const inner = createTask(() => sleep(10));
    const caller = createTask(() => waitFor(inner, 5));
    await sleep(1);
    caller.cancel("outside");
    const err = await rejection(caller);
    assert.ok(err instanceof CancelledError);
    assert.equal(caller.cancelled(), true);
    assert.equal(inner.cancelled(), true);
  });
});

Deno.test("waitFor() cancelled from outside at the deadline still throws CancelledError", async () => {
  await inLoop(async ({ loop }) => {
    const caller = createTask(() => waitFor(() => sleep(10), 2));
    loop.callLater(2, () => caller.cancel());
    assert.ok(await rejection(caller) instanceof CancelledError);
    assert.equal(caller.cancelled(), true);
  });
});

Deno.test("waitFor() nested: the inner deadline times out first and the outer goes on", async () => {
  await inLoop(async () => {
    const result = await waitFor(async () => {
      const inner = await rejection(waitFor(() => sleep(100), 1));
      assert.ok(inner instanceof TimeoutError);
      return await sleep(1, "outer finished");
    }, 5);
    assert.equal(result, "outer finished");
    assert.equal(now(), 2);
  });
});

Deno.test("waitFor() nested: the outer deadline times out through the inner one", async () => {
  await inLoop(async () => {
    let innerSaw: unknown;
    const err = await rejection(waitFor(async () => {
      try {
        await waitFor(() => sleep(100), 10);
      } catch (e) {
        innerSaw = e;
        throw e;
      }
    }, 1));
    assert.ok(err instanceof TimeoutError);
    // The inner block saw a cancellation that was not its own.
    assert.ok(innerSaw instanceof CancelledError);
    assert.equal(now(), 1);
  });
});

Deno.test("waitFor() keeps the result type of a future", async () => {
  await inLoop(async ({ loop }) => {
    const fut: Future<{ id: number }> = pending();
    loop.callLater(1, () => fut.setResult({ id: 3 }));
    const value: { id: number } = await waitFor(fut, 2);
    assert.equal(value.id, 3);
  });
});
