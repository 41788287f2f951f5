// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * The hazards PROTOTYPE_NOTES.md found (issue 3, item 7), as tests:
 * Promise.race/any over loop futures, fire-and-forget helpers in cancelled
 * tasks, thenable adoption, native promises, step atomicity, context leaks,
 * and awaiting done futures.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  type Future,
  sleep,
  type Task,
  wrapFuture,
} from "../../mod.ts";
import { hostTurn, inLoop, now, pending, rejection, resolved, take } from "./_task_helpers.ts";

// ----------------------------------------------------------------------
// 1. Promise.race / Promise.any over loop futures.

Deno.test("Promise.race() over loop futures: a later cancel of the task never reaches the losing future", async () => {
  await inLoop(async () => {
    const winner = pending<string>();
    const shared = pending<string>();
    // Another task waits on the losing future too.
    const other = createTask(() => shared);
    const racer = createTask(async () => {
      const first = await Promise.race([winner, shared]);
      await sleep(100);
      return first;
    });
    await sleep(0);
    winner.setResult("won");
    await sleep(1);
    racer.cancel();
    assert.ok(await rejection(racer) instanceof CancelledError);
    assert.equal(shared.cancelled(), false);
    assert.equal(other.done(), false);
    shared.setResult("other still served");
    assert.equal(await other, "other still served");
  });
});

Deno.test("Promise.any() over loop futures: a later cancel of the task never reaches the losing future", async () => {
  await inLoop(async () => {
    const winner = pending<string>();
    const shared = pending<string>();
    const racer = createTask(async () => {
      await Promise.any([winner, shared]);
      await pending<void>();
    });
    await sleep(0);
    winner.setResult("won");
    await sleep(0);
    await sleep(0);
    racer.cancel();
    assert.ok(await rejection(racer) instanceof CancelledError);
    assert.equal(shared.done(), false);
    shared.setResult("unaffected");
  });
});

Deno.test({
  name:
    "Promise.race() over loop futures: a cancel while the task is blocked on a native promise never reaches the losing future",
  fn: async () => {
    await inLoop(async ({ loop }) => {
      const winner = pending<string>();
      const shared = pending<string>();
      const other = createTask(() => shared);
      let release!: () => void;
      const slowNative = new Promise<void>((resolve) => release = resolve);
      const racer = createTask(async () => {
        await Promise.race([winner, shared]);
        // A native await that outlasts the loop's drain (a host round trip).
        await slowNative;
        await sleep(1);
      });
      await sleep(0);
      winner.setResult("won");
      // Let the host run: the racer is now blocked on the native promise.
      await hostTurn();
      await hostTurn();
      racer.cancel();
      // The foreign promise settles after the loop processed the cancel (as
      // real I/O does). Settled in the same turn as cancel(), the racer could
      // not be told from a task still blocked in a Promise.all that the
      // cancel already reached (docs/architecture.md, "Races"): then the
      // request is taken as delivered.
      await sleep(0);
      release();
      assert.ok(await rejection(racer) instanceof CancelledError);
      assert.equal(shared.cancelled(), false);
      loop.callSoon(() => shared.setResult("served"));
      assert.equal(await other, "served");
    });
  },
});

Deno.test({
  name: "Promise.race() with an already-done future: the task's step ends before the next callback",
  fn: async () => {
    await inLoop(async ({ loop }) => {
      const log: string[] = [];
      const gate = pending<void>();
      const never = pending<void>();
      const a = createTask(async () => {
        await gate;
        await Promise.race([resolved(1), never]);
        log.push("a after race");
      });
      await sleep(0);
      loop.callSoon(() => {
        gate.setResult();
        loop.callSoon(() => log.push("callback"));
      });
      await a;
      assert.deepEqual(log, ["a after race", "callback"]);
      never.cancel();
    });
  },
});

Deno.test({
  name:
    "Promise.all() with an already-failed future: the task's step ends before the next callback",
  fn: async () => {
    await inLoop(async ({ loop }) => {
      const log: string[] = [];
      const failed = loop.createFuture<void>();
      failed.setException(new Error("already failed"));
      const gate = pending<void>();
      const never = pending<void>();
      const a = createTask(async () => {
        await gate;
        try {
          await Promise.all([failed, never]);
        } catch {
          log.push("a caught");
        }
      });
      await sleep(0);
      loop.callSoon(() => {
        gate.setResult();
        loop.callSoon(() => log.push("callback"));
      });
      await a;
      assert.deepEqual(log, ["a caught", "callback"]);
      never.cancel();
    });
  },
});

