// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * `eagerTaskFactory` and `createEagerTaskFactory`: tasks whose first step
 * runs inside `createTask`. Modelled on CPython's test_eager_task_factory.py.
 */
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  allTasks,
  CancelledError,
  ContextVar,
  type CoroutineFunction,
  createEagerTaskFactory,
  createTask,
  currentTask,
  eagerTaskFactory,
  ExceptionGroup,
  gather,
  getRunningLoop,
  sleep,
  Task,
  TaskGroup,
  type TaskOptions,
} from "../../mod.ts";
import { type Harness, inLoop, now, rejection } from "./_task_helpers.ts";

/** Runs `body` with the eager task factory installed on the loop. */
function eagerly<T>(body: (h: Harness) => Promise<T>): Promise<T> {
  return inLoop(async (h) => {
    h.loop.setTaskFactory(eagerTaskFactory);
    try {
      return await body(h);
    } finally {
      h.loop.setTaskFactory(null);
    }
  });
}

Deno.test("eagerTaskFactory runs the first step inside createTask()", async () => {
  await eagerly(async () => {
    const order: string[] = [];
    const task = createTask(async () => {
      order.push("task step 1");
      await sleep(1);
      order.push("task step 2");
    });
    order.push("caller");
    assert.deepEqual(order, ["task step 1", "caller"]);
    assert.equal(task.done(), false);
    await task;
    assert.deepEqual(order, ["task step 1", "caller", "task step 2"]);
  });
});

Deno.test("eagerTaskFactory makes a task that finishes synchronously done at once, never scheduled", async () => {
  await eagerly(async () => {
    let runs = 0;
    const task = createTask(() => {
      runs++;
      return "sync result";
    });
    assert.equal(task.done(), true);
    assert.equal(task.result(), "sync result");
    assert.equal(allTasks().has(task), false);
    await sleep(0);
    await sleep(0);
    assert.equal(runs, 1);
  });
});

Deno.test("eagerTaskFactory makes a task whose async function never awaits done after the microtasks", async () => {
  await eagerly(async () => {
    let runs = 0;
    const task = createTask(async () => {
      runs++;
      return 5;
    });
    assert.equal(runs, 1);
    assert.equal(await task, 5);
    await sleep(0);
    assert.equal(runs, 1);
  });
});

Deno.test("eagerTaskFactory keeps a synchronous failure in the task, not the caller", async () => {
  await eagerly(async () => {
    const boom = new Error("sync boom");
    const task = createTask((): number => {
      throw boom;
    });
    assert.equal(task.done(), true);
    assert.equal(task.exception(), boom);
  });
});

Deno.test("eagerTaskFactory: currentTask() inside the eager step is the new task", async () => {
  await eagerly(async () => {
    const caller = currentTask();
    let inside: unknown;
    let afterAwait: unknown;
    const task = createTask(async () => {
      inside = currentTask();
      await sleep(1);
      afterAwait = currentTask();
    });
    assert.equal(inside, task);
    assert.equal(currentTask(), caller);
    await task;
    assert.equal(afterAwait, task);
  });
});

Deno.test("eagerTaskFactory: the eager task runs in a copy of the caller's context", async () => {
  await eagerly(async () => {
    const v = new ContextVar<string>("v", { default: "unset" });
    v.set("caller");
    const seen: string[] = [];
    const task = createTask(async () => {
      seen.push(v.get());
      v.set("task");
      seen.push(v.get());
      await sleep(1);
      seen.push(v.get());
    });
    // The eager step's set() did not leak into the caller.
    assert.equal(v.get(), "caller");
    v.set("caller changed");
    await task;
    assert.deepEqual(seen, ["caller", "task", "task"]);
    assert.equal(task.getContext().get(v), "task");
  });
});

