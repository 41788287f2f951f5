// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * `timeout`, `timeoutAt` and `Timeout`: deadlines on a block, with the
 * block as a function (`t.run(body)`). Modelled on CPython's
 * test_timeouts.py.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  getRunningLoop,
  RuntimeError,
  sleep,
  Timeout,
  timeout,
  timeoutAt,
  TimeoutError,
} from "../../mod.ts";
import { inLoop, now, pending, rejection } from "./_task_helpers.ts";

Deno.test("timeout() turns the deadline's cancellation into TimeoutError", async () => {
  await inLoop(async () => {
    const t = timeout(2);
    assert.equal(t.when(), 2);
    const err = await rejection(t.run(() => sleep(10)));
    assert.ok(err instanceof TimeoutError);
    assert.ok((err as Error).cause instanceof CancelledError);
    assert.equal(t.expired(), true);
    assert.equal(now(), 2);
  });
});

Deno.test("timeout() with a body runs it at once and returns its promise", async () => {
  await inLoop(async () => {
    assert.equal(await timeout(5, async () => "in time"), "in time");
    assert.ok(await rejection(timeout(1, () => sleep(5))) instanceof TimeoutError);
  });
});

Deno.test("timeoutAt() expires at the given loop time", async () => {
  await inLoop(async () => {
    await sleep(1);
    const deadline = now() + 3;
    const t = timeoutAt(deadline);
    assert.equal(t.when(), deadline);
    assert.ok(await rejection(t.run(() => sleep(10))) instanceof TimeoutError);
    assert.equal(now(), 4);
    assert.equal(t.expired(), true);
    assert.equal(t.when(), deadline);
    assert.ok(await rejection(timeoutAt(now() + 1, () => sleep(10))) instanceof TimeoutError);
  });
});

Deno.test("Timeout.run() returns the body's result when it finishes in time", async () => {
  await inLoop(async () => {
    const t = timeout(10);
    const result = await t.run(async (self) => {
      assert.equal(self, t);
      await sleep(1);
      return { ok: true };
    });
    assert.deepEqual(result, { ok: true });
    assert.equal(t.expired(), false);
    assert.ok(t.when()! > now());
    // The deadline's timer is gone.
    await sleep(0);
    assert.equal(now(), 1);
  });
});

Deno.test("Timeout.run() leaves the task uncancelled after a timeout it handled", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      assert.ok(await rejection(timeout(0.5, () => sleep(10))) instanceof TimeoutError);
      return currentTask()!.cancelling();
    });
    assert.equal(await task, 0);
    assert.equal(task.cancelled(), false);
  });
});

Deno.test("timeout(null) and timeoutAt(null) never expire", async () => {
  await inLoop(async () => {
    const a = timeout(null);
    await a.run(() => sleep(100));
    assert.equal(a.when(), null);
    assert.equal(a.expired(), false);
    const b = timeoutAt(null);
    await b.run(() => sleep(100));
    assert.equal(b.when(), null);
    assert.equal(b.expired(), false);
  });
});

Deno.test("timeout(Infinity) has no deadline", async () => {
  await inLoop(async () => {
    const t = timeout(Infinity);
    assert.equal(t.when(), null);
    await t.run(() => sleep(1000));
    assert.equal(t.expired(), false);
  });
});

Deno.test("timeout(0) expires the block at its first suspension", async () => {
  await inLoop(async () => {
    const t0 = now();
    const t = timeout(0);
    assert.ok(await rejection(t.run(() => sleep(10))) instanceof TimeoutError);
    assert.equal(t.expired(), true);
    assert.ok(t0 <= t.when()! && t.when()! <= now());
    assert.equal(now(), t0);
  });
});

Deno.test("timeout(0) expires a block that only yields with sleep(0)", async () => {
  await inLoop(async () => {
    const t = timeout(0);
    assert.ok(await rejection(t.run(() => sleep(0))) instanceof TimeoutError);
    assert.equal(t.expired(), true);
  });
});

Deno.test("timeout() with a negative delay is already expired", async () => {
  await inLoop(async () => {
    const t = timeout(-11);
    assert.ok(t.when()! < now());
    assert.ok(await rejection(t.run(() => sleep(0))) instanceof TimeoutError);
    assert.equal(t.expired(), true);
    const past = timeoutAt(now() - 5);
    assert.ok(await rejection(past.run(() => sleep(1))) instanceof TimeoutError);
  });
});

Deno.test("Timeout.run() lets a foreign error through without expiring", async () => {
  await inLoop(async () => {
    const boom = new Error("boom");
    const t = timeout(1);
    assert.equal(
      await rejection(t.run(async () => {
        throw boom;
      })),
      boom,
    );
    assert.equal(t.expired(), false);
  });
});

