// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * `asCompleted`: both forms of Python 3.13's `as_completed` (an iterator of
 * next-result promises, and an async iterator of the inputs), with and
 * without a timeout. Modelled on CPython's test_tasks.py as_completed cases.
 */
import assert from "node:assert/strict";
import {
  asCompleted,
  CancelledError,
  createTask,
  Future,
  sleep,
  type Task,
  TimeoutError,
} from "../../mod.ts";
import { inLoop, now, rejection, resolved } from "./_task_helpers.ts";

function delayed<T>(delay: number, value: T): Task<T> {
  return createTask(() => sleep(delay, value));
}

Deno.test("asCompleted() yields next-result promises in completion order", async () => {
  await inLoop(async () => {
    const seen: [string, number][] = [];
    for (const next of asCompleted([delayed(3, "c"), delayed(1, "a"), delayed(2, "b")])) {
      seen.push([await next, now()]);
    }
    assert.deepEqual(seen, [["a", 1], ["b", 2], ["c", 3]]);
  });
});

Deno.test("asCompleted() runs functions as tasks and wraps promises", async () => {
  await inLoop(async ({ loop }) => {
    const promise = new Promise<string>((resolve) => loop.callLater(2, () => resolve("promise")));
    const results: string[] = [];
    for (const next of asCompleted<() => PromiseLike<string>>([() => sleep(1, "function")])) {
      results.push(await next);
    }
    for (const next of asCompleted([promise])) results.push(await next);
    assert.deepEqual(results, ["function", "promise"]);
  });
});

Deno.test("asCompleted() throws each failure at its own step", async () => {
  await inLoop(async () => {
    const boom = new Error("boom");
    const failing = createTask(async () => {
      await sleep(1);
      throw boom;
    });
    const steps: unknown[] = [];
    for (const next of asCompleted([delayed(2, "ok"), failing])) {
      try {
        steps.push(await next);
      } catch (err) {
        steps.push(err);
      }
    }
    assert.deepEqual(steps, [boom, "ok"]);
  });
});

Deno.test("asCompleted() makes one step per distinct input", async () => {
  await inLoop(async () => {
    const a = delayed(1, "a");
    const steps = [...asCompleted([a, a, delayed(2, "b")])];
    assert.equal(steps.length, 2);
    assert.deepEqual([await steps[0], await steps[1]], ["a", "b"]);
  });
});

Deno.test("asCompleted() of nothing yields nothing", async () => {
  await inLoop(async () => {
    assert.equal([...asCompleted([])].length, 0);
    let count = 0;
    for await (const _ of asCompleted([])) count++;
    assert.equal(count, 0);
  });
});

Deno.test("asCompleted() with a timeout throws TimeoutError from the steps still pending", async () => {
  await inLoop(async () => {
    const fast = delayed(1, "fast");
    const slow = delayed(10, "slow");
    const slower = delayed(20, "slower");
    const outcomes: unknown[] = [];
    for (const next of asCompleted([slow, fast, slower], { timeout: 5 })) {
      try {
        outcomes.push(await next);
      } catch (err) {
        outcomes.push(err instanceof TimeoutError ? `timeout@${now()}` : err);
      }
    }
    assert.deepEqual(outcomes, ["fast", "timeout@5", "timeout@5"]);
    // As asyncio: the inputs are not cancelled.
    assert.equal(slow.cancelled(), false);
    assert.equal(await slow, "slow");
    assert.equal(await slower, "slower");
  });
});

Deno.test("asCompleted() with a timeout leaves no timer once every input is done", async () => {
  await inLoop(async () => {
    for (const next of asCompleted([delayed(1, "a")], { timeout: 1000 })) await next;
    await sleep(0);
    assert.equal(now(), 1);
  });
});

Deno.test("asCompleted() async form yields the inputs themselves, done, in completion order", async () => {
  await inLoop(async ({ loop }) => {
    const slow = delayed(2, "slow");
    const fut = new Future<string>({ loop });
    loop.callLater(1, () => fut.setResult("future"));
    const order: unknown[] = [];
    for await (const done of asCompleted([slow, fut])) {
      assert.ok(done.done());
      order.push(done);
    }
    assert.deepEqual(order, [fut, slow]);
  });
});

Deno.test("asCompleted() async form yields the task running a function and the promise given", async () => {
  await inLoop(async ({ loop }) => {
    const promise = new Promise<string>((resolve) => loop.callLater(2, () => resolve("p")));
    const yielded: unknown[] = [];
    for await (const done of asCompleted<Promise<string>>([promise])) yielded.push(done);
    assert.deepEqual(yielded, [promise]);
    const tasks: unknown[] = [];
    for await (const done of asCompleted([() => sleep(1, "f")])) tasks.push(done);
    assert.equal(tasks.length, 1);
    assert.ok(tasks[0] instanceof Future);
    assert.equal(tasks[0].result(), "f");
  });
});

Deno.test("asCompleted() async form with a timeout throws TimeoutError", async () => {
  await inLoop(async () => {
    const fast = delayed(1, "fast");
    const slow = delayed(10, "slow");
    const seen: unknown[] = [];
    const err = await rejection((async () => {
      for await (const done of asCompleted([fast, slow], { timeout: 3 })) seen.push(done);
    })());
    assert.ok(err instanceof TimeoutError);
    assert.deepEqual(seen, [fast]);
    assert.equal(now(), 3);
    slow.cancel();
  });
});

Deno.test("asCompleted() hands a result that came while a step was cancelled to the next step", async () => {
  await inLoop(async () => {
    const steps = asCompleted([delayed(1, "a"), delayed(2, "b")]);
    // The consumer takes its step itself, as a `for` loop over the steps does.
    const consumer = createTask(() => steps.next().value!);
    await sleep(0.5);
    consumer.cancel();
    assert.ok(await rejection(consumer) instanceof CancelledError);
    // The cancelled step took nothing: "a" goes to the next step.
    const second = steps.next();
    assert.equal(await second.value, "a");
    assert.equal(now(), 1);
    assert.equal(steps.next().done, true);
  });
});

Deno.test({
  name:
    "asCompleted() step taken in one task and awaited in another loses nothing when the awaiter is cancelled",
  fn: async () => {
    await inLoop(async () => {
      const steps = asCompleted([delayed(1, "a"), delayed(2, "b")]);
      const first = steps.next();
      const consumer = createTask(() => first.value!);
      await sleep(0.5);
      consumer.cancel();
      assert.ok(await rejection(consumer) instanceof CancelledError);
      assert.equal(await steps.next().value, "a");
    });
  },
});

Deno.test("asCompleted() of already-done futures yields them without waiting", async () => {
  await inLoop(async () => {
    const results: number[] = [];
    for (const next of asCompleted([resolved(1), resolved(2)])) results.push(await next);
    assert.deepEqual(results.sort(), [1, 2]);
    assert.equal(now(), 0);
  });
});

Deno.test("asCompleted() rejects a NaN timeout with RangeError", async () => {
  await inLoop(async () => {
    assert.throws(() => asCompleted([resolved(1)], { timeout: NaN }), RangeError);
  });
});
