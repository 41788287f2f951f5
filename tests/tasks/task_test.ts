// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * The Task API: creation, state, results, done callbacks, names, context,
 * stacks, currentTask()/allTasks(), the cancellation counters and the
 * "Task was destroyed but it is pending" report. Modelled on what CPython's
 * test_tasks.py checks of the Task object itself; cancellation delivery has
 * its own file (cancellation_test.ts).
 */
import assert from "node:assert/strict";
import {
  allTasks,
  CancelledError,
  Context,
  ContextVar,
  createTask,
  currentTask,
  type ExceptionContext,
  Future,
  InvalidStateError,
  type Logger,
  RuntimeError,
  setLogger,
  sleep,
  Task,
  type TaskFactory,
} from "../../mod.ts";
import {
  collectGarbage,
  hostTurn,
  inLoop,
  pending,
  rejection,
  resolved,
  take,
} from "./_task_helpers.ts";
import { TestLoop } from "../../testing/mod.ts";

// ----------------------------------------------------------------------
// Creation and the first step.

Deno.test("createTask() runs the body in the task's own step, not synchronously", async () => {
  await inLoop(async () => {
    const order: string[] = [];
    const task = createTask(async () => {
      order.push("body");
    });
    order.push("after createTask");
    assert.equal(task.done(), false);
    await task;
    assert.deepEqual(order, ["after createTask", "body"]);
  });
});

Deno.test("createTask() starts tasks in creation order", async () => {
  await inLoop(async () => {
    const order: number[] = [];
    const tasks = [0, 1, 2, 3].map((i) => createTask(async () => void order.push(i)));
    for (const t of tasks) await t;
    assert.deepEqual(order, [0, 1, 2, 3]);
  });
});

Deno.test("createTask() on the module and loop.createTask() make the same kind of task", async () => {
  await inLoop(async ({ loop }) => {
    const a = createTask(async () => "a");
    const b = loop.createTask(async () => "b");
    assert.ok(a instanceof Task && b instanceof Task);
    assert.ok(a instanceof Future);
    assert.equal(a.getLoop(), loop);
    assert.equal(b.getLoop(), loop);
    assert.deepEqual([await a, await b], ["a", "b"]);
  });
});

Deno.test("createTask() accepts a function that returns a plain value or throws synchronously", async () => {
  await inLoop(async () => {
    const value = createTask(() => 7);
    const boom = new Error("sync boom");
    const failing = createTask((): number => {
      throw boom;
    });
    assert.equal(await value, 7);
    assert.equal(await rejection(failing), boom);
    assert.equal(failing.exception(), boom);
  });
});

Deno.test("createTask() adopts the outcome of a future the function returns", async () => {
  await inLoop(async ({ loop }) => {
    const fut = pending<string>();
    const task = createTask(() => fut);
    loop.callLater(1, () => fut.setResult("from the future"));
    assert.equal(await task, "from the future");
  });
});

Deno.test("createTask() goes through the loop's task factory and keeps the name option", async () => {
  await inLoop(async ({ loop }) => {
    const made: string[] = [];
    const factory: TaskFactory = (l, fn, options) => {
      made.push(options?.name ?? "?");
      return new Task(fn, { ...options, loop: l });
    };
    loop.setTaskFactory(factory);
    try {
      assert.equal(loop.getTaskFactory(), factory);
      const task = createTask(async () => 1, { name: "via-factory" });
      assert.equal(task.getName(), "via-factory");
      assert.equal(await task, 1);
      assert.deepEqual(made, ["via-factory"]);
    } finally {
      loop.setTaskFactory(null);
    }
  });
});

Deno.test("createTask() outside a running loop throws RuntimeError", () => {
  assert.throws(() => createTask(async () => {}), RuntimeError);
});

// ----------------------------------------------------------------------
// State and outcome.

Deno.test("Task.result() and Task.exception() throw InvalidStateError while pending", async () => {
  await inLoop(async () => {
    const fut = pending<number>();
    const task = createTask(() => fut);
    assert.equal(task.done(), false);
    assert.equal(task.cancelled(), false);
    assert.throws(() => task.result(), InvalidStateError);
    assert.throws(() => task.exception(), InvalidStateError);
    fut.setResult(3);
    assert.equal(await task, 3);
  });
});

Deno.test("Task.result() returns the value and Task.exception() undefined after success", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      await sleep(1);
      return { answer: 42 };
    });
    await task;
    assert.equal(task.done(), true);
    assert.equal(task.cancelled(), false);
    assert.deepEqual(task.result(), { answer: 42 });
    assert.equal(task.exception(), undefined);
  });
});

