// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * `gather`: typed results in argument order, failure and `returnExceptions`,
 * and cancellation in both directions. Modelled on CPython's
 * test_tasks.py gather cases (GatherTests).
 */
import assert from "node:assert/strict";
import { CancelledError, createTask, Future, gather, sleep, type Task } from "../../mod.ts";
import {
  collectGarbage,
  hostTurn,
  inLoop,
  now,
  pending,
  rejection,
  resolved,
  take,
} from "./_task_helpers.ts";

Deno.test("gather() resolves to results in argument order, not completion order", async () => {
  await inLoop(async () => {
    const results = await gather(
      async () => {
        await sleep(3);
        return "slow";
      },
      async () => {
        await sleep(1);
        return 2;
      },
      async () => true,
    );
    assert.deepEqual(results, ["slow", 2, true]);
    assert.equal(now(), 3);
  });
});

Deno.test("gather() keeps each result's type in the tuple", async () => {
  await inLoop(async () => {
    const task: Task<Date> = createTask(async () => new Date(0));
    const fut: Future<bigint> = resolved(5n);
    const [n, s, d, b, p] = await gather(
      async () => 1,
      async () => "two",
      task,
      fut,
      Promise.resolve([1, 2]),
    );
    // These lines compile only if every slot keeps its own type.
    const typed: [number, string, Date, bigint, number[]] = [n, s, d, b, p];
    assert.deepEqual(typed, [1, "two", new Date(0), 5n, [1, 2]]);
  });
});

Deno.test("gather() with returnExceptions types each slot as the result or an Error", async () => {
  await inLoop(async () => {
    const [n, s] = await gather(async () => 1, async () => "two", { returnExceptions: true });
    // These lines compile only if every slot is typed `T | Error`.
    const typed: [number | Error, string | Error] = [n, s];
    assert.deepEqual(typed, [1, "two"]);
  });
});

Deno.test("gather() accepts functions, tasks, futures and promises together", async () => {
  await inLoop(async ({ loop }) => {
    const fut = pending<string>();
    loop.callLater(2, () => fut.setResult("future"));
    const task = createTask(async () => {
      await sleep(1);
      return "task";
    });
    const promise = new Promise<string>((resolve) => loop.callLater(1.5, () => resolve("promise")));
    const results = await gather(async () => "function", task, fut, promise);
    assert.deepEqual(results, ["function", "task", "future", "promise"]);
  });
});

Deno.test("gather() with no arguments resolves to an empty array", async () => {
  await inLoop(async () => {
    assert.deepEqual(await gather(), []);
  });
});

Deno.test("gather() given one future twice fills both slots", async () => {
  await inLoop(async ({ loop }) => {
    const fut = pending<number>();
    loop.callLater(1, () => fut.setResult(9));
    assert.deepEqual(await gather(fut, fut), [9, 9]);
  });
});

Deno.test("gather() runs a function passed twice twice", async () => {
  await inLoop(async () => {
    let runs = 0;
    const fn = async () => ++runs;
    const results = await gather(fn, fn);
    assert.equal(runs, 2);
    assert.deepEqual(results.sort(), [1, 2]);
  });
});

Deno.test("gather() fails with the first error and leaves the other children running", async () => {
  await inLoop(async () => {
    const boom = new Error("boom");
    let slowFinished = false;
    const slow = createTask(async () => {
      await sleep(5);
      slowFinished = true;
      return "slow";
    });
    const outer = gather(slow, async () => {
      await sleep(1);
      throw boom;
    });
    assert.equal(await rejection(outer), boom);
    assert.equal(now(), 1);
    assert.equal(slow.done(), false);
    assert.equal(await slow, "slow");
    assert.equal(slowFinished, true);
  });
});

Deno.test("gather() marks a later child failure retrieved once the gather failed", async () => {
  await inLoop(async ({ loop, reports }) => {
    const first = new Error("first");
    // Plain futures, failed from callbacks: nothing but the gather refers to
    // them once it is dropped, so a collection would report an exception
    // that nobody retrieved. The control is such a future nobody gathers.
    const outer = (() => {
      const control = new Future<void>({ loop });
      control.setException(new Error("control"));
      const early = new Future<void>({ loop });
      const late = new Future<void>({ loop });
      const second = new Error("second");
      loop.callLater(1, () => early.setException(first));
      loop.callLater(2, () => late.setException(second));
      return gather(early, late);
    })();
    assert.equal(await rejection(outer), first);
    await sleep(5);
    for (let i = 0; i < 10 && reports.length === 0; i++) {
      collectGarbage();
      await hostTurn();
    }
    for (let i = 0; i < 3; i++) {
      collectGarbage();
      await hostTurn();
    }
    const got = take(reports).map((r) => String(r.exception));
    assert.deepEqual(got, ["Error: control"]);
  });
});