Deno.test({
  name:
    "Promise.race() with an already-done future: a cancel in that window is neither lost nor sent to the other future",
  fn: async () => {
    await inLoop(async ({ loop }) => {
      const gate = pending<void>();
      const shared = pending<string>();
      const other = createTask(() => shared);
      const racer = createTask(async () => {
        await gate;
        await Promise.race([resolved("done"), shared]);
        await sleep(5);
        return "finished normally";
      });
      await sleep(0);
      loop.callSoon(() => {
        gate.setResult();
        loop.callSoon(() => racer.cancel());
      });
      assert.ok(await rejection(racer) instanceof CancelledError);
      assert.equal(shared.cancelled(), false);
      shared.setResult("served");
      assert.equal(await other, "served");
    });
  },
});

Deno.test("Promise.race() leftovers never wake the task while it waits on something else", async () => {
  await inLoop(async ({ loop }) => {
    const winner = pending<string>();
    const loser = pending<string>();
    const next = pending<string>();
    const racer = createTask(async () => {
      await Promise.race([winner, loser]);
      return await next;
    });
    await sleep(0);
    winner.setResult("won");
    await sleep(1);
    loser.setResult("late loser");
    await sleep(1);
    assert.equal(racer.done(), false);
    loop.callSoon(() => next.setResult("next"));
    assert.equal(await racer, "next");
  });
});

// ----------------------------------------------------------------------
// 2. Fire-and-forget helpers.

Deno.test("Task.cancel() with a fire-and-forget helper awaiting a loop future does not crash the process", async () => {
  await inLoop(async ({ loop }) => {
    const helperFuture = pending<void>();
    let helperSaw: unknown;
    const task = createTask(async () => {
      // Not awaited: its await registers on the task, and cancel() rejects it.
      (async () => {
        await helperFuture;
      })();
      (async () => {
        try {
          await loop.createFuture<void>();
        } catch (err) {
          helperSaw = err;
          throw err;
        }
      })();
      await sleep(10);
    });
    await sleep(1);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    // Give unhandled-rejection processing its host turns while the loop runs.
    await hostTurn();
    await hostTurn();
    assert.ok(helperSaw instanceof CancelledError);
    // inLoop fails the test if anything was reported.
  });
});

Deno.test("BaseEventLoop reports a fire-and-forget helper's real error to the exception handler", async () => {
  await inLoop(async ({ reports }) => {
    const boom = new Error("helper failed");
    const task = createTask(async () => {
      (async () => {
        await sleep(1);
        throw boom;
      })();
      await sleep(5);
    });
    await task;
    for (let i = 0; i < 5 && reports.length === 0; i++) await hostTurn();
    const got = take(reports);
    assert.equal(got.length, 1);
    assert.equal(got[0].exception, boom);
    assert.match(got[0].message, /[Uu]nhandled/);
  });
});

// ----------------------------------------------------------------------
// 3. Thenable adoption.

Deno.test("Task returned from an async function is adopted: the caller gets its result", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      await sleep(1);
      return "task result";
    });
    const viaAsync = async () => task;
    const viaPlain = () => task;
    assert.equal(await viaAsync(), "task result");
    assert.equal(viaPlain(), task);
    // Box it to hand the task itself through an async function.
    const boxed = async () => ({ task });
    assert.equal((await boxed()).task, task);
  });
});

Deno.test("createTask() of a function returning another task takes that task's result", async () => {
  await inLoop(async () => {
    const inner = createTask(() => sleep(1, 7));
    const outer = createTask(async () => inner);
    assert.equal(await outer, 7);
  });
});

// ----------------------------------------------------------------------
// 4. Native promises.

Deno.test("wrapFuture() makes a task blocked on a native promise cancellable at once", async () => {
  await inLoop(async () => {
    let release!: () => void;
    const native = new Promise<void>((resolve) => release = resolve);
    const blocked = createTask(async () => {
      await native;
      return "ran past the native promise";
    });
    await sleep(0);
    blocked.cancel();
    await sleep(5);
    assert.equal(blocked.done(), false);
    release();
    assert.ok(await rejection(blocked) instanceof CancelledError);

    const wrapped = createTask(() => wrapFuture(new Promise<void>(() => {})));
    await sleep(0);
    wrapped.cancel();
    assert.ok(await rejection(wrapped) instanceof CancelledError);
  });
});