Deno.test("Task.exception() returns the error and Task.result() throws it after failure", async () => {
  await inLoop(async () => {
    const boom = new TypeError("boom");
    const task = createTask(async () => {
      await sleep(1);
      throw boom;
    });
    assert.equal(await rejection(task), boom);
    assert.equal(task.cancelled(), false);
    assert.equal(task.exception(), boom);
    assert.throws(() => task.result(), (err) => err === boom);
  });
});

Deno.test("Task.result() and Task.exception() throw CancelledError after cancellation", async () => {
  await inLoop(async () => {
    const task = createTask(() => sleep(10));
    await sleep(0);
    assert.equal(task.cancel("stop"), true);
    await rejection(task);
    assert.equal(task.cancelled(), true);
    assert.equal(task.done(), true);
    assert.throws(() => task.result(), CancelledError);
    assert.throws(() => task.exception(), CancelledError);
    assert.throws(() => task.result(), (err) => (err as CancelledError).message === "stop");
  });
});

Deno.test("Task.setResult() and Task.setException() throw RuntimeError", async () => {
  await inLoop(async () => {
    const task = createTask(() => sleep(1));
    assert.throws(() => task.setResult(undefined), RuntimeError);
    assert.throws(() => task.setException(new Error("x")), RuntimeError);
    await task;
  });
});

Deno.test("Task.cancel() returns false once the task is done", async () => {
  await inLoop(async () => {
    const task = createTask(async () => 1);
    await task;
    assert.equal(task.cancel(), false);
    assert.equal(task.cancelling(), 0);
    assert.equal(task.cancelled(), false);
    assert.equal(task.result(), 1);
  });
});

Deno.test("Task awaited by several tasks hands each the same outcome", async () => {
  await inLoop(async () => {
    const shared = createTask(async () => {
      await sleep(1);
      return "shared";
    });
    const readers = [0, 1, 2].map((i) => createTask(async () => `${i}:${await shared}`));
    const results = [];
    for (const r of readers) results.push(await r);
    assert.deepEqual(results, ["0:shared", "1:shared", "2:shared"]);
  });
});

// ----------------------------------------------------------------------
// cancelling() and uncancel().

Deno.test("Task.cancelling() counts cancel requests and Task.uncancel() withdraws them", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      try {
        await sleep(10);
      } catch (err) {
        assert.ok(err instanceof CancelledError);
      }
      return currentTask()!.cancelling();
    });
    await sleep(0);
    assert.equal(task.cancelling(), 0);
    task.cancel();
    task.cancel();
    task.cancel();
    assert.equal(task.cancelling(), 3);
    assert.equal(task.uncancel(), 2);
    // Swallowing the cancellation does not reset the count (asyncio 3.11+).
    assert.equal(await task, 2);
    assert.equal(task.cancelled(), false);
  });
});

Deno.test("Task.uncancel() never goes below zero", async () => {
  await inLoop(async () => {
    const task = createTask(async () => 1);
    assert.equal(task.uncancel(), 0);
    assert.equal(task.cancelling(), 0);
    await task;
  });
});

Deno.test("Task.uncancel() back to zero withdraws a cancellation not yet delivered", async () => {
  await inLoop(async () => {
    let ran = false;
    const task = createTask(async () => {
      ran = true;
      await sleep(1);
      return "finished";
    });
    task.cancel();
    assert.equal(task.uncancel(), 0);
    assert.equal(await task, "finished");
    assert.equal(ran, true);
    assert.equal(task.cancelled(), false);
  });
});

Deno.test("Task.uncancel() inside the task lets later awaits run normally", async () => {
  await inLoop(async () => {
    const task = createTask(async () => {
      const me = currentTask()!;
      try {
        await sleep(10);
      } catch (err) {
        assert.ok(err instanceof CancelledError);
        assert.equal(me.uncancel(), 0);
      }
      await sleep(1);
      return me.cancelling();
    });
    await sleep(0);
    task.cancel();
    assert.equal(await task, 0);
  });
});

// ----------------------------------------------------------------------
// Done callbacks.

