// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * Cancellation delivery (issue 3, item 2): where `CancelledError` lands, what
 * runs on the way out, and how requests are counted. Modelled on the
 * cancellation cases of CPython's test_tasks.py.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  type Future,
  gather,
  sleep,
  type Task,
  wrapFuture,
} from "../../mod.ts";
import { inLoop, now, pending, rejection } from "./_task_helpers.ts";

Deno.test("Task.cancel() throws CancelledError at the await the task is suspended on", async () => {
  await inLoop(async () => {
    const fut = pending<number>();
    const log: string[] = [];
    const task = createTask(async () => {
      log.push("before");
      try {
        await fut;
        log.push("after (never)");
      } catch (err) {
        log.push(err instanceof CancelledError ? "CancelledError" : `other: ${err}`);
        throw err;
      }
    });
    await sleep(0);
    assert.equal(task.cancel(), true);
    const err = await rejection(task);
    assert.ok(err instanceof CancelledError);
    assert.deepEqual(log, ["before", "CancelledError"]);
    assert.equal(task.cancelled(), true);
    // The awaited future is cancelled with the task.
    assert.equal(fut.cancelled(), true);
  });
});

Deno.test("Task.cancel() message travels in the CancelledError, inside and outside the task", async () => {
  await inLoop(async () => {
    let inside: unknown;
    const task = createTask(async () => {
      try {
        await sleep(100);
      } catch (err) {
        inside = err;
        throw err;
      }
    });
    await sleep(0);
    task.cancel("shutting down");
    const outside = await rejection(task);
    assert.ok(inside instanceof CancelledError);
    assert.equal((inside as Error).message, "shutting down");
    assert.ok(outside instanceof CancelledError);
    assert.equal((outside as Error).message, "shutting down");
  });
});

Deno.test("Task.cancel() interrupts an await of several futures in Promise.all", async () => {
  await inLoop(async () => {
    const f1 = pending<number>();
    const f2 = pending<number>();
    let finallyRuns = 0;
    const task = createTask(async () => {
      try {
        return await Promise.all([f1, f2]);
      } finally {
        finallyRuns++;
      }
    });
    await sleep(0);
    task.cancel("all");
    const err = await rejection(task);
    assert.ok(err instanceof CancelledError);
    assert.equal((err as Error).message, "all");
    assert.equal(finallyRuns, 1);
    assert.equal(f1.cancelled(), true);
    assert.equal(f2.cancelled(), true);
    assert.equal(task.cancelled(), true);
  });
});

Deno.test("Task.cancel() interrupts Promise.all after one of its futures already completed", async () => {
  await inLoop(async () => {
    const f1 = pending<number>();
    const f2 = pending<number>();
    const task = createTask(() => Promise.all([f1, f2]));
    await sleep(0);
    f1.setResult(1);
    await sleep(0);
    await sleep(0);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    // Once a future of the Promise.all resumed the task, the task cannot tell
    // a Promise.all still waiting on f2 from a Promise.race that left f2
    // behind (which may be another task's future): the cancellation reaches
    // the task and leaves f2 alone. gather() cancels its children.
    assert.equal(f2.cancelled(), false);
    assert.equal(task.cancelled(), true);
  });
});

Deno.test("Task.cancel() interrupts an await of Promise.race over loop futures", async () => {
  await inLoop(async () => {
    const f1 = pending<number>();
    const f2 = pending<number>();
    const task = createTask(() => Promise.race([f1, f2]));
    await sleep(0);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.equal(task.cancelled(), true);
    assert.equal(f1.cancelled(), true);
    assert.equal(f2.cancelled(), true);
  });
});

Deno.test("Task.cancel() reaches an await inside nested async functions, running each finally inside out", async () => {
  await inLoop(async () => {
    const order: string[] = [];
    const fut = pending<void>();
    async function level3(): Promise<void> {
      try {
        await fut;
      } finally {
        order.push("level3");
      }
    }
    async function level2(): Promise<void> {
      try {
        await level3();
      } finally {
        order.push("level2");
      }
    }
    async function level1(): Promise<void> {
      try {
        await level2();
      } finally {
        order.push("level1");
      }
    }
    const task = createTask(level1);
    await sleep(0);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.deepEqual(order, ["level3", "level2", "level1"]);
    assert.equal(task.cancelled(), true);
  });
});

Deno.test("Task.cancel() lets finally blocks await before the task ends cancelled", async () => {
  await inLoop(async () => {
    const log: string[] = [];
    const task = createTask(async () => {
      try {
        await sleep(100);
      } finally {
        // The cancellation was delivered once: cleanup can still await.
        await sleep(1);
        log.push(`cleanup at ${now()}`);
      }
    });
    await sleep(0);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.deepEqual(log, ["cleanup at 1"]);
    assert.equal(task.cancelled(), true);
  });
});