Deno.test("Timeout.run() lets an error raised during the timeout's cancellation through", async () => {
  await inLoop(async () => {
    const cleanup = new RangeError("cleanup failed");
    const t = timeout(1);
    const err = await rejection(t.run(async () => {
      try {
        await sleep(10);
      } finally {
        // deno-lint-ignore no-unsafe-finally
        throw cleanup;
      }
    }));
    assert.equal(err, cleanup);
    assert.equal(t.expired(), true);
  });
});

Deno.test("Timeout.run() body sees CancelledError at its await when the deadline passes", async () => {
  await inLoop(async () => {
    let seen: unknown;
    const err = await rejection(timeout(1, async () => {
      try {
        await sleep(10);
      } catch (e) {
        seen = e;
        throw e;
      }
    }));
    assert.ok(seen instanceof CancelledError);
    assert.ok(err instanceof TimeoutError);
  });
});

Deno.test("Timeout.run() body that swallows the deadline's cancellation returns normally", async () => {
  await inLoop(async () => {
    const t = timeout(1);
    const result = await t.run(async () => {
      try {
        await sleep(10);
      } catch {
        // swallowed
      }
      return "swallowed";
    });
    assert.equal(result, "swallowed");
    assert.equal(t.expired(), true);
    assert.equal(currentTask()!.cancelling(), 0);
  });
});

Deno.test("Timeout.run() keeps a cancellation from outside a CancelledError when not expired", async () => {
  await inLoop(async () => {
    const t = timeout(10);
    const err = await rejection(t.run(async () => {
      currentTask()!.cancel("outside");
      await sleep(10);
    }));
    assert.ok(err instanceof CancelledError);
    assert.equal((err as Error).message, "outside");
    assert.equal(t.expired(), false);
    currentTask()!.uncancel();
  });
});

Deno.test("Timeout.run() keeps a cancellation from outside a CancelledError even when it also expired", async () => {
  await inLoop(async ({ loop }) => {
    const t = timeout(2);
    const task = createTask(() => t.run(() => sleep(10)));
    // The outside cancel and the deadline land in the same iteration.
    loop.callLater(2, () => task.cancel("outside"));
    const err = await rejection(task);
    assert.ok(err instanceof CancelledError);
    assert.equal(task.cancelled(), true);
    assert.equal(t.expired(), true);
  });
});

Deno.test("Timeout.run() cancelled from outside the task stays CancelledError", async () => {
  await inLoop(async () => {
    const task = createTask(() => timeout(10, () => sleep(100)));
    await sleep(1);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.equal(task.cancelled(), true);
  });
});

Deno.test("timeout() nested with one deadline: only the outer block throws TimeoutError", async () => {
  await inLoop(async () => {
    const deadline = now() + 1;
    const outer = timeoutAt(deadline);
    const inner = timeoutAt(deadline);
    let innerSaw: unknown;
    const err = await rejection(outer.run(async () => {
      try {
        await inner.run(() => sleep(10));
      } catch (e) {
        innerSaw = e;
        throw e;
      }
    }));
    assert.ok(err instanceof TimeoutError);
    assert.ok(innerSaw instanceof CancelledError);
    assert.equal(outer.expired(), true);
    assert.equal(inner.expired(), true);
  });
});

Deno.test("timeout() nested: an inner deadline that passes first is handled inside", async () => {
  await inLoop(async () => {
    const outer = timeout(10);
    const result = await outer.run(async () => {
      assert.ok(await rejection(timeout(1, () => sleep(100))) instanceof TimeoutError);
      await sleep(1);
      return "outer went on";
    });
    assert.equal(result, "outer went on");
    assert.equal(outer.expired(), false);
    assert.equal(now(), 2);
  });
});

Deno.test("timeout() nested: an outer deadline that passes first goes through the inner block", async () => {
  await inLoop(async () => {
    const inner = timeout(10);
    let innerSaw: unknown;
    const err = await rejection(timeout(1, async () => {
      try {
        await inner.run(() => sleep(100));
      } catch (e) {
        innerSaw = e;
        throw e;
      }
    }));
    assert.ok(err instanceof TimeoutError);
    assert.ok(innerSaw instanceof CancelledError);
    assert.equal(inner.expired(), false);
  });
});

Deno.test("timeout() nested: the outer deadline interrupts work after an inner timeout", async () => {
  await inLoop(async () => {
    const err = await rejection(timeout(5, async () => {
      assert.ok(await rejection(timeout(1, () => sleep(100))) instanceof TimeoutError);
      await sleep(100);
    }));
    assert.ok(err instanceof TimeoutError);
    assert.equal(now(), 5);
  });
});