Deno.test("Task.addDoneCallback() calls back once, from the loop, with the task", async () => {
  await inLoop(async () => {
    const seen: unknown[] = [];
    const task = createTask(async () => {
      await sleep(1);
      return 5;
    });
    task.addDoneCallback((t) => seen.push(t.result()));
    await task;
    // The callback is scheduled, never called synchronously on completion.
    await sleep(0);
    assert.deepEqual(seen, [5]);
    await sleep(1);
    assert.deepEqual(seen, [5]);
  });
});

Deno.test("Task.addDoneCallback() on a done task runs at the next iteration", async () => {
  await inLoop(async () => {
    const task = createTask(async () => "x");
    await task;
    const seen: string[] = [];
    task.addDoneCallback((t) => seen.push(t.result()));
    assert.deepEqual(seen, []);
    await sleep(0);
    assert.deepEqual(seen, ["x"]);
  });
});

Deno.test("Task.addDoneCallback() also fires for failure and cancellation", async () => {
  await inLoop(async () => {
    const states: string[] = [];
    const failing = createTask(async () => {
      await sleep(1);
      throw new Error("f");
    });
    const cancelled = createTask(() => sleep(10));
    failing.addDoneCallback((t) => states.push(`failed:${(t.exception() as Error).message}`));
    cancelled.addDoneCallback((t) => states.push(`cancelled:${t.cancelled()}`));
    await sleep(0);
    cancelled.cancel();
    await rejection(failing);
    await rejection(cancelled);
    await sleep(0);
    assert.deepEqual(states.sort(), ["cancelled:true", "failed:f"]);
  });
});

Deno.test("Task.removeDoneCallback() removes every registration and returns the count", async () => {
  await inLoop(async () => {
    const calls: string[] = [];
    const a = () => calls.push("a");
    const b = () => calls.push("b");
    const task = createTask(() => sleep(1));
    task.addDoneCallback(a);
    task.addDoneCallback(b);
    task.addDoneCallback(a);
    assert.equal(task.removeDoneCallback(a), 2);
    assert.equal(task.removeDoneCallback(a), 0);
    await task;
    await sleep(0);
    assert.deepEqual(calls, ["b"]);
  });
});

Deno.test("Task.addDoneCallback() runs the callback in the given context", async () => {
  await inLoop(async () => {
    const v = new ContextVar<string>("v", { default: "unset" });
    const ctx = new Context();
    ctx.run(() => v.set("from ctx"));
    const seen: string[] = [];
    const task = createTask(async () => {});
    task.addDoneCallback(() => seen.push(v.get()), { context: ctx });
    v.set("snapshot");
    task.addDoneCallback(() => seen.push(v.get()));
    v.set("later");
    await task;
    await sleep(0);
    assert.deepEqual(seen, ["from ctx", "snapshot"]);
  });
});

// ----------------------------------------------------------------------
// Names, function, context, string form.

Deno.test("Task.getName() defaults to Task-N with increasing N", async () => {
  await inLoop(async () => {
    const a = createTask(async () => {});
    const b = createTask(async () => {});
    const na = Number(/^Task-(\d+)$/.exec(a.getName())?.[1]);
    const nb = Number(/^Task-(\d+)$/.exec(b.getName())?.[1]);
    assert.ok(Number.isInteger(na) && nb > na, `${a.getName()} then ${b.getName()}`);
    await a;
    await b;
  });
});

Deno.test("Task.setName() renames the task and Task.getName() reads it back", async () => {
  await inLoop(async () => {
    const task = createTask(async () => currentTask()!.getName(), { name: "first" });
    assert.equal(task.getName(), "first");
    task.setName("second");
    assert.equal(await task, "second");
    task.setName(12 as unknown as string);
    assert.equal(task.getName(), "12");
  });
});

Deno.test("Task.getCoro() returns the function the task runs", async () => {
  await inLoop(async () => {
    const fn = async () => 1;
    const task = createTask(fn);
    assert.equal(task.getCoro(), fn);
    await task;
    assert.equal(task.getCoro(), fn);
  });
});

Deno.test("Task.getContext() returns the context the task runs in", async () => {
  await inLoop(async () => {
    const v = new ContextVar<number>("v", { default: 0 });
    const task = createTask(async () => {
      v.set(5);
      await sleep(1);
    });
    await task;
    const ctx = task.getContext();
    assert.ok(ctx instanceof Context);
    assert.equal(ctx.get(v), 5);
    assert.equal(v.get(), 0);
  });
});

