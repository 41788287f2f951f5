// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * Bad input (issue 3, item 8): clear TypeErrors for non-functions, asyncio's
 * rules for negative and infinite timeouts, RangeError for NaN, and a task
 * awaiting itself fails instead of hanging.
 */
import assert from "node:assert/strict";
import {
  asCompleted,
  createTask,
  currentTask,
  ensureFuture,
  type Future,
  gather,
  run,
  RuntimeError,
  shield,
  sleep,
  Task,
  TaskGroup,
  Timeout,
  timeout,
  timeoutAt,
  TimeoutError,
  wait,
  waitFor,
} from "../../mod.ts";
import { inLoop, now, pending, rejection, resolved } from "./_task_helpers.ts";

type AnyFn = () => Promise<unknown>;

// ----------------------------------------------------------------------
// Non-functions where a function is needed.

Deno.test("createTask() given a started promise throws a TypeError that points to ensureFuture", async () => {
  await inLoop(async () => {
    const started = (async () => 1)();
    for (
      const make of [
        () => createTask(started as unknown as AnyFn),
        (loop = currentTask()!.getLoop()) => loop.createTask(started as unknown as AnyFn),
      ]
    ) {
      assert.throws(make, (err) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, /function/);
        assert.match(err.message, /ensureFuture/);
        assert.match(err.message, /promise/);
        return true;
      });
    }
    assert.equal(await started, 1);
  });
});

Deno.test("createTask() given a future throws TypeError", async () => {
  await inLoop(async () => {
    const fut = resolved(1);
    assert.throws(() => createTask(fut as unknown as AnyFn), /ensureFuture/);
  });
});

Deno.test("createTask() given a non-function value throws TypeError naming what it got", async () => {
  await inLoop(async () => {
    for (const value of [42, "fn", null, undefined, {}]) {
      assert.throws(
        () => createTask(value as unknown as AnyFn),
        (err) => err instanceof TypeError && /function/.test(err.message),
      );
    }
  });
});

Deno.test("new Task() given a promise throws the same TypeError", async () => {
  await inLoop(async () => {
    const p = Promise.resolve(1);
    assert.throws(() => new Task(p as unknown as AnyFn), /ensureFuture/);
  });
});

Deno.test("TaskGroup.createTask() given a promise throws TypeError", async () => {
  await inLoop(async () => {
    await new TaskGroup().run((tg) => {
      assert.throws(
        () => tg.createTask(Promise.resolve(1) as unknown as AnyFn),
        (err) => err instanceof TypeError && /ensureFuture/.test(err.message),
      );
    });
  });
});

Deno.test("run() given a promise throws TypeError saying to pass the function", async () => {
  const started = Promise.resolve(1);
  await assert.rejects(
    run(started as unknown as AnyFn),
    (err: Error) => err instanceof TypeError && /function/.test(err.message),
  );
});

Deno.test("ensureFuture(), gather() and shield() reject values that are not awaitable", async () => {
  await inLoop(async () => {
    assert.throws(() => ensureFuture(42 as unknown as Future<number>), TypeError);
    assert.throws(() => ensureFuture(null as unknown as Future<number>), TypeError);
    assert.throws(() => gather(42 as unknown as Future<number>), TypeError);
    assert.throws(() => shield("x" as unknown as Future<string>), TypeError);
  });
});

Deno.test("Timeout.run() and TaskGroup.run() reject a body that is not a function", async () => {
  await inLoop(async () => {
    const body = Promise.resolve(1) as unknown as () => Promise<number>;
    assert.ok(await rejection(timeout(1).run(body)) instanceof TypeError);
    assert.ok(await rejection(new TaskGroup().run(body)) instanceof TypeError);
  });
});

// ----------------------------------------------------------------------
// NaN and non-number timeouts.

Deno.test("sleep() with NaN or a non-number delay throws RangeError", async () => {
  await inLoop(async () => {
    assert.throws(() => sleep(NaN), RangeError);
    assert.throws(() => sleep("1" as unknown as number), RangeError);
    assert.throws(() => sleep(undefined as unknown as number), RangeError);
  });
});

