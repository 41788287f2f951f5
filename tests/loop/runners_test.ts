/**
 * `run()` and `Runner`, with asyncio 3.12 semantics: a new loop, run main,
 * cancel what is left (their `finally` blocks run), shut down, close.
 * Modelled on CPython's test_runners.py.
 */
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  CancelledError,
  Context,
  ContextVar,
  createTask,
  type ExceptionContext,
  getEventLoop,
  getEventLoopPolicy,
  getRunningLoop,
  ProactorEventLoop,
  run,
  Runner,
  RuntimeError,
  setEventLoop,
  sleep,
  type Task,
} from "../../mod.ts";
import { TestLoop } from "../../testing/mod.ts";
import { captureLog, errorLike } from "./_helpers.ts";

const noLoop = errorLike(RuntimeError, /no current event loop/i);

Deno.test("run() returns the result of main", async () => {
  assert.equal(await run(() => 42), 42);
  assert.equal(
    await run(async () => {
      await sleep(0.001);
      return "slept";
    }),
    "slept",
  );
});

Deno.test("run() throws the error of main and still closes the loop", async () => {
  let loop = null as AbstractEventLoop | null;
  const boom = new Error("boom");
  await assert.rejects(
    run(async () => {
      loop = getRunningLoop();
      await sleep(0);
      throw boom;
    }),
    (err) => err === boom,
  );
  assert.ok(loop!.isClosed());
});

Deno.test("run() throws the error of a main that throws synchronously", async () => {
  const boom = new RangeError("sync");
  await assert.rejects(
    run(() => {
      throw boom;
    }, { loopFactory: () => new TestLoop() }),
    (err) => err === boom,
  );
});

Deno.test("run() runs main on a new loop of the policy and closes it", async () => {
  let loop = null as AbstractEventLoop | null;
  await run(() => {
    loop = getRunningLoop();
    assert.ok(loop instanceof ProactorEventLoop);
    // The runner sets its loop as the policy's current loop while it runs.
    assert.equal(getEventLoopPolicy().getEventLoop(), loop);
  });
  assert.ok(loop!.isClosed());
  assert.equal(loop!.isRunning(), false);
  // ...and clears it afterwards.
  assert.throws(() => getEventLoop(), noLoop);
});

Deno.test("run() cancels the tasks main left behind, and their finally blocks run", async () => {
  const events: string[] = [];
  let leftovers: Task<unknown>[] = [];
  await run(async () => {
    leftovers = [1, 2].map((n) =>
      createTask(async () => {
        try {
          await sleep(3600);
        } catch (err) {
          events.push(`${n} caught ${(err as Error).name}`);
          throw err;
        } finally {
          // Cleanup may still await: the runner waits for it.
          await sleep(0.001);
          events.push(`${n} finally`);
        }
      })
    );
    await sleep(0);
  });
  assert.deepEqual(events.sort(), [
    "1 caught CancelledError",
    "1 finally",
    "2 caught CancelledError",
    "2 finally",
  ]);
  assert.ok(leftovers.every((t) => t.cancelled()));
});

Deno.test("run() reports a leftover task that fails while being cancelled", async () => {
  const contexts: ExceptionContext[] = [];
  const cleanupError = new Error("cleanup failed");
  let leftover = null as Task<unknown> | null;
  await run(async () => {
    leftover = createTask(async () => {
      try {
        await sleep(3600);
      } catch {
        throw cleanupError;
      }
    });
    await sleep(0);
  }, {
    loopFactory: () => {
      const loop = new TestLoop();
      loop.setExceptionHandler((_l, ctx) => contexts.push(ctx));
      return loop;
    },
  });
  assert.equal(contexts.length, 1);
  assert.match(contexts[0].message, /unhandled exception during run\(\) shutdown/);
  assert.equal(contexts[0].exception, cleanupError);
  assert.equal(contexts[0].task, leftover);
});

Deno.test("run() inside a running loop throws RuntimeError", async () => {
  await run(async () => {
    await assert.rejects(
      run(() => 1),
      errorLike(RuntimeError, "run() cannot be called from a running event loop"),
    );
    const runner = new Runner();
    await assert.rejects(
      runner.run(() => 1),
      errorLike(RuntimeError, /cannot be called from a running event loop/),
    );
    await runner.close();
  });
});

Deno.test("run() rejects a main that is not a function", async () => {
  // deno-lint-ignore no-explicit-any
  const promise = Promise.resolve(1) as any;
  await assert.rejects(run(promise), errorLike(TypeError, /pass the function, not the promise/));
  // deno-lint-ignore no-explicit-any
  await assert.rejects(run(null as any), TypeError);
});

Deno.test("run() with loopFactory runs on that loop and leaves the current loop alone", async () => {
  const current = new TestLoop();
  setEventLoop(current);
  try {
    let loop = null as AbstractEventLoop | null;
    const elapsed = await run(async () => {
      loop = getRunningLoop();
      const t0 = loop.time();
      await sleep(3600);
      return loop.time() - t0;
    }, { loopFactory: () => new TestLoop() });
    assert.equal(elapsed, 3600);
    assert.ok(loop instanceof TestLoop);
    assert.ok(loop!.isClosed());
    assert.equal(getEventLoop(), current);
  } finally {
    setEventLoop(null);
    current.close();
  }
});

Deno.test("run() with debug sets the loop's debug mode", async () => {
  using log = captureLog();
  assert.equal(await run(() => getRunningLoop().getDebug(), { debug: true }), true);
  // Debug mode logs the close.
  assert.match(log.map((e) => e.message).join("\n"), /Close <ProactorEventLoop/);
  assert.equal(
    await run(() => getRunningLoop().getDebug(), {
      debug: false,
      loopFactory: () => new TestLoop({ debug: true }),
    }),
    false,
  );
  assert.equal(await run(() => getRunningLoop().getDebug()), false);
});