Deno.test("Task.toString() shows the state, the name and the function", async () => {
  await inLoop(async () => {
    const task = createTask(async function worker() {
      await sleep(1);
      return 3;
    }, { name: "w" });
    assert.equal(String(task), "<Task pending name='w' fn=worker()>");
    await task;
    assert.equal(String(task), "<Task finished result=3 name='w' fn=worker()>");
    const c = createTask(async () => {}, { name: "c" });
    c.cancel();
    await rejection(c);
    assert.match(String(c), /^<Task cancelled name='c' fn=/);
  });
});

// ----------------------------------------------------------------------
// Stacks.

function quietLogger(): Logger {
  return { error: () => {}, warn: () => {}, debug: () => {} };
}

Deno.test("Task.getStack() is empty outside debug mode and for done tasks", async () => {
  await inLoop(async () => {
    const fut = pending<void>();
    const task = createTask(async () => await fut);
    await sleep(0);
    assert.deepEqual(task.getStack(), []);
    fut.setResult();
    await task;
    assert.deepEqual(task.getStack(), []);
  });
});

Deno.test("Task.getStack() in debug mode names the async functions the task is suspended in", async () => {
  const previous = setLogger(quietLogger());
  try {
    await inLoop(async () => {
      const fut = pending<void>();
      async function innermostWait(): Promise<void> {
        await fut;
      }
      const task = createTask(async function outerWork() {
        await innermostWait();
      });
      await sleep(0);
      const stack = task.getStack();
      assert.ok(stack.some((f) => f.includes("innermostWait")), stack.join("\n"));
      assert.ok(stack.some((f) => f.includes("outerWork")), stack.join("\n"));
      assert.ok(!stack.some((f) => f.includes("/tasks/task.ts")), "library frames are left out");
      assert.equal(task.getStack({ limit: 1 }).length, 1);
      fut.setResult();
      await task;
      assert.deepEqual(task.getStack(), []);
    }, { debug: true });
  } finally {
    setLogger(previous);
  }
});

Deno.test({
  name: "Task.getStack() lists frames oldest first, most recent last, as asyncio does",
  fn: async () => {
    const previous = setLogger(quietLogger());
    try {
      await inLoop(async () => {
        const fut = pending<void>();
        async function innermostWait(): Promise<void> {
          await fut;
        }
        const task = createTask(async function outerWork() {
          await innermostWait();
        });
        await sleep(0);
        const stack = task.getStack();
        const inner = stack.findIndex((f) => f.includes("innermostWait"));
        const outer = stack.findIndex((f) => f.includes("outerWork"));
        assert.ok(outer >= 0 && inner > outer, stack.join("\n"));
        // With a limit, a stack keeps its newest frames (asyncio's rule for stacks).
        const newest = task.getStack({ limit: 1 });
        assert.equal(newest.length, 1);
        assert.match(newest[0], /innermostWait/);
        fut.setResult();
        await task;
      }, { debug: true });
    } finally {
      setLogger(previous);
    }
  },
});

Deno.test("Task.printStack() writes the task and its frames to the console", async () => {
  const previous = setLogger(quietLogger());
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    await inLoop(async () => {
      const fut = pending<void>();
      const task = createTask(async function suspendedHere() {
        await fut;
      }, { name: "printed" });
      await sleep(0);
      task.printStack();
      fut.setResult();
      await task;
      task.printStack();
    }, { debug: true });
  } finally {
    console.log = log;
    setLogger(previous);
  }
  assert.match(lines[0], /^Stack for <Task pending name='printed'/);
  assert.ok(lines.some((l) => l.includes("suspendedHere")), lines.join("\n"));
  assert.match(lines[lines.length - 1], /no frames$/);
});

// ----------------------------------------------------------------------
// currentTask() and allTasks().

Deno.test("currentTask() is the task running the code, across awaits", async () => {
  await inLoop(async () => {
    const main = currentTask();
    assert.ok(main instanceof Task);
    const task = createTask(async () => {
      const before = currentTask();
      await sleep(1);
      await Promise.resolve();
      return [before, currentTask()];
    });
    const [before, after] = await task;
    assert.equal(before, task);
    assert.equal(after, task);
    assert.equal(currentTask(), main);
  });
});

Deno.test("currentTask() is undefined in plain callbacks and outside the loop", async () => {
  assert.equal(currentTask(), undefined);
  await inLoop(async ({ loop }) => {
    const seen: unknown[] = [];
    const fut = pending<void>();
    loop.callSoon(() => {
      seen.push(currentTask());
      fut.setResult();
    });
    await fut;
    fut.addDoneCallback(() => seen.push(currentTask()));
    await sleep(0);
    assert.deepEqual(seen, [undefined, undefined]);
  });
  assert.equal(currentTask(), undefined);
});

