// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * `ContextVar` per task: each task runs in a copy of the context current
 * when it was created; its changes never leak to its parent or siblings; an
 * explicit `context` option shares a context. Modelled on the context
 * checks of CPython's test_tasks.py and test_context.py.
 */
import assert from "node:assert/strict";
import {
  Context,
  ContextVar,
  copyContext,
  createTask,
  gather,
  sleep,
  type Task,
  TaskGroup,
  timeout,
  waitFor,
} from "../../mod.ts";
import { inLoop } from "./_task_helpers.ts";

Deno.test("createTask() runs the task in a copy of the context current at creation", async () => {
  await inLoop(async () => {
    const v = new ContextVar<string>("v", { default: "unset" });
    v.set("at creation");
    const task = createTask(async () => v.get());
    // Changed after creation but before the task's first step.
    v.set("after creation");
    assert.equal(await task, "at creation");
  });
});

Deno.test("ContextVar.set() in a task never leaks to its parent", async () => {
  await inLoop(async () => {
    const v = new ContextVar<number>("v", { default: 0 });
    v.set(1);
    await createTask(async () => {
      v.set(2);
      await sleep(1);
      v.set(3);
    });
    assert.equal(v.get(), 1);
  });
});

Deno.test("ContextVar values of sibling tasks stay apart across interleaved awaits", async () => {
  await inLoop(async () => {
    const v = new ContextVar<string>("v");
    const worker = (name: string, steps: number) =>
      createTask(async () => {
        const seen: string[] = [];
        v.set(name);
        for (let i = 0; i < steps; i++) {
          await sleep(0.5);
          seen.push(v.get());
          v.set(`${name}${i}`);
        }
        return seen;
      });
    const a = worker("a", 3);
    const b = worker("b", 3);
    assert.deepEqual(await a, ["a", "a0", "a1"]);
    assert.deepEqual(await b, ["b", "b0", "b1"]);
    assert.throws(() => v.get(), RangeError);
  });
});

Deno.test("ContextVar values survive awaits of futures, timers and native promises", async () => {
  await inLoop(async ({ loop }) => {
    const v = new ContextVar<string>("v");
    const task = createTask(async () => {
      v.set("mine");
      const seen: string[] = [];
      await sleep(1);
      seen.push(v.get());
      await Promise.resolve();
      seen.push(v.get());
      const fut = loop.createFuture<void>();
      loop.callLater(1, () => fut.setResult());
      await fut;
      seen.push(v.get());
      await new Promise<void>((resolve) => setTimeout(resolve, 0));
      seen.push(v.get());
      return seen;
    });
    assert.deepEqual(await task, ["mine", "mine", "mine", "mine"]);
  });
});

Deno.test("createTask() nested: a grandchild sees what its parent had at creation", async () => {
  await inLoop(async () => {
    const v = new ContextVar<string>("v", { default: "root" });
    v.set("main");
    const child = createTask(async () => {
      const before = v.get();
      v.set("child");
      const grandchild = createTask(async () => v.get());
      v.set("child later");
      return [before, await grandchild];
    });
    assert.deepEqual(await child, ["main", "child"]);
    assert.equal(v.get(), "main");
  });
});

Deno.test("createTask() with an explicit context runs in that context and writes into it", async () => {
  await inLoop(async () => {
    const v = new ContextVar<string>("v", { default: "unset" });
    v.set("caller");
    const ctx = new Context();
    ctx.run(() => v.set("from ctx"));
    const task = createTask(async () => {
      const seen = v.get();
      v.set("written by task");
      await sleep(1);
      return seen;
    }, { context: ctx });
    assert.equal(await task, "from ctx");
    assert.equal(task.getContext(), ctx);
    assert.equal(ctx.get(v), "written by task");
    assert.equal(v.get(), "caller");
  });
});

Deno.test("createTask() with a copied context starts from the copy, not later changes", async () => {
  await inLoop(async () => {
    const v = new ContextVar<number>("v", { default: 0 });
    v.set(1);
    const snapshot = copyContext();
    v.set(2);
    const task = createTask(async () => v.get(), { context: snapshot });
    assert.equal(await task, 1);
  });
});

Deno.test("ContextVar.reset() restores the value inside a task", async () => {
  await inLoop(async () => {
    const v = new ContextVar<string>("v", { default: "default" });
    const task = createTask(async () => {
      const token = v.set("temporary");
      await sleep(1);
      const during = v.get();
      v.reset(token);
      return [during, v.get()];
    });
    assert.deepEqual(await task, ["temporary", "default"]);
  });
});

Deno.test("ContextVar.reset() with a token from another task's context throws RangeError", async () => {
  await inLoop(async () => {
    const v = new ContextVar<string>("v", { default: "x" });
    const token = await createTask(async () => ({ token: v.set("in other task") }));
    assert.throws(() => v.reset(token.token), RangeError);
  });
});

Deno.test("gather() runs each function in its own copy of the caller's context", async () => {
  await inLoop(async () => {
    const v = new ContextVar<string>("v", { default: "unset" });
    v.set("caller");
    const results = await gather(
      async () => {
        const seen = v.get();
        v.set("a");
        await sleep(1);
        return `${seen}->${v.get()}`;
      },
      async () => {
        const seen = v.get();
        v.set("b");
        await sleep(1);
        return `${seen}->${v.get()}`;
      },
    );
    assert.deepEqual(results, ["caller->a", "caller->b"]);
    assert.equal(v.get(), "caller");
  });
});

Deno.test("TaskGroup.createTask() children inherit the context at their creation", async () => {
  await inLoop(async () => {
    const v = new ContextVar<number>("v", { default: 0 });
    const tasks: Task<number>[] = [];
    await new TaskGroup().run(async (tg) => {
      v.set(1);
      tasks.push(tg.createTask(async () => v.get()));
      v.set(2);
      tasks.push(tg.createTask(async () => v.get()));
    });
    assert.deepEqual(tasks.map((t) => t.result()), [1, 2]);
    // The group body runs in the current task: its changes stay.
    assert.equal(v.get(), 2);
  });
});

Deno.test("timeout() and waitFor() of a function run in the current task's context", async () => {
  await inLoop(async () => {
    const v = new ContextVar<string>("v", { default: "unset" });
    await timeout(10, async () => {
      v.set("set in timeout body");
    });
    assert.equal(v.get(), "set in timeout body");
    await waitFor(async () => {
      v.set("set in waitFor body");
    }, 10);
    assert.equal(v.get(), "set in waitFor body");
  });
});

Deno.test("loop.callSoon() from a task runs in a snapshot of the task's context", async () => {
  await inLoop(async ({ loop }) => {
    const v = new ContextVar<string>("v", { default: "unset" });
    const seen: string[] = [];
    await createTask(async () => {
      v.set("task value");
      loop.callSoon(() => {
        seen.push(v.get());
        v.set("changed in callback");
      });
      await sleep(0);
      await sleep(0);
      seen.push(v.get());
    });
    assert.deepEqual(seen, ["task value", "task value"]);
  });
});

Deno.test("Task.getContext() of two tasks created together are distinct contexts", async () => {
  await inLoop(async () => {
    const v = new ContextVar<string>("v");
    const a = createTask(async () => void v.set("a"));
    const b = createTask(async () => void v.set("b"));
    await a;
    await b;
    assert.notEqual(a.getContext(), b.getContext());
    assert.equal(a.getContext().get(v), "a");
    assert.equal(b.getContext().get(v), "b");
  });
});
