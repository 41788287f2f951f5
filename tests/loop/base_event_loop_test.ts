/**
 * The scheduler of the base loop, run over every concrete loop: callSoon
 * order, iteration boundaries, stop/resume, run/close state errors, the
 * exception handler, debug mode and the methods whose subsystem lands later.
 * Modelled on the behaviours CPython's test_base_events.py and
 * test_events.py check.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  type ExceptionContext,
  Future,
  getRunningLoop,
  Handle,
  type Logger,
  NotImplementedError,
  ProactorEventLoop,
  RuntimeError,
  SelectorEventLoop,
  setLogger,
  sleep,
  Task,
  type TaskFactory,
  TimerHandle,
} from "../../mod.ts";
import {
  captureLog,
  errorLike,
  LOOPS,
  REAL_LOOPS,
  recordErrors,
  runOnce,
  withLoop,
} from "./_helpers.ts";
import { collectGarbage } from "../tasks/_task_helpers.ts";

for (const [name, make] of LOOPS) {
  // ------------------------------------------------------------------
  // callSoon and iterations.

  Deno.test(`${name}.callSoon() runs callbacks once each, in FIFO order, with their arguments`, async () => {
    await withLoop(make, async (loop) => {
      const calls: unknown[][] = [];
      for (let i = 0; i < 10; i++) {
        loop.callSoon((a: number, b: string) => calls.push([a, b]), i, "x");
      }
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      assert.deepEqual(calls, Array.from({ length: 10 }, (_, i) => [i, "x"]));
      await runOnce(loop);
      assert.equal(calls.length, 10);
    });
  });

  Deno.test(`${name}.callSoon() returns a Handle, not a TimerHandle`, async () => {
    await withLoop(make, (loop) => {
      const handle = loop.callSoon(() => {});
      assert.ok(handle instanceof Handle);
      assert.ok(!(handle instanceof TimerHandle));
      assert.equal(handle.cancelled(), false);
    });
  });

  Deno.test(`${name}.callSoon() from a callback waits for the next iteration`, async () => {
    await withLoop(make, async (loop) => {
      const calls: string[] = [];
      loop.callSoon(() => {
        calls.push("a");
        loop.callSoon(() => calls.push("c"));
      });
      loop.callSoon(() => calls.push("b"));
      await runOnce(loop);
      assert.deepEqual(calls, ["a", "b"]);
      await runOnce(loop);
      assert.deepEqual(calls, ["a", "b", "c"]);
    });
  });

  Deno.test(`${name}.callSoon() handles cancelled before their turn never run`, async () => {
    await withLoop(make, async (loop) => {
      const calls: string[] = [];
      const a = loop.callSoon(() => calls.push("a"));
      let c: Handle | null = null;
      loop.callSoon(() => {
        calls.push("b");
        // Cancelled by an earlier callback of the same iteration.
        c!.cancel();
      });
      c = loop.callSoon(() => calls.push("c"));
      loop.callSoon(() => calls.push("d"));
      a.cancel();
      await runOnce(loop);
      assert.deepEqual(calls, ["b", "d"]);
      assert.ok(a.cancelled() && c.cancelled());
      await runOnce(loop);
      assert.deepEqual(calls, ["b", "d"]);
    });
  });

  Deno.test(`${name}.callSoon() keeps FIFO order across many iterations and a growing queue`, async () => {
    await withLoop(make, async (loop) => {
      const seen: number[] = [];
      let next = 0;
      // Each callback schedules two more until 5000 have run: the queue grows
      // and wraps around while order must stay first-in, first-out.
      const cb = (n: number): void => {
        seen.push(n);
        if (next < 5000) loop.callSoon(cb, ++next);
        if (next < 5000) loop.callSoon(cb, ++next);
        if (seen.length === 5001) loop.stop();
      };
      loop.callSoon(cb, 0);
      await loop.runForever();
      assert.deepEqual(seen, Array.from({ length: 5001 }, (_, i) => i));
    });
  });

  Deno.test(`${name}.callSoon() callbacks see the loop as running`, async () => {
    await withLoop(make, async (loop) => {
      let inside: [boolean, unknown] | null = null;
      loop.callSoon(() => {
        inside = [loop.isRunning(), getRunningLoop()];
      });
      assert.equal(loop.isRunning(), false);
      await runOnce(loop);
      assert.deepEqual(inside, [true, loop]);
      assert.equal(loop.isRunning(), false);
      assert.throws(() => getRunningLoop(), errorLike(RuntimeError, "No running event loop"));
    });
  });

  Deno.test(`${name}.callSoonThreadsafe() schedules like callSoon`, async () => {
    await withLoop(make, async (loop) => {
      const calls: number[] = [];
      loop.callSoon(() => calls.push(1));
      const handle = loop.callSoonThreadsafe((n: number) => calls.push(n), 2);
      assert.ok(handle instanceof Handle);
      await runOnce(loop);
      assert.deepEqual(calls, [1, 2]);
    });
  });

  // ------------------------------------------------------------------
  // stop() and runForever().

  Deno.test(`${name}.stop() in a callback finishes the iteration, and runForever() resumes later`, async () => {
    await withLoop(make, async (loop) => {
      const calls: string[] = [];
      loop.callSoon(() => {
        calls.push("a");
        loop.stop();
        loop.callSoon(() => calls.push("later"));
      });
      // Already ready when the iteration started: runs in it despite stop().
      loop.callSoon(() => calls.push("b"));
      await loop.runForever();
      assert.deepEqual(calls, ["a", "b"]);
      assert.equal(loop.isRunning(), false);
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      assert.deepEqual(calls, ["a", "b", "later"]);
    });
  });

  Deno.test(`${name}.stop() before runForever() runs exactly one iteration`, async () => {
    await withLoop(make, async (loop) => {
      const calls: number[] = [];
      loop.callSoon(() => {
        calls.push(1);
        loop.callSoon(() => calls.push(2));
      });
      loop.stop();
      await loop.runForever();
      assert.deepEqual(calls, [1]);
      // The stop request was consumed: the next run goes on until stopped again.
      loop.callSoon(() => loop.callSoon(() => loop.stop()));
      await loop.runForever();
      assert.deepEqual(calls, [1, 2]);
    });
  });

  Deno.test(`${name}.stop() called twice in one iteration stops once`, async () => {
    await withLoop(make, async (loop) => {
      let runs = 0;
      loop.callSoon(() => {
        loop.stop();
        loop.stop();
      });
      await loop.runForever();
      loop.callSoon(() => runs++);
      loop.callSoon(() => loop.callSoon(() => loop.stop()));
      await loop.runForever();
      assert.equal(runs, 1);
    });
  });

  Deno.test(`${name}.stop() from a callback returns without waiting for a far timer`, async () => {
    await withLoop(make, async (loop) => {
      let fired = false;
      const timer = loop.callLater(3600, () => {
        fired = true;
      });
      // Stop from a callback the loop runs, before the timer would be reached.
      loop.callSoon(() => loop.stop());
      const t0 = loop.time();
      await loop.runForever();
      assert.equal(fired, false);
      assert.equal(loop.time(), t0);
      timer.cancel();
    });
  });

  Deno.test(`${name}.runForever() resolves after stop() and can run again many times`, async () => {
    await withLoop(make, async (loop) => {
      let count = 0;
      for (let i = 0; i < 20; i++) {
        loop.callSoon(() => {
          count++;
          loop.stop();
        });
        await loop.runForever();
      }
      assert.equal(count, 20);
    });
  });

  // ------------------------------------------------------------------
  // runUntilComplete().

  Deno.test(`${name}.runUntilComplete() returns the future's result`, async () => {
    await withLoop(make, async (loop) => {
      const fut = loop.createFuture<string>();
      loop.callLater(1, () => fut.setResult("done"));
      assert.equal(await loop.runUntilComplete(fut), "done");
      assert.equal(loop.isRunning(), false);
    });
  });

  Deno.test(`${name}.runUntilComplete() throws the future's exception`, async () => {
    await withLoop(make, async (loop) => {
      const fut = loop.createFuture<string>();
      const boom = new TypeError("boom");
      loop.callSoon(() => fut.setException(boom));
      await assert.rejects(loop.runUntilComplete(fut), (err) => err === boom);
    });
  });

  Deno.test(`${name}.runUntilComplete() throws CancelledError for a cancelled future`, async () => {
    await withLoop(make, async (loop) => {
      const fut = loop.createFuture<string>();
      loop.callSoon(() => fut.cancel("no more"));
      await assert.rejects(loop.runUntilComplete(fut), errorLike(CancelledError, "no more"));
    });
  });

  Deno.test(`${name}.runUntilComplete() accepts a promise and a task`, async () => {
    await withLoop(make, async (loop) => {
      assert.equal(await loop.runUntilComplete(Promise.resolve(7)), 7);
      await assert.rejects(loop.runUntilComplete(Promise.reject(new Error("nope"))), /nope/);
      const task = loop.createTask(async () => {
        await sleep(5);
        return "slept";
      });
      assert.equal(await loop.runUntilComplete(task), "slept");
    });
  });

  Deno.test(`${name}.runUntilComplete() of a done future returns after one iteration`, async () => {
    await withLoop(make, async (loop) => {
      const fut = loop.createFuture<number>();
      fut.setResult(3);
      const calls: number[] = [];
      loop.callSoon(() => calls.push(1));
      assert.equal(await loop.runUntilComplete(fut), 3);
      assert.deepEqual(calls, [1]);
    });
  });

  Deno.test(`${name}.runUntilComplete() throws when the loop stops before the future is done`, async () => {
    await withLoop(make, async (loop) => {
      const fut = loop.createFuture<number>();
      loop.callSoon(() => loop.stop());
      await assert.rejects(
        loop.runUntilComplete(fut),
        errorLike(RuntimeError, "Event loop stopped before Future completed"),
      );
      // The future is untouched and the loop still usable.
      assert.equal(fut.done(), false);
      loop.callSoon(() => fut.setResult(1));
      assert.equal(await loop.runUntilComplete(fut), 1);
    });
  });

  Deno.test(`${name}.runUntilComplete() rejects a future of another loop`, async () => {
    await withLoop(make, async (loop) => {
      const other = make();
      try {
        const fut = other.createFuture<number>();
        await assert.rejects(
          loop.runUntilComplete(fut),
          errorLike(RuntimeError, /different loop/),
        );
        assert.equal(loop.isRunning(), false);
        fut.cancel();
      } finally {
        other.close();
      }
    });
  });

  Deno.test(`${name}.runUntilComplete() leaves no stop request behind`, async () => {
    await withLoop(make, async (loop) => {
      const fut = loop.createFuture<number>();
      loop.callSoon(() => fut.setResult(1));
      await loop.runUntilComplete(fut);
      // A later runForever() must go on until its own stop().
      const calls: number[] = [];
      loop.callSoon(() => {
        calls.push(1);
        loop.callSoon(() => {
          calls.push(2);
          loop.stop();
        });
      });
      await loop.runForever();
      assert.deepEqual(calls, [1, 2]);
    });
  });

  // ------------------------------------------------------------------
  // State errors.

  Deno.test(`${name}.runForever() on a running loop throws "This event loop is already running"`, async () => {
    await withLoop(make, async (loop) => {
      const errors: unknown[] = [];
      loop.callSoon(() => {
        loop.runForever().catch((e) => errors.push(e));
        loop.runUntilComplete(Promise.resolve(1)).catch((e) => errors.push(e));
        loop.stop();
      });
      await loop.runForever();
      assert.equal(errors.length, 2);
      for (const err of errors) {
        errorLike(RuntimeError, "This event loop is already running")(err);
      }
    });
  });

  Deno.test(`${name}.runForever() while another loop runs throws RuntimeError`, async () => {
    await withLoop(make, async (loop) => {
      const other = make();
      try {
        let error: unknown;
        loop.callSoon(async () => {
          try {
            await other.runForever();
          } catch (e) {
            error = e;
          }
          loop.stop();
        });
        await loop.runForever();
        errorLike(RuntimeError, /another loop is running/)(error);
        assert.equal(other.isRunning(), false);
      } finally {
        other.close();
      }
    });
  });

  Deno.test(`${name}.close() in a callback throws, and close() afterwards closes`, async () => {
    await withLoop(make, async (loop) => {
      let error: unknown;
      loop.callSoon(() => {
        try {
          loop.close();
        } catch (e) {
          error = e;
        }
        loop.stop();
      });
      await loop.runForever();
      errorLike(RuntimeError, /running event loop/)(error);
      assert.equal(loop.isClosed(), false);
      loop.close();
      assert.equal(loop.isClosed(), true);
      loop.close(); // idempotent
      assert.equal(loop.isClosed(), true);
    });
  });

  Deno.test(`${name}.close() drops pending callbacks and timers`, async () => {
    const loop = make();
    const calls: string[] = [];
    loop.callSoon(() => calls.push("soon"));
    loop.callLater(1, () => calls.push("later"));
    loop.close();
    await Promise.resolve();
    assert.deepEqual(calls, []);
  });

  Deno.test(`${name} methods on a closed loop throw "Event loop is closed"`, async () => {
    const loop = make();
    loop.close();
    const closed = errorLike(RuntimeError, "Event loop is closed");
    assert.throws(() => loop.callSoon(() => {}), closed);
    assert.throws(() => loop.callSoonThreadsafe(() => {}), closed);
    assert.throws(() => loop.callLater(1, () => {}), closed);
    assert.throws(() => loop.callAt(1, () => {}), closed);
    assert.throws(() => loop.createTask(async () => {}), closed);
    assert.throws(() => loop.runInExecutor(null, () => 1), closed);
    await assert.rejects(loop.runForever(), closed);
    await assert.rejects(loop.runUntilComplete(Promise.resolve(1)), closed);
    assert.equal(loop.isRunning(), false);
  });

  // ------------------------------------------------------------------
  // Bad input.

  Deno.test(`${name}.callSoon() and friends reject a non-function callback with a TypeError naming the method`, async () => {
    await withLoop(make, (loop) => {
      for (const bad of [null, undefined, 42, "cb", {}, Promise.resolve()]) {
        // deno-lint-ignore no-explicit-any
        const cb = bad as any;
        assert.throws(() => loop.callSoon(cb), errorLike(TypeError, /callSoon\(\)/));
        assert.throws(() => loop.callLater(1, cb), errorLike(TypeError, /callLater\(\)/));
        assert.throws(() => loop.callAt(1, cb), errorLike(TypeError, /callAt\(\)/));
      }
    });
  });

  Deno.test({
    name:
      `${name}.callSoonThreadsafe() rejects a non-function callback with a TypeError naming the method`,
    fn: async () => {
      await withLoop(make, (loop) => {
        // deno-lint-ignore no-explicit-any
        const bad = 42 as any;
        assert.throws(
          () => loop.callSoonThreadsafe(bad),
          errorLike(TypeError, /callSoonThreadsafe\(\)/),
        );
      });
    },
  });

  Deno.test(`${name}.callLater() and callAt() reject a non-finite time with a RangeError`, async () => {
    await withLoop(make, (loop) => {
      for (const bad of [NaN, Infinity, -Infinity, "1", null, undefined]) {
        // deno-lint-ignore no-explicit-any
        const t = bad as any;
        assert.throws(() => loop.callLater(t, () => {}), errorLike(RangeError, /delay/));
        assert.throws(() => loop.callAt(t, () => {}), errorLike(RangeError, /when/));
      }
    });
  });

  Deno.test(`${name}.setExceptionHandler() and setTaskFactory() reject a non-function`, async () => {
    await withLoop(make, (loop) => {
      // deno-lint-ignore no-explicit-any
      const bad = "handler" as any;
      assert.throws(() => loop.setExceptionHandler(bad), errorLike(TypeError, /handler/));
      assert.throws(() => loop.setTaskFactory(bad), errorLike(TypeError, /factory/));
      assert.equal(loop.getExceptionHandler(), null);
      assert.equal(loop.getTaskFactory(), null);
    });
  });

  // ------------------------------------------------------------------
  // The exception handler.

  Deno.test(`${name}.callSoon() callbacks that throw reach the exception handler and the loop goes on`, async () => {
    await withLoop(make, async (loop) => {
      const contexts = recordErrors(loop);
      const calls: string[] = [];
      const boom = new Error("boom");
      const handle = loop.callSoon(function failing() {
        throw boom;
      });
      loop.callSoon(() => calls.push("after"));
      loop.callLater(1, () => {
        calls.push("timer");
        throw "not an Error";
      });
      loop.callLater(2, () => {
        calls.push("timer 2");
        loop.stop();
      });
      await loop.runForever();
      assert.deepEqual(calls, ["after", "timer", "timer 2"]);
      assert.equal(contexts.length, 2);
      assert.equal(contexts[0].exception, boom);
      assert.equal(contexts[0].handle, handle);
      assert.match(contexts[0].message, /Exception in callback failing\(\)/);
      assert.equal(contexts[1].exception, "not an Error");
      assert.ok(contexts[1].handle instanceof TimerHandle);
    });
  });

  Deno.test(`${name}.defaultExceptionHandler() logs the message, the other keys and the exception`, async () => {
    await withLoop(make, async (loop) => {
      using log = captureLog();
      const boom = new Error("boom");
      loop.callSoon(function failing() {
        throw boom;
      });
      await runOnce(loop);
      assert.equal(log.length, 1);
      assert.equal(log[0].level, "error");
      assert.match(log[0].message, /^Exception in callback failing\(\)/);
      assert.match(log[0].message, /handle: <Handle failing\(\)>/);
      assert.deepEqual(log[0].details, [boom]);
      loop.defaultExceptionHandler({ message: "", extra: 5, skipped: undefined });
      assert.equal(log[1].message, "Unhandled exception in event loop\nextra: 5");
      assert.deepEqual(log[1].details, []);
    });
  });

  Deno.test(`${name}.setExceptionHandler() replaces the handler; null restores the default`, async () => {
    await withLoop(make, async (loop) => {
      using log = captureLog();
      const seen: [unknown, ExceptionContext][] = [];
      const handler = (l: unknown, ctx: ExceptionContext): void => {
        seen.push([l, ctx]);
      };
      loop.setExceptionHandler(handler);
      assert.equal(loop.getExceptionHandler(), handler);
      loop.callExceptionHandler({ message: "custom", answer: 42 });
      assert.equal(seen.length, 1);
      assert.equal(seen[0][0], loop);
      assert.deepEqual(seen[0][1], { message: "custom", answer: 42 });
      assert.equal(log.length, 0);
      loop.setExceptionHandler(null);
      assert.equal(loop.getExceptionHandler(), null);
      loop.callExceptionHandler({ message: "default" });
      assert.equal(seen.length, 1);
      assert.equal(log.length, 1);
      assert.equal(log[0].message, "default");
      await runOnce(loop);
    });
  });

  Deno.test(`${name}.callExceptionHandler() logs an error thrown by the handler and the loop goes on`, async () => {
    await withLoop(make, async (loop) => {
      using log = captureLog();
      const handlerError = new Error("handler failed");
      loop.setExceptionHandler(() => {
        throw handlerError;
      });
      const calls: string[] = [];
      loop.callSoon(() => {
        throw new Error("callback failed");
      });
      loop.callSoon(() => calls.push("next"));
      loop.callSoon(() => loop.stop());
      await loop.runForever();
      assert.deepEqual(calls, ["next"]);
      assert.equal(log.length, 1);
      assert.match(log[0].message, /Unhandled error in exception handler/);
      assert.match(log[0].message, /Exception in callback/);
      assert.deepEqual(log[0].details, [handlerError]);
    });
  });

  Deno.test(`${name}.callExceptionHandler() survives a default handler that throws`, async () => {
    await withLoop(make, async (loop) => {
      using log = captureLog();
      // A default handler that fails: the failure is logged, never thrown.
      loop.defaultExceptionHandler = () => {
        throw new Error("default failed");
      };
      loop.callExceptionHandler({ message: "x" });
      assert.equal(log.length, 1);
      assert.match(log[0].message, /Exception in default exception handler/);
      await runOnce(loop);
    });
  });

  Deno.test(`${name} reports an unhandled promise rejection through the exception handler while it runs`, async () => {
    await withLoop(make, async (loop) => {
      const contexts = recordErrors(loop);
      const boom = new Error("nobody awaits me");
      loop.callSoon(() => {
        Promise.reject(boom);
        // A cancellation that nobody awaits is the cancellation working: not reported.
        Promise.reject(new CancelledError());
      });
      // Wait on a host timer so the host gets to report the rejection.
      await loop.runUntilComplete(new Promise((resolve) => setTimeout(resolve, 20)));
      assert.equal(contexts.length, 1);
      assert.equal(contexts[0].exception, boom);
      assert.match(contexts[0].message, /Unhandled promise rejection/);
    });
  });

  // ------------------------------------------------------------------
  // Timers against a spinning callback.

  Deno.test(`${name}.callSoon() a callback that keeps rescheduling itself does not starve a due timer`, async () => {
    await withLoop(make, async (loop) => {
      let spins = 0;
      let timerSpins = -1;
      // Due at once: the ready queue never empties, so only the per-iteration
      // collection of due timers can run it.
      loop.callAt(loop.time(), () => {
        timerSpins = spins;
      });
      const spin = (): void => {
        spins++;
        if (timerSpins >= 0 || spins > 1000) loop.stop();
        else loop.callSoon(spin);
      };
      loop.callSoon(spin);
      await loop.runForever();
      assert.ok(timerSpins >= 0, "the due timer never ran");
      assert.ok(timerSpins <= 1, `the timer ran after ${timerSpins} spins`);
    });
  });

  Deno.test(`${name} runs a resumed task's step to its next suspension before the next callback`, async () => {
    await withLoop(make, async (loop) => {
      const order: string[] = [];
      const fut = loop.createFuture<number>();
      const task = loop.createTask(async () => {
        await fut;
        // Native awaits inside one step: asyncio would run all of this
        // before the callback queued behind the task's wake-up.
        for (let i = 0; i < 20; i++) await null;
        await Promise.resolve();
        order.push("task step");
        await sleep(0);
        order.push("task next step");
      });
      loop.callSoon(() => {
        fut.setResult(1);
        loop.callSoon(() => order.push("callback"));
      });
      await loop.runUntilComplete(task);
      assert.deepEqual(order, ["task step", "callback", "task next step"]);
    });
  });

  Deno.test(`${name} does not wait forever for a task blocked on a host promise`, async () => {
    await withLoop(make, async (loop) => {
      const order: string[] = [];
      const fut = loop.createFuture<number>();
      const task = loop.createTask(async () => {
        await fut;
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push("task after host promise");
      });
      loop.callSoon(() => {
        fut.setResult(1);
        loop.callSoon(() => order.push("callback"));
      });
      await loop.runUntilComplete(task);
      assert.deepEqual(order, ["callback", "task after host promise"]);
    });
  });

  Deno.test(`${name} handles unhandled rejections only while it runs`, async () => {
    await withLoop(make, async (loop) => {
      const contexts = recordErrors(loop);
      const dispatch = (): PromiseRejectionEvent => {
        const promise = Promise.reject(new Error("synthetic"));
        promise.catch(() => {});
        const event = new PromiseRejectionEvent("unhandledrejection", {
          promise,
          reason: new Error("synthetic"),
          cancelable: true,
        });
        globalThis.dispatchEvent(event);
        return event;
      };
      let during: PromiseRejectionEvent | null = null;
      loop.callSoon(() => {
        during = dispatch();
      });
      await runOnce(loop);
      assert.equal(during!.defaultPrevented, true);
      assert.equal(contexts.length, 1);
      // Stopped: the loop's listener is gone, the host's default applies.
      const after = dispatch();
      assert.equal(after.defaultPrevented, false);
      assert.equal(contexts.length, 1);
    });
  });

  // ------------------------------------------------------------------
  // Futures, tasks, factories.

  Deno.test(`${name}.createFuture() makes a pending future of this loop`, async () => {
    await withLoop(make, (loop) => {
      const fut = loop.createFuture<number>();
      assert.ok(fut instanceof Future);
      assert.equal(fut.getLoop(), loop);
      assert.equal(fut.done(), false);
      fut.cancel();
    });
  });

  Deno.test(`${name}.createTask() runs the function as a task of this loop`, async () => {
    await withLoop(make, async (loop) => {
      const task = loop.createTask(async () => {
        await sleep(1);
        return getRunningLoop();
      }, { name: "worker" });
      assert.ok(task instanceof Task);
      assert.equal(task.getName(), "worker");
      assert.equal(task.getLoop(), loop);
      assert.equal(await loop.runUntilComplete(task), loop);
    });
  });

  Deno.test(`${name}.setTaskFactory() makes createTask() use the factory; null restores the default`, async () => {
    await withLoop(make, async (loop) => {
      const made: string[] = [];
      const factory: TaskFactory = (l, fn, options) => {
        made.push(options?.name ?? "?");
        return new Task(fn, { ...options, loop: l });
      };
      loop.setTaskFactory(factory);
      assert.equal(loop.getTaskFactory(), factory);
      const task = loop.createTask(() => 1, { name: "made" });
      assert.equal(task.getName(), "made");
      assert.equal(await loop.runUntilComplete(task), 1);
      assert.deepEqual(made, ["made"]);
      loop.setTaskFactory(null);
      assert.equal(loop.getTaskFactory(), null);
      await loop.runUntilComplete(loop.createTask(() => 2));
      assert.deepEqual(made, ["made"]);
    });
  });

  // ------------------------------------------------------------------
  // Debug mode.

  Deno.test(`${name}.setDebug() toggles debug mode and handles record where they were created`, async () => {
    using _log = captureLog();
    await withLoop(make, async (loop) => {
      assert.equal(loop.getDebug(), false);
      assert.equal(loop.callSoon(() => {}).sourceTraceback, undefined);
      loop.setDebug(true);
      assert.equal(loop.getDebug(), true);
      const handle = loop.callSoon(() => {});
      assert.match(handle.sourceTraceback ?? "", /base_event_loop_test\.ts/);
      assert.match(loop.createFuture().sourceTraceback ?? "", /base_event_loop_test\.ts/);
      loop.setDebug(false);
      assert.equal(loop.getDebug(), false);
      await runOnce(loop);
    });
  });

  Deno.test(`${name}.slowCallbackDuration is 0.1 by default and debug mode warns about slower callbacks`, async () => {
    // Captured until after close(), which debug mode logs too.
    using log = captureLog();
    await withLoop(make, async (loop) => {
      assert.equal(loop.slowCallbackDuration, 0.1);
      loop.setDebug(true);
      loop.slowCallbackDuration = 0.005;
      loop.callSoon(function slow() {
        const end = performance.now() + 20;
        while (performance.now() < end) { /* busy */ }
      });
      loop.callSoon(function fast() {});
      await runOnce(loop);
      const warnings = log.filter((e) => e.level === "warn");
      assert.equal(warnings.length, 1);
      assert.match(warnings[0].message, /Executing <Handle slow\(\)> took \d+\.\d{3} seconds/);
    });
  });

  Deno.test(`${name}.toString() shows the state`, async () => {
    await withLoop(make, async (loop) => {
      const cls = loop.constructor.name;
      assert.equal(String(loop), `<${cls} running=false closed=false debug=false>`);
      let inside = "";
      loop.callSoon(() => {
        inside = String(loop);
      });
      await runOnce(loop);
      assert.equal(inside, `<${cls} running=true closed=false debug=false>`);
      loop.close();
      assert.equal(String(loop), `<${cls} running=false closed=true debug=false>`);
    });
  });

  // ------------------------------------------------------------------
  // Shutdown hooks and subsystems that land later.

  Deno.test(`${name}.shutdownAsyncgens() resolves at once`, async () => {
    await withLoop(make, async (loop) => {
      assert.equal(await loop.runUntilComplete(loop.shutdownAsyncgens()), undefined);
    });
  });

  Deno.test(`${name}.shutdownDefaultExecutor() resolves and then runInExecutor() refuses work`, async () => {
    await withLoop(make, async (loop) => {
      assert.throws(() => loop.runInExecutor(null, () => 1), NotImplementedError);
      assert.equal(await loop.runUntilComplete(loop.shutdownDefaultExecutor()), undefined);
      assert.throws(
        () => loop.runInExecutor(null, () => 1),
        errorLike(RuntimeError, /shutdownDefaultExecutor\(\) was called/),
      );
    });
  });

  const PROACTOR_IMPLEMENTED = new Set([
    "getaddrinfo",
    "getnameinfo",
    "createConnection",
    "createServer",
    "createUnixConnection",
    "createUnixServer",
    "connectReadPipe",
    "connectWritePipe",
    // Both loops (tests/transports/sendfile_test.ts).
    "sendfile",
    "sockSendfile",
    // Both loops (tests/transports/sock_test.ts, sock_transport_test.ts).
    "sockRecv",
    "sockRecvInto",
    "sockSendall",
    "sockConnect",
    "sockAccept",
    "connectAcceptedSocket",
  ]);
  // The selector loop's readiness API (tests/transports/selector_loop_test.ts)
  // and its TCP transports (tests/transports/tcp_test.ts).
  const SELECTOR_IMPLEMENTED = new Set([
    "createConnection",
    "createServer",
    "sockRecv",
    "sockRecvInto",
    "sockSendall",
    "sockConnect",
    "sockAccept",
    "addReader",
    "removeReader",
    "addWriter",
    "removeWriter",
    "sendfile",
    "sockSendfile",
    // tests/transports/epoll_transport_test.ts.
    "connectAcceptedSocket",
    // Name resolution, Unix sockets and pipes (tests/transports/{resolution,unix,pipes}_test.ts).
    "getaddrinfo",
    "getnameinfo",
    "createUnixConnection",
    "createUnixServer",
    "connectReadPipe",
    "connectWritePipe",
    "connectAcceptedSocket",
  ]);

  Deno.test(`${name} methods whose subsystem lands later throw NotImplementedError naming it`, async () => {
    await withLoop(make, async (loop) => {
      // deno-lint-ignore no-explicit-any
      const l = loop as any;
      const asyncMethods: [string, RegExp][] = [
        ["getaddrinfo", /transports/],
        ["getnameinfo", /transports/],
        ["createConnection", /transports/],
        ["createServer", /transports/],
        ["sendfile", /transports/],
        ["startTls", /TLS/],
        ["createUnixConnection", /transports/],
        ["createUnixServer", /transports/],
        ["connectAcceptedSocket", /transports/],
        ["createDatagramEndpoint", /UDP/],
        ["connectReadPipe", /transports/],
        ["connectWritePipe", /transports/],
        ["subprocessShell", /subprocess/],
        ["subprocessExec", /subprocess/],
        ["sockRecv", /transports/],
        ["sockRecvInto", /transports/],
        ["sockRecvfrom", /UDP/],
        ["sockRecvfromInto", /UDP/],
        ["sockSendall", /transports/],
        ["sockSendto", /UDP/],
        ["sockConnect", /transports/],
        ["sockAccept", /transports/],
        ["sockSendfile", /transports/],
      ];
      for (const [method, area] of asyncMethods) {
        // The proactor loop's TCP, Unix, pipe and name resolution methods exist (tests/transports/).
        if (loop instanceof ProactorEventLoop && PROACTOR_IMPLEMENTED.has(method)) {
          continue;
        }
        if (loop instanceof SelectorEventLoop && SELECTOR_IMPLEMENTED.has(method)) continue;
        await assert.rejects(
          l[method](),
          errorLike(NotImplementedError, new RegExp(`loop\\.${method}\\(\\).*${area.source}`)),
        );
      }
      const syncMethods: [string, RegExp][] = [
        ["addReader", /transports/],
        ["removeReader", /transports/],
        ["addWriter", /transports/],
        ["removeWriter", /transports/],
        ["addSignalHandler", /signals/],
        ["removeSignalHandler", /signals/],
        ["runInExecutor", /executor/],
        ["setDefaultExecutor", /executor/],
      ];
      for (const [method, area] of syncMethods) {
        if (loop instanceof SelectorEventLoop && SELECTOR_IMPLEMENTED.has(method)) continue;
        assert.throws(
          () => l[method](null, () => {}),
          errorLike(NotImplementedError, new RegExp(`loop\\.${method}\\(\\).*${area.source}`)),
        );
      }
    });
  });
}