Deno.test("allTasks() holds the pending tasks of the loop, and no done ones", async () => {
  await inLoop(async ({ loop }) => {
    const main = currentTask()!;
    const fut = pending<void>();
    const waiting = createTask(() => fut);
    const sleeping = createTask(() => sleep(5));
    const quick = createTask(async () => 1);
    const notStarted = createTask(async () => 2);
    assert.deepEqual(allTasks(), new Set([main, waiting, sleeping, quick, notStarted]));
    await quick;
    await notStarted;
    await sleep(0);
    assert.deepEqual(allTasks(), new Set([main, waiting, sleeping]));
    assert.deepEqual(allTasks(loop), allTasks());
    fut.setResult();
    await waiting;
    await sleeping;
    assert.deepEqual(allTasks(), new Set([main]));
  });
});

Deno.test("allTasks() without a loop throws RuntimeError", () => {
  assert.throws(() => allTasks(), RuntimeError);
});

// ----------------------------------------------------------------------
// Pending tasks that are lost: reported at close(), or when collected in debug mode.

Deno.test("Task left pending when its loop closes is reported as destroyed", async () => {
  const loop = new TestLoop();
  const reports: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => void reports.push(context));
  const forgotten = loop.createTask(() => new Future<void>({ loop }), { name: "forgotten" });
  await loop.runUntilComplete(loop.createTask(() => sleep(1)));
  assert.equal(forgotten.done(), false);
  loop.close();
  assert.equal(reports.length, 1);
  assert.match(reports[0].message, /^Task was destroyed but it is pending/);
  assert.match(reports[0].message, /name='forgotten'/);
  assert.equal(reports[0].task, forgotten);
});

Deno.test("run() cancels the tasks left pending instead of reporting them", async () => {
  let leftover: Task<unknown> | null = null;
  let cleanedUp = false;
  await inLoop(() => {
    leftover = createTask(async () => {
      try {
        await new Future<void>();
      } finally {
        cleanedUp = true;
      }
    });
  });
  assert.equal(leftover!.cancelled(), true);
  assert.equal(cleanedUp, true);
});

Deno.test("Task that is garbage-collected while pending is reported in debug mode", async () => {
  const previous = setLogger(quietLogger());
  try {
    await inLoop(async ({ reports }) => {
      (() => {
        // Suspended on a future nothing else references: the task becomes unreachable.
        createTask(async () => {
          await new Future<void>();
        }, { name: "abandoned" });
      })();
      await sleep(0);
      await sleep(0);
      for (let i = 0; i < 10 && reports.length === 0; i++) {
        collectGarbage();
        await hostTurn();
      }
      const got = take(reports);
      assert.equal(got.length, 1);
      assert.match(got[0].message, /^Task was destroyed but it is pending/);
      assert.match(got[0].message, /name='abandoned'/);
    }, { debug: true });
  } finally {
    setLogger(previous);
  }
});

Deno.test("Task that is done or still referenced is not reported when garbage is collected", async () => {
  const previous = setLogger(quietLogger());
  try {
    await inLoop(async ({ reports }) => {
      const kept = createTask(async () => {
        await new Future<void>();
      }, { name: "kept" });
      (() => {
        createTask(async () => {
          await resolved(1);
          await sleep(0);
        }, { name: "finished" });
      })();
      await sleep(0);
      await sleep(0);
      await sleep(0);
      for (let i = 0; i < 3; i++) {
        collectGarbage();
        await hostTurn();
      }
      assert.deepEqual(take(reports), []);
      assert.equal(kept.done(), false);
      kept.cancel();
      await rejection(kept);
    }, { debug: true });
  } finally {
    setLogger(previous);
  }
});

Deno.test({
  name: "Task that fails and is never retrieved is reported when garbage is collected",
  fn: async () => {
    await inLoop(async ({ reports }) => {
      (() => {
        createTask(async () => {
          await sleep(1);
          throw new Error("nobody looks");
        });
      })();
      await sleep(5);
      for (let i = 0; i < 10 && reports.length === 0; i++) {
        collectGarbage();
        await hostTurn();
      }
      const got = take(reports);
      assert.equal(got.length, 1);
      assert.match(got[0].message, /exception was never retrieved/);
      assert.equal(String(got[0].exception), "Error: nobody looks");
    });
  },
});
