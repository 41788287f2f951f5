// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * `runCoroutineThreadsafe`: work handed to a running loop from code outside
 * its callbacks (here: host timers), and the `ConcurrentFuture` it returns.
 * Modelled on CPython's test_tasks.py RunCoroutineThreadsafeTests.
 */
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  CancelledError,
  type ConcurrentFuture,
  currentTask,
  InvalidStateError,
  runCoroutineThreadsafe,
  sleep,
  type Task,
  wrapFuture,
} from "../../mod.ts";
import { inLoop, pending, rejection } from "./_task_helpers.ts";

/**
 * Calls `fn` from a host timer, outside every loop callback, and hands back
 * what it returned through a loop future. The value travels boxed: a
 * promise resolved with a thenable (a ConcurrentFuture) would adopt it.
 */
function fromOutside<T>(fn: () => T): PromiseLike<{ value: T }> {
  return wrapFuture(
    new Promise<{ value: T }>((resolve) => setTimeout(() => resolve({ value: fn() }), 0)),
  );
}

/** Settles when `fut` does, outside the loop (the ConcurrentFuture is a host promise). */
function settled(fut: ConcurrentFuture<unknown>): PromiseLike<unknown> {
  return wrapFuture(fut.then((v) => ({ ok: v }), (e) => ({ err: e })));
}

Deno.test("runCoroutineThreadsafe() runs the function as a task on the loop and resolves to its result", async () => {
  await inLoop(async ({ loop }) => {
    let ranIn: Task<unknown> | undefined;
    const { value: handle } = await fromOutside(() =>
      runCoroutineThreadsafe(async () => {
        ranIn = currentTask();
        await sleep(1);
        return 42;
      }, loop)
    );
    assert.equal(handle.done(), false);
    assert.throws(() => handle.result(), InvalidStateError);
    assert.deepEqual(await settled(handle), { ok: 42 });
    assert.ok(ranIn !== undefined && ranIn.getLoop() === loop);
    assert.equal(handle.done(), true);
    assert.equal(handle.cancelled(), false);
    assert.equal(handle.result(), 42);
  });
});

Deno.test("runCoroutineThreadsafe() hands the function's error to the caller", async () => {
  await inLoop(async ({ loop }) => {
    const boom = new Error("boom");
    const { value: handle } = await fromOutside(() =>
      runCoroutineThreadsafe(async () => {
        await sleep(1);
        throw boom;
      }, loop)
    );
    assert.deepEqual(await settled(handle), { err: boom });
    assert.throws(() => handle.result(), (e) => e === boom);
    assert.equal(handle.cancelled(), false);
  });
});

Deno.test("runCoroutineThreadsafe() also works when called from the loop itself", async () => {
  await inLoop(async ({ loop }) => {
    const handle = runCoroutineThreadsafe(async () => "inside", loop);
    assert.equal(await handle, "inside");
  });
});

Deno.test("ConcurrentFuture.cancel() cancels the task on the loop", async () => {
  await inLoop(async ({ loop }) => {
    let cleanedUp = false;
    // A future, not a sleep: while the test waits for a host timer the
    // virtual clock would jump over any loop timer.
    const never = pending<void>();
    const { value: handle } = await fromOutside(() =>
      runCoroutineThreadsafe(async () => {
        try {
          await never;
        } finally {
          cleanedUp = true;
        }
      }, loop)
    );
    await sleep(1);
    const { value: cancelReturned } = await fromOutside(() => handle.cancel());
    assert.equal(cancelReturned, true);
    const { err } = await settled(handle) as { err: unknown };
    assert.ok(err instanceof CancelledError);
    assert.equal(cleanedUp, true);
    assert.equal(handle.cancelled(), true);
    assert.equal(handle.done(), true);
    assert.throws(() => handle.result(), CancelledError);
    assert.equal(handle.cancel(), false);
  });
});

Deno.test("ConcurrentFuture.cancel() before the task started means the function never runs", async () => {
  await inLoop(async ({ loop }) => {
    let ran = false;
    const { value: [handle, cancelReturned] } = await fromOutside(() => {
      const h = runCoroutineThreadsafe(async () => {
        ran = true;
      }, loop);
      return [h, h.cancel()] as const;
    });
    assert.equal(cancelReturned, true);
    const { err } = await settled(handle) as { err: unknown };
    assert.ok(err instanceof CancelledError);
    assert.equal(ran, false);
    assert.equal(handle.cancelled(), true);
  });
});

Deno.test("ConcurrentFuture.cancel() after the result is settled returns false", async () => {
  await inLoop(async ({ loop }) => {
    const handle = runCoroutineThreadsafe(async () => 1, loop);
    assert.equal(await handle, 1);
    assert.equal(handle.cancel(), false);
    assert.equal(handle.result(), 1);
  });
});

Deno.test("ConcurrentFuture.catch() sees the error like a promise", async () => {
  await inLoop(async ({ loop }) => {
    const handle = runCoroutineThreadsafe(async () => {
      throw new RangeError("r");
    }, loop);
    const caught = await wrapFuture(handle.catch((e) => (e as Error).name));
    assert.equal(caught, "RangeError");
  });
});

Deno.test("runCoroutineThreadsafe() rejects a non-function with TypeError", async () => {
  await inLoop(async ({ loop }) => {
    const promise = Promise.resolve(1) as unknown as () => Promise<number>;
    assert.throws(() => runCoroutineThreadsafe(promise, loop as AbstractEventLoop), TypeError);
  });
});

Deno.test("runCoroutineThreadsafe() result can be awaited from outside every loop", async () => {
  let handle!: ConcurrentFuture<string>;
  const rejected = await rejection(
    inLoop(async ({ loop }) => {
      handle = runCoroutineThreadsafe(async () => {
        await sleep(1);
        return "seen outside";
      }, loop);
      await sleep(2);
      throw new Error("main ends");
    }),
  );
  assert.equal((rejected as Error).message, "main ends");
  // The loop is closed; the handle settled while it ran and stays readable.
  assert.equal(await handle, "seen outside");
  assert.equal(handle.result(), "seen outside");
});
