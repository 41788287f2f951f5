/**
 * `sleep`: virtual-time delays, the one-iteration yield of `sleep(0)`, and
 * `sleep(Infinity)` until cancelled. Modelled on CPython's test_tasks.py
 * sleep cases.
 */
import assert from "node:assert/strict";
import { CancelledError, createTask, RuntimeError, sleep } from "../../mod.ts";
import { inLoop, now, rejection } from "./_task_helpers.ts";

Deno.test("sleep() resumes after the delay, in loop time, with the value", async () => {
  await inLoop(async () => {
    assert.equal(now(), 0);
    assert.equal(await sleep(2.5, "value"), "value");
    assert.equal(now(), 2.5);
    assert.equal(await sleep(1), undefined);
    assert.equal(now(), 3.5);
  });
});

Deno.test("sleep() wakes concurrent sleepers in deadline order", async () => {
  await inLoop(async () => {
    const order: string[] = [];
    const tasks = [[3, "c"], [1, "a"], [2, "b"]].map(([d, name]) =>
      createTask(async () => {
        await sleep(d as number);
        order.push(`${name}@${now()}`);
      })
    );
    for (const t of tasks) await t;
    assert.deepEqual(order, ["a@1", "b@2", "c@3"]);
  });
});

Deno.test("sleep(0) yields exactly one loop iteration", async () => {
  await inLoop(async ({ loop }) => {
    const log: string[] = [];
    loop.callSoon(() => {
      log.push("callback 1");
      loop.callSoon(() => log.push("callback 2"));
    });
    await sleep(0);
    log.push("after first sleep(0)");
    await sleep(0);
    log.push("after second sleep(0)");
    assert.deepEqual(log, [
      "callback 1",
      "after first sleep(0)",
      "callback 2",
      "after second sleep(0)",
    ]);
    assert.equal(now(), 0);
  });
});

Deno.test("sleep(0) interleaves tasks round-robin", async () => {
  await inLoop(async () => {
    const log: string[] = [];
    const spin = (name: string) =>
      createTask(async () => {
        for (let i = 0; i < 3; i++) {
          log.push(`${name}${i}`);
          await sleep(0);
        }
      });
    const a = spin("a");
    const b = spin("b");
    await a;
    await b;
    assert.deepEqual(log, ["a0", "b0", "a1", "b1", "a2", "b2"]);
  });
});

Deno.test("sleep() with a negative delay yields like sleep(0)", async () => {
  await inLoop(async ({ loop }) => {
    const log: string[] = [];
    loop.callSoon(() => log.push("callback"));
    assert.equal(await sleep(-5, "v"), "v");
    log.push("resumed");
    assert.deepEqual(log, ["callback", "resumed"]);
    assert.equal(now(), 0);
  });
});

Deno.test("sleep(0, value) resolves to the value", async () => {
  await inLoop(async () => {
    assert.deepEqual(await sleep(0, { x: 1 }), { x: 1 });
  });
});

Deno.test("sleep(Infinity) sleeps until cancelled and leaves no timer behind", async () => {
  await inLoop(async () => {
    let finallyRan = false;
    const sleeper = createTask(async () => {
      try {
        await sleep(Infinity);
      } finally {
        finallyRan = true;
      }
    });
    await sleep(1000);
    assert.equal(sleeper.done(), false);
    sleeper.cancel();
    assert.ok(await rejection(sleeper) instanceof CancelledError);
    assert.equal(finallyRan, true);
    // No timer: idle time does not jump anywhere.
    assert.equal(now(), 1000);
  });
});

Deno.test("sleep() cancelled early does not hold the virtual clock at its deadline", async () => {
  await inLoop(async () => {
    const sleeper = createTask(() => sleep(3600));
    await sleep(1);
    sleeper.cancel();
    await rejection(sleeper);
    await sleep(0);
    assert.equal(now(), 1);
  });
});

Deno.test("sleep() cancelled throws CancelledError with the message", async () => {
  await inLoop(async () => {
    const sleeper = createTask(() => sleep(0));
    const spinner = createTask(async () => {
      for (;;) await sleep(0);
    });
    await sleep(0);
    spinner.cancel("spin no more");
    const err = await rejection(spinner);
    assert.ok(err instanceof CancelledError);
    assert.equal((err as Error).message, "spin no more");
    await sleeper;
  });
});

Deno.test("sleep() outside a running loop throws RuntimeError", () => {
  assert.throws(() => sleep(1), RuntimeError);
});