Deno.test("eagerTaskFactory: an eager task created from a plain callback sees its own context", async () => {
  await eagerly(async ({ loop }) => {
    const v = new ContextVar<string>("v", { default: "root" });
    v.set("main");
    const seen: string[] = [];
    const done: Task<void>[] = [];
    loop.callSoon(() => {
      done.push(createTask(async () => {
        seen.push(v.get());
        v.set("in task");
        seen.push(v.get());
      }));
      // The callback's own context is untouched by the task's set().
      seen.push(`callback ${v.get()}`);
    });
    await sleep(0);
    await done[0];
    assert.deepEqual(seen, ["main", "in task", "callback main"]);
  });
});

Deno.test("eagerTaskFactory keeps the name option", async () => {
  await eagerly(async () => {
    const task = createTask(async () => currentTask()!.getName(), { name: "eager-one" });
    assert.equal(task.getName(), "eager-one");
    assert.equal(await task, "eager-one");
  });
});

Deno.test("eagerTaskFactory: a suspended eager task is listed by allTasks() and cancellable", async () => {
  await eagerly(async () => {
    const task = createTask(() => sleep(10));
    assert.equal(allTasks().has(task), true);
    task.cancel();
    assert.ok(await rejection(task) instanceof CancelledError);
    assert.equal(now(), 0);
  });
});

Deno.test("eagerTaskFactory: an eager task can create eager tasks", async () => {
  await eagerly(async () => {
    const order: string[] = [];
    const outer = createTask(async () => {
      order.push("outer");
      const inner = createTask(async () => {
        order.push("inner");
        await sleep(1);
        return "inner done";
      });
      order.push("outer after inner started");
      return await inner;
    });
    order.push("caller");
    assert.equal(await outer, "inner done");
    assert.deepEqual(order, ["outer", "inner", "outer after inner started", "caller"]);
  });
});

Deno.test("eagerTaskFactory works under gather()", async () => {
  await eagerly(async () => {
    const order: string[] = [];
    const outer = gather(
      async () => {
        order.push("a");
        return 1;
      },
      async () => {
        order.push("b");
        await sleep(1);
        return 2;
      },
    );
    order.push("caller");
    assert.deepEqual(await outer, [1, 2]);
    assert.deepEqual(order, ["a", "b", "caller"]);
  });
});

Deno.test("eagerTaskFactory under a TaskGroup: a child failing synchronously fails the group", async () => {
  await eagerly(async () => {
    let sibling!: Task<unknown>;
    const err = await rejection(new TaskGroup().run(async (tg) => {
      sibling = tg.createTask(() => sleep(10));
      tg.createTask(() => {
        throw new Error("eager failure");
      });
      await sleep(10);
    }));
    assert.ok(err instanceof ExceptionGroup);
    assert.deepEqual(err.errors.map((e) => (e as Error).message), ["eager failure"]);
    assert.equal(sibling.cancelled(), true);
    assert.equal(now(), 0);
  });
});

Deno.test("createEagerTaskFactory() builds tasks of the given class", async () => {
  await inLoop(async ({ loop }) => {
    const made: string[] = [];
    class LoggingTask<T> extends Task<T> {
      constructor(
        fn: CoroutineFunction<T>,
        options?: TaskOptions & { loop?: AbstractEventLoop },
      ) {
        super(fn, options);
        made.push(this.getName());
      }
    }
    loop.setTaskFactory(createEagerTaskFactory(LoggingTask));
    try {
      let ran = false;
      const task = createTask(() => {
        ran = true;
        return 1;
      }, { name: "logged" });
      assert.ok(task instanceof LoggingTask);
      assert.equal(ran, true);
      assert.equal(task.done(), true);
      assert.deepEqual(made, ["logged"]);
      assert.equal(getRunningLoop().getTaskFactory() !== null, true);
    } finally {
      loop.setTaskFactory(null);
    }
    // The default factory is back: tasks start lazily again.
    let started = false;
    const lazy = createTask(async () => void (started = true));
    assert.equal(started, false);
    await lazy;
  });
});

Deno.test("createEagerTaskFactory() rejects a non-function with TypeError", () => {
  assert.throws(
    () => createEagerTaskFactory(42 as unknown as typeof Task),
    TypeError,
  );
});
