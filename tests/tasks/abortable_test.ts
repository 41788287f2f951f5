// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * AbortSignal interop (issue 3, item 5): `Task.signal` aborts when the task
 * is cancelled, and `abortable(aw, signal)` cancels a wait when an outside
 * signal aborts.
 */
import assert from "node:assert/strict";
import {
  abortable,
  CancelledError,
  createTask,
  currentTask,
  shield,
  sleep,
  timeout,
  TimeoutError,
  wrapFuture,
} from "../../mod.ts";
import { inLoop, now, rejection, resolved } from "./_task_helpers.ts";

/** A stand-in for `fetch(url, { signal })` that only ever ends by rejecting when its signal aborts. */
function foreignOperation(signal: AbortSignal): Promise<string> {
  return new Promise<string>((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

// ----------------------------------------------------------------------
// Task.signal.

Deno.test("Task.signal aborts when the task is cancelled, with a CancelledError reason", async () => {
  await inLoop(async () => {
    let signal!: AbortSignal;
    const events: string[] = [];
    const task = createTask(async () => {
      signal = currentTask()!.signal;
      signal.addEventListener("abort", () => events.push("abort"));
      await sleep(10);
    });
    await sleep(0);
    assert.equal(signal.aborted, false);
    task.cancel("stop");
    assert.equal(signal.aborted, true);
    assert.deepEqual(events, ["abort"]);
    assert.ok(signal.reason instanceof CancelledError);
    assert.equal((signal.reason as Error).message, "stop");
    await rejection(task);
  });
});

Deno.test("Task.signal read after cancel() but before the task ends is already aborted", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      try {
        await sleep(10);
      } catch {
        return currentTask()!.signal.aborted;
      }
      return false;
    });
    await sleep(0);
    task.cancel();
    assert.equal(await task, true);
  });
});

Deno.test("Task.signal stays unaborted for a task that finishes normally", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      await sleep(1);
      return 1;
    });
    const signal = task.signal;
    await task;
    assert.equal(signal.aborted, false);
    assert.equal(task.signal.aborted, false);
  });
});

Deno.test("Task.signal cancels a foreign operation that takes a signal", async () => {
  await inLoop(async () => {
    let foreignError: unknown;
    const task = createTask(async () => {
      try {
        return await foreignOperation(currentTask()!.signal);
      } catch (err) {
        foreignError = err;
        throw err;
      }
    });
    await sleep(0);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.ok(foreignError instanceof CancelledError);
    assert.equal(task.cancelled(), true);
  });
});

Deno.test("Task.signal is a fresh, unaborted signal once the task uncancels", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      const me = currentTask()!;
      let first!: AbortSignal;
      const err = await rejection(timeout(1, async () => {
        first = me.signal;
        await sleep(10);
      }));
      assert.ok(err instanceof TimeoutError);
      const second = me.signal;
      return { firstAborted: first.aborted, secondAborted: second.aborted, same: first === second };
    });
    assert.deepEqual(await task, { firstAborted: true, secondAborted: false, same: false });
  });
});

Deno.test("Task.signal is the same object while nothing changes", async () => {
  await inLoop(async () => {
    const task = createTask(() => sleep(1));
    assert.equal(task.signal, task.signal);
    await task;
  });
});

// ----------------------------------------------------------------------
// abortable().

Deno.test("abortable() passes the result through when the signal never aborts", async () => {
  await inLoop(async () => {
    const controller = new AbortController();
    assert.equal(await abortable(() => sleep(1, "done"), controller.signal), "done");
    // Aborting later has no effect and reports nothing.
    controller.abort();
    await sleep(0);
  });
});

Deno.test("abortable() cancels the wait and the inner task when the signal aborts", async () => {
  await inLoop(async ({ loop }) => {
    const controller = new AbortController();
    const inner = createTask(() => sleep(60));
    loop.callLater(1, () => controller.abort(new Error("user left")));
    const err = await rejection(abortable(inner, controller.signal));
    assert.ok(err instanceof CancelledError);
    assert.match((err as Error).message, /user left/);
    assert.equal(now(), 1);
    await rejection(inner);
    assert.equal(inner.cancelled(), true);
  });
});

Deno.test({
  name: "abortable() CancelledError carries the abort reason as its cause, as documented",
  fn: async () => {
    await inLoop(async ({ loop }) => {
      const controller = new AbortController();
      const reason = new Error("user left");
      loop.callLater(1, () => controller.abort(reason));
      const err = await rejection(abortable(() => sleep(60), controller.signal));
      assert.ok(err instanceof CancelledError);
      assert.equal((err as Error).cause, reason);
    });
  },
});

Deno.test("abortable() with an already aborted signal cancels at once", async () => {
  await inLoop(async () => {
    let started = false;
    const err = await rejection(abortable(async () => {
      started = true;
      await sleep(1);
    }, AbortSignal.abort("gone")));
    assert.ok(err instanceof CancelledError);
    assert.match((err as Error).message, /gone/);
    assert.equal(started, false);
  });
});

Deno.test("abortable() of a shielded task cancels the wait but not the task", async () => {
  await inLoop(async ({ loop }) => {
    const controller = new AbortController();
    const inner = createTask(() => sleep(5, "kept"));
    loop.callLater(1, () => controller.abort());
    assert.ok(
      await rejection(abortable(shield(inner), controller.signal)) instanceof CancelledError,
    );
    assert.equal(inner.cancelled(), false);
    assert.equal(await inner, "kept");
  });
});

Deno.test("abortable() of a done future returns it unchanged", async () => {
  await inLoop(async () => {
    const done = resolved(3);
    assert.equal(abortable(done, new AbortController().signal), done);
  });
});

Deno.test("abortable() passes an inner failure through", async () => {
  await inLoop(async () => {
    const boom = new Error("boom");
    const err = await rejection(abortable(async () => {
      await sleep(1);
      throw boom;
    }, new AbortController().signal));
    assert.equal(err, boom);
  });
});

Deno.test("abortable() wraps a foreign promise so an abort cancels the wait", async () => {
  await inLoop(async ({ loop }) => {
    const controller = new AbortController();
    const never = new Promise<never>(() => {});
    loop.callLater(1, () => controller.abort());
    assert.ok(await rejection(abortable(never, controller.signal)) instanceof CancelledError);
  });
});

Deno.test({
  name: "abortable() cancelled with its awaiting task cancels the inner work too",
  fn: async () => {
    await inLoop(async () => {
      const inner = createTask(() => sleep(10));
      const waiter = createTask(() => abortable(inner, new AbortController().signal));
      await sleep(1);
      waiter.cancel();
      assert.ok(await rejection(waiter) instanceof CancelledError);
      assert.ok(await rejection(inner) instanceof CancelledError);
      assert.equal(now(), 1);
    });
  },
});

Deno.test("abortable() rejects a non-signal with TypeError", async () => {
  await inLoop(async () => {
    assert.throws(
      () => abortable(resolved(1), {} as AbortSignal),
      TypeError,
    );
  });
});

Deno.test("Task.signal and wrapFuture() together cancel a foreign promise from both sides", async () => {
  await inLoop(async () => {
    let aborted = false;
    const task = createTask(async () => {
      const signal = currentTask()!.signal;
      signal.addEventListener("abort", () => aborted = true);
      return await wrapFuture(new Promise<string>(() => {}));
    });
    await sleep(0);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.equal(aborted, true);
  });
});