Deno.test("run() shuts down async generators and the executor, then closes the loop", async () => {
  const events: string[] = [];
  class RecordingLoop extends TestLoop {
    override shutdownAsyncgens(): Promise<void> {
      events.push("asyncgens");
      return super.shutdownAsyncgens();
    }
    override shutdownDefaultExecutor(timeout?: number): Promise<void> {
      events.push("executor");
      return super.shutdownDefaultExecutor(timeout);
    }
    override close(): void {
      events.push("close");
      super.close();
    }
  }
  await run(async () => {
    createTask(async () => {
      try {
        await sleep(3600);
      } finally {
        events.push("task cancelled");
      }
    });
    await sleep(0);
    events.push("main done");
  }, { loopFactory: () => new RecordingLoop() });
  assert.deepEqual(events, ["main done", "task cancelled", "asyncgens", "executor", "close"]);
});

Deno.test("Runner.run() twice reuses one loop, and await using closes it", async () => {
  let loop = null as AbstractEventLoop | null;
  {
    await using runner = new Runner({ loopFactory: () => new TestLoop() });
    const first = await runner.run(() => getRunningLoop());
    const second = await runner.run(async () => {
      await sleep(10);
      return getRunningLoop();
    });
    loop = runner.getLoop();
    assert.equal(first, loop);
    assert.equal(second, loop);
    assert.equal(loop.isClosed(), false);
    assert.equal(loop.isRunning(), false);
  }
  assert.ok(loop.isClosed());
});

Deno.test("Runner.run() keeps tasks of an earlier run alive until close()", async () => {
  const runner = new Runner({ loopFactory: () => new TestLoop() });
  try {
    let background = null as Task<string> | null;
    await runner.run(() => {
      background = createTask(async () => {
        await sleep(5);
        return "background";
      });
    });
    assert.equal(background!.done(), false);
    // The next run drives the same loop, so the background task goes on.
    await runner.run(() => sleep(10));
    assert.equal(background!.result(), "background");
  } finally {
    await runner.close();
  }
});

Deno.test("Runner.run() runs main in the runner's context, shared by every run", async () => {
  const v = new ContextVar<number>("v", { default: 0 });
  await using runner = new Runner({ loopFactory: () => new TestLoop() });
  await runner.run(() => {
    v.set(1);
  });
  assert.equal(await runner.run(() => v.get()), 1);
  // Outside, nothing changed.
  assert.equal(v.get(), 0);
});

Deno.test("Runner.run() with a context option runs main in that context", async () => {
  const v = new ContextVar<string>("v", { default: "default" });
  const ctx = new Context();
  ctx.run(() => v.set("given"));
  await using runner = new Runner({ loopFactory: () => new TestLoop() });
  assert.equal(await runner.run(() => v.get(), { context: ctx }), "given");
  await runner.run(() => {
    v.set("changed");
  }, { context: ctx });
  assert.equal(ctx.get(v), "changed");
  assert.equal(await runner.run(() => v.get()), "default");
});

Deno.test("Runner.close() makes the runner unusable and is idempotent", async () => {
  const runner = new Runner({ loopFactory: () => new TestLoop() });
  const loop = runner.getLoop();
  await runner.close();
  assert.ok(loop.isClosed());
  await runner.close();
  const closed = errorLike(RuntimeError, "Runner is closed");
  await assert.rejects(runner.run(() => 1), closed);
  assert.throws(() => runner.getLoop(), closed);
});

Deno.test("Runner.close() before any run closes the runner without making a loop", async () => {
  let made = 0;
  const runner = new Runner({
    loopFactory: () => {
      made++;
      return new TestLoop();
    },
  });
  await runner.close();
  assert.equal(made, 0);
  await assert.rejects(runner.run(() => 1), errorLike(RuntimeError, "Runner is closed"));
});

Deno.test("Runner.getLoop() makes the loop once, through loopFactory, with the debug option", async () => {
  using _log = captureLog();
  let made = 0;
  await using runner = new Runner({
    debug: true,
    loopFactory: () => {
      made++;
      return new TestLoop();
    },
  });
  const loop = runner.getLoop();
  assert.equal(runner.getLoop(), loop);
  assert.equal(made, 1);
  assert.equal(loop.getDebug(), true);
});

Deno.test("Runner without loopFactory sets the current loop while open and clears it on close", async () => {
  const runner = new Runner();
  try {
    const loop = runner.getLoop();
    assert.equal(getEventLoop(), loop);
    assert.equal(await runner.run(() => getRunningLoop()), loop);
  } finally {
    await runner.close();
  }
  assert.throws(() => getEventLoop(), noLoop);
});

Deno.test("Runner.run() rejects a main that is not a function", async () => {
  await using runner = new Runner({ loopFactory: () => new TestLoop() });
  // deno-lint-ignore no-explicit-any
  await assert.rejects(runner.run(42 as any), TypeError);
});

Deno.test("Runner.run() passes a cancellation of main on as CancelledError", async () => {
  await using runner = new Runner({ loopFactory: () => new TestLoop() });
  await assert.rejects(
    runner.run(async () => {
      const self = getRunningLoop();
      const fut = self.createFuture<void>();
      self.callLater(1, () => fut.cancel("stop main"));
      await fut;
    }),
    errorLike(CancelledError, "stop main"),
  );
});