Deno.test("Task that catches CancelledError and returns finishes normally", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      try {
        await sleep(100);
        return "slept";
      } catch (err) {
        if (err instanceof CancelledError) return "caught";
        throw err;
      }
    });
    await sleep(0);
    task.cancel();
    assert.equal(await task, "caught");
    assert.equal(task.cancelled(), false);
    assert.equal(task.result(), "caught");
    // The request stays counted until someone uncancels it (asyncio 3.11+).
    assert.equal(task.cancelling(), 1);
  });
});

Deno.test("Task that catches CancelledError can go on awaiting and finish later", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      try {
        await sleep(100);
      } catch {
        // keep going
      }
      await sleep(5);
      return now();
    });
    await sleep(1);
    task.cancel();
    assert.equal(await task, 6);
    assert.equal(task.cancelled(), false);
  });
});

Deno.test("Task.cancel() before the first step means the body never runs", async () => {
  await inLoop(async () => {
    let ran = false;
    const task = createTask(async () => {
      ran = true;
    });
    assert.equal(task.cancel("too early"), true);
    const err = await rejection(task);
    assert.ok(err instanceof CancelledError);
    assert.equal((err as Error).message, "too early");
    assert.equal(ran, false);
    assert.equal(task.cancelled(), true);
    await sleep(0);
    assert.equal(ran, false);
  });
});

Deno.test("Task.cancel() called repeatedly is counted by cancelling() and delivered once", async () => {
  await inLoop(async () => {
    let deliveries = 0;
    const task = createTask(async () => {
      try {
        await sleep(100);
      } catch (err) {
        if (err instanceof CancelledError) deliveries++;
      }
      // No second CancelledError waits at the next await.
      await sleep(1);
      await sleep(1);
      return "done";
    });
    await sleep(0);
    assert.equal(task.cancel(), true);
    assert.equal(task.cancel(), true);
    assert.equal(task.cancel(), true);
    assert.equal(task.cancelling(), 3);
    assert.equal(await task, "done");
    assert.equal(deliveries, 1);
  });
});

Deno.test({
  name: "Task.cancel() called twice delivers the first message, as asyncio does",
  fn: async () => {
    await inLoop(async () => {
      const task = createTask(() => sleep(100));
      await sleep(0);
      task.cancel("first");
      task.cancel("second");
      const err = await rejection(task);
      assert.ok(err instanceof CancelledError);
      assert.equal((err as Error).message, "first");
    });
  },
});

Deno.test("Task.cancel() of a task awaiting a native promise lands at its next await of a loop future", async () => {
  await inLoop(async () => {
    const log: string[] = [];
    let release!: () => void;
    const native = new Promise<void>((resolve) => release = resolve);
    const task = createTask(async () => {
      await native;
      log.push("native settled");
      await Promise.resolve();
      log.push("still running");
      try {
        await sleep(0);
        log.push("never");
      } catch (err) {
        log.push(`${(err as Error).name}: ${(err as Error).message}`);
        throw err;
      }
    });
    await sleep(0);
    assert.equal(task.cancel("later"), true);
    release();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.deepEqual(log, ["native settled", "still running", "CancelledError: later"]);
    assert.equal(task.cancelled(), true);
  });
});

Deno.test("Task.cancel() of a task that returns without awaiting a loop future cancels the task", async () => {
  await inLoop(async () => {
    let release!: () => void;
    const native = new Promise<void>((resolve) => release = resolve);
    let returned = false;
    const task = createTask(async () => {
      await native;
      returned = true;
      return "value";
    });
    await sleep(0);
    task.cancel();
    release();
    assert.ok(await rejection(task) instanceof CancelledError);
    // As asyncio: the body ran to its end, but the task ends cancelled.
    assert.equal(returned, true);
    assert.equal(task.cancelled(), true);
  });
});

Deno.test("Task.cancel() of the running task itself lands at its next await", async () => {
  await inLoop(async () => {
    const log: string[] = [];
    const task = createTask(async () => {
      currentTask()!.cancel("self");
      log.push("still running");
      try {
        await sleep(1);
      } catch (err) {
        log.push((err as Error).message);
        throw err;
      }
    });
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.deepEqual(log, ["still running", "self"]);
  });
});