// ----------------------------------------------------------------------
// On the real clock.

for (const [name, make] of REAL_LOOPS) {
  Deno.test(`${name}.callSoon() a callback that keeps rescheduling itself does not starve a timer on the real clock`, async () => {
    await withLoop(make, async (loop) => {
      let spins = 0;
      let timerSpins = -1;
      loop.callLater(0.005, () => {
        timerSpins = spins;
        loop.stop();
      });
      const deadline = performance.now() + 5000;
      const spin = (): void => {
        spins++;
        if (performance.now() > deadline) loop.stop();
        else loop.callSoon(spin);
      };
      loop.callSoon(spin);
      await loop.runForever();
      assert.ok(timerSpins >= 0, "the timer never ran while a callback spun");
    });
  });

  Deno.test(`${name}.callSoon() from host code wakes a loop that sleeps on a far timer`, async () => {
    await withLoop(make, async (loop) => {
      const timer = loop.callLater(3600, () => {});
      const fut = loop.createFuture<string>();
      const id = setTimeout(() => loop.callSoon(() => fut.setResult("woken")), 5);
      const t0 = performance.now();
      try {
        assert.equal(await loop.runUntilComplete(fut), "woken");
      } finally {
        clearTimeout(id);
      }
      assert.ok(performance.now() - t0 < 3000);
      timer.cancel();
    });
  });

  Deno.test(`${name}.stop() from host code wakes a loop that sleeps on a far timer`, async () => {
    await withLoop(make, async (loop) => {
      loop.callLater(3600, () => {});
      const id = setTimeout(() => loop.stop(), 5);
      const t0 = performance.now();
      await loop.runForever();
      clearTimeout(id);
      assert.ok(performance.now() - t0 < 3000);
    });
  });
}