Deno.test("waitFor() with a NaN timeout rejects with RangeError and starts nothing", async () => {
  await inLoop(async () => {
    let started = false;
    const err = await rejection(waitFor(async () => {
      started = true;
    }, NaN));
    assert.ok(err instanceof RangeError);
    assert.ok(
      await rejection(waitFor(resolved(1), "5" as unknown as number)) instanceof RangeError,
    );
    await sleep(0);
    assert.equal(started, false);
  });
});

Deno.test("timeout(), timeoutAt(), new Timeout() and reschedule() with NaN throw RangeError", async () => {
  await inLoop(async () => {
    assert.throws(() => timeout(NaN), RangeError);
    assert.throws(() => timeoutAt(NaN), RangeError);
    assert.throws(() => new Timeout(NaN), RangeError);
    assert.throws(() => timeout("1" as unknown as number), RangeError);
    const t = timeout(10);
    await t.run(async () => {
      assert.throws(() => t.reschedule(NaN), RangeError);
    });
  });
});

Deno.test("wait() and asCompleted() with a NaN timeout throw RangeError", async () => {
  await inLoop(async () => {
    assert.ok(await rejection(wait([resolved(1)], { timeout: NaN })) instanceof RangeError);
    assert.throws(() => asCompleted([resolved(1)], { timeout: NaN }), RangeError);
  });
});

// ----------------------------------------------------------------------
// Negative and infinite timeouts follow asyncio.

Deno.test("waitFor(), wait(), timeout() and asCompleted() treat a negative timeout as already expired", async () => {
  await inLoop(async () => {
    assert.equal(await sleep(-1, "yielded"), "yielded");
    const fut = pending<number>();
    assert.ok(await rejection(waitFor(fut, -1)) instanceof TimeoutError);
    assert.equal(fut.cancelled(), true);
    const slow = createTask(() => sleep(10));
    const [done, notDone] = await wait([slow], { timeout: -1 });
    assert.equal(done.size, 0);
    assert.equal(notDone.size, 1);
    assert.ok(await rejection(timeout(-1, () => sleep(1))) instanceof TimeoutError);
    const outcomes: string[] = [];
    for (const next of asCompleted([slow], { timeout: -1 })) {
      outcomes.push(await next.then(() => "ok", (e) => (e as Error).name));
    }
    assert.deepEqual(outcomes, ["TimeoutError"]);
    slow.cancel();
    await rejection(slow);
    assert.equal(now(), 0);
  });
});

Deno.test("waitFor(), wait() and timeout() treat an infinite timeout as no limit", async () => {
  await inLoop(async () => {
    assert.equal(await waitFor(() => sleep(500, "w"), Infinity), "w");
    assert.equal(timeout(Infinity).when(), null);
    assert.equal(timeoutAt(Infinity).when(), null);
    const [done] = await wait([createTask(() => sleep(500))], { timeout: Infinity });
    assert.equal(done.size, 1);
    assert.equal(now(), 1000);
  });
});

// ----------------------------------------------------------------------
// A task awaiting itself.

Deno.test("Task awaiting itself fails with RuntimeError instead of hanging", async () => {
  await inLoop(async () => {
    const self: { task?: Task<unknown> } = {};
    const task = createTask(async () => {
      await sleep(0);
      return await self.task!;
    });
    self.task = task;
    const err = await rejection(task);
    assert.ok(err instanceof RuntimeError);
    assert.match((err as Error).message, /cannot await itself/);
    assert.equal(now(), 0);
  });
});

Deno.test("Task awaiting itself inside Promise.all fails instead of hanging", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      await sleep(0);
      return await Promise.all([currentTask()!, sleep(1)]);
    });
    assert.ok(await rejection(task) instanceof RuntimeError);
  });
});

Deno.test("Task awaiting itself from its very first step fails instead of hanging", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      await (currentTask() as Task<unknown>);
    });
    const err = await rejection(task);
    assert.ok(err instanceof RuntimeError);
  });
});