Deno.test("Task.cancel() after the awaited future completed but before the task resumed gives one CancelledError", async () => {
  await inLoop(async () => {
    const fut = pending<string>();
    let cancelledErrors = 0;
    let resultSeen: string | undefined;
    const task = createTask(async () => {
      try {
        resultSeen = await fut;
      } catch (err) {
        if (err instanceof CancelledError) cancelledErrors++;
      }
      await sleep(1);
      return "after";
    });
    await sleep(0);
    fut.setResult("result");
    // The future is done, its reaction is scheduled, the task has not resumed.
    assert.equal(task.cancel(), true);
    assert.equal(await task, "after");
    assert.equal(cancelledErrors, 1);
    assert.equal(resultSeen, undefined);
    assert.equal(fut.cancelled(), false);
  });
});

Deno.test("Task.cancel() of a task awaiting another task cancels the inner task too", async () => {
  await inLoop(async () => {
    const log: string[] = [];
    const inner = createTask(async () => {
      try {
        await sleep(100);
      } catch (err) {
        log.push("inner cancelled");
        throw err;
      }
    });
    const outer = createTask(async () => {
      try {
        await inner;
      } catch (err) {
        log.push("outer cancelled");
        throw err;
      }
    });
    await sleep(0);
    outer.cancel("from outside");
    const err = await rejection(outer);
    assert.ok(err instanceof CancelledError);
    assert.equal(inner.cancelled(), true);
    assert.equal(outer.cancelled(), true);
    assert.deepEqual(log, ["inner cancelled", "outer cancelled"]);
    assert.equal(inner.cancelling(), 1);
  });
});

Deno.test("Task.cancel() of an inner task throws CancelledError into the task awaiting it", async () => {
  await inLoop(async () => {
    const inner = createTask(() => sleep(100));
    const outer = createTask(async () => {
      try {
        await inner;
        return "not reached";
      } catch (err) {
        return err instanceof CancelledError ? "saw inner cancel" : "other";
      }
    });
    await sleep(0);
    inner.cancel();
    assert.equal(await outer, "saw inner cancel");
    assert.equal(outer.cancelling(), 0);
    assert.equal(inner.cancelled(), true);
  });
});

Deno.test("Task.cancel() of a task blocked in gather cancels every child", async () => {
  await inLoop(async () => {
    const children: Task<void>[] = [];
    const outer = createTask(async () => {
      children.push(createTask(() => sleep(10)), createTask(() => sleep(20)));
      await gather(...children);
    });
    await sleep(1);
    outer.cancel();
    assert.ok(await rejection(outer) instanceof CancelledError);
    assert.ok(children.every((c) => c.cancelled()));
  });
});

Deno.test("Task that throws CancelledError itself ends cancelled", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      await sleep(1);
      throw new CancelledError("by hand");
    });
    const err = await rejection(task);
    assert.ok(err instanceof CancelledError);
    assert.equal(task.cancelled(), true);
    assert.throws(() => task.result(), (e) => (e as Error).message === "by hand");
  });
});

Deno.test("Task.cancel() during sleep(0) is delivered at that yield", async () => {
  await inLoop(async () => {
    let spins = 0;
    const task = createTask(async () => {
      for (;;) {
        spins++;
        await sleep(0);
      }
    });
    await sleep(0);
    await sleep(0);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.ok(spins >= 1);
  });
});

Deno.test("Task.cancel() of a task awaiting a wrapped native promise is immediate", async () => {
  await inLoop(async () => {
    const never = new Promise<never>(() => {});
    const task = createTask(() => wrapFuture(never));
    await sleep(0);
    const t0 = now();
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.equal(now(), t0);
  });
});

Deno.test("Task.cancel() reaches a task awaiting a future that other tasks also await", async () => {
  await inLoop(async () => {
    // Cancelling one awaiter cancels the future itself, as in asyncio.
    const shared: Future<number> = pending<number>();
    const a = createTask(() => shared);
    const b = createTask(async () => {
      try {
        return await shared;
      } catch (err) {
        return err instanceof CancelledError ? -1 : -2;
      }
    });
    await sleep(0);
    a.cancel();
    assert.ok(await rejection(a) instanceof CancelledError);
    assert.equal(await b, -1);
    assert.equal(shared.cancelled(), true);
  });
});

Deno.test("Task.cancel() requested while the task runs cancels the future it then awaits, as asyncio's step does", async () => {
  await inLoop(async () => {
    const fut = pending<void>();
    const task = createTask(async () => {
      currentTask()!.cancel("while running");
      try {
        await fut;
      } catch (err) {
        return [fut.cancelled(), (err as Error).message];
      }
      return "not cancelled";
    });
    assert.deepEqual(await task, [true, "while running"]);
  });
});