Deno.test("BaseEventLoop has every method of asyncio's AbstractEventLoop, in camelCase", () => {
  const methods = [
    "runForever",
    "runUntilComplete",
    "stop",
    "isRunning",
    "isClosed",
    "close",
    "shutdownAsyncgens",
    "shutdownDefaultExecutor",
    "callSoon",
    "callLater",
    "callAt",
    "time",
    "createFuture",
    "createTask",
    "callSoonThreadsafe",
    "runInExecutor",
    "setDefaultExecutor",
    "getaddrinfo",
    "getnameinfo",
    "createConnection",
    "createServer",
    "sendfile",
    "startTls",
    "createUnixConnection",
    "createUnixServer",
    "connectAcceptedSocket",
    "createDatagramEndpoint",
    "connectReadPipe",
    "connectWritePipe",
    "subprocessShell",
    "subprocessExec",
    "addReader",
    "removeReader",
    "addWriter",
    "removeWriter",
    "sockRecv",
    "sockRecvInto",
    "sockRecvfrom",
    "sockRecvfromInto",
    "sockSendall",
    "sockSendto",
    "sockConnect",
    "sockAccept",
    "sockSendfile",
    "addSignalHandler",
    "removeSignalHandler",
    "setTaskFactory",
    "getTaskFactory",
    "getExceptionHandler",
    "setExceptionHandler",
    "defaultExceptionHandler",
    "callExceptionHandler",
    "getDebug",
    "setDebug",
  ];
  for (const [, make] of LOOPS) {
    const loop = make();
    const missing = methods.filter((m) =>
      typeof (loop as unknown as Record<string, unknown>)[m] !== "function"
    );
    assert.deepEqual(missing, [], `${loop.constructor.name} lacks ${missing.join(", ")}`);
    assert.equal(typeof loop.slowCallbackDuration, "number");
    loop.close();
  }
});

Deno.test("SelectorEventLoop() and ProactorEventLoop() take a debug option; without env access debug is off", () => {
  for (const Loop of [SelectorEventLoop, ProactorEventLoop]) {
    // The tests run without --allow-env: ASYNCIO_DEBUG cannot be read, and asking must not prompt.
    const plain = new Loop();
    assert.equal(plain.getDebug(), false);
    const debug = new Loop({ debug: true });
    assert.equal(debug.getDebug(), true);
    plain.close();
    debug.setDebug(false);
    debug.close();
  }
});

Deno.test("BaseEventLoop dropped without close() is reported in debug mode only", async () => {
  const warnings: string[] = [];
  const capture: Logger = {
    error: () => {},
    warn: (m: string) => warnings.push(m),
    debug: () => {},
  };
  const previous = setLogger(capture);
  try {
    (() => {
      new SelectorEventLoop({ debug: true });
      new SelectorEventLoop({ debug: false });
      new SelectorEventLoop({ debug: true }).close();
    })();
    for (let i = 0; i < 200 && warnings.length === 0; i++) {
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(warnings, ["Unclosed event loop <SelectorEventLoop>: call close()"]);
  } finally {
    setLogger(previous);
  }
});