Deno.test("timeout() in a finally block after a timeout works on its own", async () => {
  await inLoop(async () => {
    const err = await rejection(timeout(1, async () => {
      try {
        await sleep(10);
      } finally {
        assert.ok(await rejection(timeout(1, () => sleep(10))) instanceof TimeoutError);
      }
    }));
    assert.ok(err instanceof TimeoutError);
    assert.equal(now(), 2);
  });
});

Deno.test("timeout() after a swallowed cancellation still expires with TimeoutError", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      try {
        currentTask()!.cancel();
        await sleep(1);
      } catch {
        // swallowed: cancelling() stays 1
      }
      return await rejection(timeout(0, () => sleep(1)));
    });
    assert.ok(await task instanceof TimeoutError);
  });
});

Deno.test("timeout() after a swallowed cancellation keeps a new cancel a CancelledError", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      try {
        currentTask()!.cancel();
        await sleep(1);
      } catch {
        // swallowed
      }
      return await rejection(timeout(1, async () => {
        currentTask()!.cancel();
        await sleep(2);
      }));
    });
    assert.ok(await task instanceof CancelledError);
  });
});

Deno.test("Timeout.reschedule() moves the deadline of a running block", async () => {
  await inLoop(async () => {
    const t = timeout(1);
    await t.run(async () => {
      t.reschedule(now() + 5);
      assert.equal(t.when(), 5);
      await sleep(3);
    });
    assert.equal(t.expired(), false);
    assert.equal(now(), 3);
  });
});

Deno.test("Timeout.reschedule() from another task, then to null, disables the deadline", async () => {
  await inLoop(async () => {
    const entered = pending<Timeout>();
    const t = timeoutAt(now() + 10);
    const task = createTask(() =>
      t.run(async (self) => {
        entered.setResult(self);
        await sleep(50);
      })
    );
    const cm = await entered;
    assert.equal(cm.when(), 10);
    cm.reschedule(30);
    assert.equal(cm.when(), 30);
    cm.reschedule(null);
    assert.equal(cm.when(), null);
    await sleep(20);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.equal(cm.expired(), false);
  });
});

Deno.test("Timeout.reschedule() to a time already passed expires the block at the next iteration", async () => {
  await inLoop(async () => {
    const t = timeout(100);
    const err = await rejection(t.run(async () => {
      await sleep(1);
      t.reschedule(now() - 1);
      await sleep(50);
    }));
    assert.ok(err instanceof TimeoutError);
    assert.equal(now(), 1);
  });
});

Deno.test("Timeout.reschedule() throws RuntimeError before the block and after it", async () => {
  await inLoop(async () => {
    const t = timeout(1);
    assert.throws(() => t.reschedule(5), /has not been entered/);
    await t.run(async () => {});
    assert.throws(() => t.reschedule(5), RuntimeError);
    const expired = timeout(0);
    await rejection(expired.run(() => sleep(1)));
    assert.throws(() => expired.reschedule(5), RuntimeError);
  });
});

Deno.test("Timeout.run() twice throws RuntimeError, inside the block and after it", async () => {
  await inLoop(async () => {
    const t = timeout(10);
    await t.run(async () => {
      const err = await rejection(t.run(async () => {}));
      assert.ok(err instanceof RuntimeError);
      assert.match((err as Error).message, /has already been entered/);
    });
    const again = await rejection(t.run(async () => {}));
    assert.ok(again instanceof RuntimeError);
    assert.match((again as Error).message, /has already been entered/);
  });
});

Deno.test("Timeout.run() outside a task rejects with RuntimeError", async () => {
  await inLoop(async ({ loop }) => {
    const outcome = pending<unknown>();
    const t = timeout(1);
    loop.callSoon(() => {
      t.run(async () => {}).then(
        () => outcome.setResult("fulfilled"),
        (err) => outcome.setResult(err),
      );
    });
    const err = await outcome;
    assert.ok(err instanceof RuntimeError);
    assert.match((err as Error).message, /task/);
    assert.throws(() => t.reschedule(2), /has not been entered/);
  });
});

Deno.test("Timeout.toString() names the state and the deadline", async () => {
  await inLoop(async () => {
    const t = timeout(10);
    assert.match(String(t), /^<Timeout \[created\] when=10>$/);
    await t.run(async () => {
      assert.match(String(t), /^<Timeout \[entered\] when=10>$/);
    });
    const e = timeout(1);
    await rejection(e.run(() => sleep(5)));
    assert.match(String(e), /expired/);
  });
});

Deno.test("new Timeout() takes an absolute loop time", async () => {
  await inLoop(async () => {
    const t = new Timeout(getRunningLoop().time() + 2);
    assert.ok(await rejection(t.run(() => sleep(5))) instanceof TimeoutError);
    assert.equal(now(), 2);
  });
});