Deno.test("gather() with returnExceptions puts errors and CancelledErrors in their slots", async () => {
  await inLoop(async () => {
    const boom = new RangeError("boom");
    const cancelled = createTask(() => sleep(10));
    const outer = gather(
      async () => 1,
      async () => {
        await sleep(1);
        throw boom;
      },
      cancelled,
      async () => {
        await sleep(2);
        return "late";
      },
      { returnExceptions: true },
    );
    await sleep(0);
    cancelled.cancel("child");
    const results = await outer;
    assert.equal(results[0], 1);
    assert.equal(results[1], boom);
    assert.ok(results[2] instanceof CancelledError);
    assert.equal((results[2] as Error).message, "child");
    assert.equal(results[3], "late");
    assert.equal(now(), 2);
  });
});

Deno.test("gather() with returnExceptions false behaves as without options", async () => {
  await inLoop(async () => {
    const boom = new Error("boom");
    const outer = gather(async () => {
      throw boom;
    }, { returnExceptions: false });
    assert.equal(await rejection(outer), boom);
  });
});

Deno.test("gather() fails with CancelledError when a child is cancelled, without being cancelled itself", async () => {
  await inLoop(async () => {
    const child = createTask(() => sleep(10));
    const other = createTask(() => sleep(1, "other"));
    const outer = gather(child, other);
    await sleep(0);
    child.cancel("child gone");
    const err = await rejection(outer);
    assert.ok(err instanceof CancelledError);
    assert.equal((err as Error).message, "child gone");
    // As asyncio: the gather holds the CancelledError as its exception.
    assert.equal(outer.cancelled(), false);
    assert.equal(await other, "other");
  });
});

Deno.test("gather() cancelled cancels every child that is not done", async () => {
  await inLoop(async () => {
    const done = createTask(async () => "early");
    const a = createTask(() => sleep(10));
    const b = createTask(() => sleep(20));
    const outer = gather(done, a, b);
    await sleep(1);
    assert.equal(outer.cancel("stop"), true);
    const err = await rejection(outer);
    assert.ok(err instanceof CancelledError);
    assert.equal(a.cancelled(), true);
    assert.equal(b.cancelled(), true);
    assert.equal(done.result(), "early");
    assert.equal(now(), 1);
  });
});

Deno.test("gather() cancelled finishes only once its children are done", async () => {
  await inLoop(async () => {
    const stubborn = createTask(async () => {
      try {
        await sleep(10);
      } catch {
        await sleep(3);
      }
      return "cleaned up";
    });
    const outer = gather(stubborn);
    await sleep(1);
    outer.cancel();
    await sleep(1);
    assert.equal(outer.done(), false);
    const err = await rejection(outer);
    // A child that swallowed the cancellation still ends the gather with CancelledError.
    assert.ok(err instanceof CancelledError);
    assert.equal(now(), 4);
    assert.equal(stubborn.result(), "cleaned up");
  });
});

Deno.test("gather() cancelled with returnExceptions still fails with CancelledError", async () => {
  await inLoop(async () => {
    const outer = gather(() => sleep(10), () => sleep(20), { returnExceptions: true });
    await sleep(1);
    outer.cancel();
    assert.ok(await rejection(outer) instanceof CancelledError);
  });
});

Deno.test("gather() returns false from cancel() once every child is done", async () => {
  await inLoop(async () => {
    const outer = gather(async () => 1);
    assert.deepEqual(await outer, [1]);
    assert.equal(outer.cancel(), false);
  });
});

Deno.test("gather() awaited by a cancelled task cancels its children", async () => {
  await inLoop(async () => {
    const children: Task<unknown>[] = [];
    const parent = createTask(async () => {
      const a = createTask(() => sleep(10));
      const b = createTask(() => sleep(10));
      children.push(a, b);
      return await gather(a, b);
    });
    await sleep(1);
    parent.cancel();
    assert.ok(await rejection(parent) instanceof CancelledError);
    assert.ok(children.every((c) => c.cancelled()));
    assert.equal(parent.cancelled(), true);
  });
});

Deno.test("gather() of already-done futures resolves without waiting for time", async () => {
  await inLoop(async () => {
    const results = await gather(resolved("a"), resolved("b"));
    assert.deepEqual(results, ["a", "b"]);
    assert.equal(now(), 0);
  });
});
