// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * `shield`: the awaiter's cancellation stops at the shield. Modelled on
 * CPython's test_tasks.py shield cases.
 */
import assert from "node:assert/strict";
import { CancelledError, createTask, shield, sleep } from "../../mod.ts";
import { inLoop, now, pending, rejection, resolved } from "./_task_helpers.ts";

Deno.test("shield() passes the inner result through", async () => {
  await inLoop(async () => {
    const inner = createTask(() => sleep(1, "inner"));
    assert.equal(await shield(inner), "inner");
  });
});

Deno.test("shield() keeps the inner task running when the awaiting task is cancelled", async () => {
  await inLoop(async () => {
    let saved = false;
    const inner = createTask(async () => {
      await sleep(5);
      saved = true;
      return "saved";
    });
    const caller = createTask(() => shield(inner));
    await sleep(1);
    caller.cancel();
    assert.ok(await rejection(caller) instanceof CancelledError);
    assert.equal(caller.cancelled(), true);
    assert.equal(inner.cancelled(), false);
    assert.equal(inner.done(), false);
    assert.equal(await inner, "saved");
    assert.equal(saved, true);
    assert.equal(now(), 5);
  });
});

Deno.test("shield() cancelled itself leaves the inner future alone", async () => {
  await inLoop(async ({ loop }) => {
    const inner = pending<number>();
    const outer = shield(inner);
    assert.equal(outer.cancel(), true);
    assert.ok(await rejection(outer) instanceof CancelledError);
    assert.equal(inner.done(), false);
    loop.callLater(1, () => inner.setResult(3));
    assert.equal(await inner, 3);
  });
});

Deno.test("shield() passes an inner failure through", async () => {
  await inLoop(async () => {
    const boom = new Error("boom");
    const inner = createTask(async () => {
      await sleep(1);
      throw boom;
    });
    assert.equal(await rejection(shield(inner)), boom);
  });
});

Deno.test("shield() is cancelled when the inner task is cancelled", async () => {
  await inLoop(async () => {
    const inner = createTask(() => sleep(10));
    const outer = shield(inner);
    await sleep(1);
    inner.cancel();
    assert.ok(await rejection(outer) instanceof CancelledError);
    assert.equal(outer.cancelled(), true);
  });
});

Deno.test("shield() of a done future returns that future", async () => {
  await inLoop(async () => {
    const done = resolved(1);
    assert.equal(shield(done), done);
  });
});

Deno.test("shield() runs a function as a task", async () => {
  await inLoop(async () => {
    assert.equal(await shield(async () => "ran"), "ran");
  });
});

Deno.test("shield() does not report an inner failure after the outer was cancelled", async () => {
  await inLoop(async () => {
    const boom = new Error("late boom");
    const inner = createTask(async () => {
      await sleep(2);
      throw boom;
    });
    const caller = createTask(() => shield(inner));
    await sleep(1);
    caller.cancel();
    await rejection(caller);
    assert.equal(await rejection(inner), boom);
  });
});