// ----------------------------------------------------------------------
// 5. Step atomicity.

Deno.test("Task step runs through a long chain of native awaits before the next callback", async () => {
  await inLoop(async ({ loop }) => {
    const log: string[] = [];
    const gate = pending<void>();
    const a = createTask(async () => {
      await gate;
      log.push("a start");
      for (let i = 0; i < 300; i++) await null;
      for (let i = 0; i < 50; i++) await Promise.resolve().then(() => Promise.resolve());
      log.push("a end");
      await sleep(1);
    });
    const b = createTask(async () => {
      await gate;
      log.push("b start");
    });
    await sleep(0);
    gate.setResult();
    loop.callSoon(() => loop.callSoon(() => log.push("callback")));
    await a;
    await b;
    assert.deepEqual(log, ["a start", "a end", "b start", "callback"]);
  });
});

Deno.test("Task step that awaits nested async helpers stays in one step", async () => {
  await inLoop(async () => {
    const log: string[] = [];
    const gate = pending<void>();
    async function helper(depth: number): Promise<number> {
      if (depth === 0) return 0;
      await Promise.resolve();
      return 1 + await helper(depth - 1);
    }
    const a = createTask(async () => {
      await gate;
      log.push(`a ${await helper(100)}`);
    });
    const b = createTask(async () => {
      await gate;
      log.push("b");
    });
    await sleep(0);
    gate.setResult();
    await a;
    await b;
    assert.deepEqual(log, ["a 100", "b"]);
  });
});

// ----------------------------------------------------------------------
// 6. Context leaks.

Deno.test("loop.callSoon() callbacks never run in the context of the task that resumed last", async () => {
  await inLoop(async ({ loop }) => {
    const seen: unknown[] = [];
    const fut = pending<void>();
    const task = createTask(async () => {
      await fut;
      // Schedules nothing itself; the timer below is scheduled from a callback.
      await sleep(5);
    });
    loop.callLater(1, () => {
      fut.setResult();
      loop.callSoon(() => seen.push(currentTask()));
      loop.callLater(1, () => seen.push(currentTask()));
    });
    await sleep(3);
    assert.deepEqual(seen, [undefined, undefined]);
    task.cancel();
    await rejection(task);
  });
});

Deno.test("Task.cancel() never reaches an async helper started from a plain callback", async () => {
  await inLoop(async ({ loop }) => {
    const helperWaitsOn = pending<string>();
    let helperResult: unknown;
    const resumed = pending<void>();
    const task = createTask(async () => {
      await resumed;
      await sleep(10);
    });
    loop.callLater(1, () => {
      resumed.setResult();
      loop.callSoon(() => {
        (async () => {
          helperResult = await helperWaitsOn;
        })();
      });
    });
    await sleep(2);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.equal(helperWaitsOn.cancelled(), false);
    helperWaitsOn.setResult("helper done");
    await sleep(0);
    await sleep(0);
    assert.equal(helperResult, "helper done");
  });
});

// ----------------------------------------------------------------------
// 7. Awaiting done futures.

Deno.test("Future.then() of a done future or task costs no loop iteration", async () => {
  await inLoop(async ({ loop }) => {
    const doneTask: Task<number> = createTask(async () => 2);
    await doneTask;
    const doneFutures: Future<number>[] = [resolved(1), doneTask];
    let callbackRan = false;
    loop.callSoon(() => callbackRan = true);
    let sum = 0;
    for (let i = 0; i < 1000; i++) sum += await doneFutures[i % 2];
    assert.equal(sum, 1500);
    assert.equal(callbackRan, false, "a callback ran: the awaits yielded to the loop");
    await sleep(0);
    assert.equal(callbackRan, true);
    assert.equal(now(), 0);
  });
});

Deno.test("Future.then() of a failed or cancelled done future throws without a loop iteration", async () => {
  await inLoop(async ({ loop }) => {
    const failed = loop.createFuture<void>();
    const boom = new Error("boom");
    failed.setException(boom);
    const cancelled = loop.createFuture<void>();
    cancelled.cancel("gone");
    let callbackRan = false;
    loop.callSoon(() => callbackRan = true);
    assert.equal(await rejection(failed), boom);
    const err = await rejection(cancelled);
    assert.ok(err instanceof CancelledError);
    assert.equal((err as Error).message, "gone");
    assert.equal(callbackRan, false);
    // The task itself is not cancelled by awaiting a cancelled future.
    assert.equal(currentTask()!.cancelling(), 0);
  });
});
