/**
 * `ContextVar`, `Context`, `Token` and `copyContext`: Python's contextvars,
 * and how the loop uses them: every task runs in a copy of the context it
 * was created in, every callback in a snapshot of the context it was
 * scheduled in. Modelled on CPython's test_context.py and the context tests
 * of test_tasks.py and test_futures.py.
 */
import assert from "node:assert/strict";
import {
  Context,
  ContextVar,
  copyContext,
  createTask,
  currentTask,
  RuntimeError,
  sleep,
  Token,
} from "../../mod.ts";
import { TestLoop } from "../../testing/mod.ts";
import { errorLike, LOOPS, runOnce, withLoop } from "./_helpers.ts";

// ----------------------------------------------------------------------
// ContextVar and Token.

Deno.test("ContextVar() has a name and a readable form", () => {
  const v = new ContextVar<number>("answer");
  assert.equal(v.name, "answer");
  assert.equal(String(v), "<ContextVar name='answer'>");
  // deno-lint-ignore no-explicit-any
  assert.throws(() => new ContextVar(42 as any), errorLike(TypeError, /'name' must be a string/));
});

Deno.test("ContextVar.get() falls back to the argument, then the default, then throws", () => {
  const noDefault = new ContextVar<string>("noDefault");
  assert.throws(
    () => noDefault.get(),
    errorLike(RangeError, /'noDefault'.*no value and no default/),
  );
  assert.equal(noDefault.get("arg"), "arg");
  const withDefault = new ContextVar<string>("withDefault", { default: "dflt" });
  assert.equal(withDefault.get(), "dflt");
  // The argument wins over the variable's default, as in Python.
  assert.equal(withDefault.get("arg"), "arg");
  const undefinedDefault = new ContextVar<string | undefined>("u", { default: undefined });
  assert.equal(undefinedDefault.get(), undefined);
});

Deno.test("ContextVar.set() returns a Token holding the previous value", () => {
  new Context().run(() => {
    const v = new ContextVar<number>("v");
    const first = v.set(1);
    assert.ok(first instanceof Token);
    assert.equal(first.var, v);
    assert.equal(first.oldValue, Token.MISSING);
    const second = v.set(2);
    assert.equal(second.oldValue, 1);
    assert.equal(v.get(), 2);
  });
});

Deno.test("ContextVar.reset() restores the previous value, or no value", () => {
  new Context().run(() => {
    const v = new ContextVar<number>("v", { default: -1 });
    const first = v.set(1);
    const second = v.set(2);
    v.reset(second);
    assert.equal(v.get(), 1);
    v.reset(first);
    assert.equal(v.get(), -1);
    assert.equal(copyContext().has(v), false);
  });
});

Deno.test("ContextVar.reset() refuses a used token, another variable's token, or a non-token", () => {
  new Context().run(() => {
    const v = new ContextVar<number>("v");
    const w = new ContextVar<number>("w");
    const token = v.set(1);
    v.reset(token);
    assert.throws(() => v.reset(token), errorLike(RangeError, /already been used/));
    const wToken = w.set(1);
    // deno-lint-ignore no-explicit-any
    assert.throws(() => v.reset(wToken as any), errorLike(RangeError, /another ContextVar/));
    // deno-lint-ignore no-explicit-any
    assert.throws(() => v.reset({} as any), errorLike(TypeError, /must be a Token/));
  });
});

Deno.test("ContextVar.reset() refuses a token made in another context", () => {
  const v = new ContextVar<number>("v");
  const token = new Context().run(() => v.set(1));
  new Context().run(() => {
    assert.throws(() => v.reset(token), errorLike(RangeError, /different Context/));
  });
});

// ----------------------------------------------------------------------
// Context.

Deno.test("Context.run() runs a function in the context and returns its result", () => {
  const v = new ContextVar<string>("v", { default: "outside" });
  const ctx = new Context();
  const result = ctx.run(
    (a: number, b: number) => {
      v.set("inside");
      return [a + b, v.get()];
    },
    2,
    3,
  );
  assert.deepEqual(result, [5, "inside"]);
  assert.equal(v.get(), "outside");
  assert.equal(ctx.get(v), "inside");
  assert.equal(ctx.run(() => v.get()), "inside");
});

Deno.test("Context.run() refuses to enter a context that is already entered", () => {
  const ctx = new Context();
  assert.throws(
    () => ctx.run(() => ctx.run(() => {})),
    errorLike(RuntimeError, /already entered/),
  );
  // Another context may be entered inside it, and the first is left afterwards.
  const other = new Context();
  const v = new ContextVar<number>("v", { default: 0 });
  ctx.run(() => {
    v.set(1);
    other.run(() => {
      assert.equal(v.get(), 0);
      v.set(2);
    });
    assert.equal(v.get(), 1);
  });
  ctx.run(() => {});
});

Deno.test("Context.run() leaves the context when the function throws", () => {
  const v = new ContextVar<string>("v", { default: "outside" });
  const ctx = new Context();
  assert.throws(() =>
    ctx.run(() => {
      v.set("inside");
      throw new Error("fail");
    }), /fail/);
  assert.equal(v.get(), "outside");
  assert.equal(ctx.get(v), "inside");
  ctx.run(() => {});
});

Deno.test("Context is a read-only mapping of variables to values", () => {
  const a = new ContextVar<number>("a");
  const b = new ContextVar<string>("b");
  const ctx = new Context();
  assert.equal(ctx.size, 0);
  ctx.run(() => {
    a.set(1);
    b.set("two");
  });
  assert.equal(ctx.size, 2);
  assert.equal(ctx.has(a), true);
  assert.equal(ctx.get(a), 1);
  assert.equal(ctx.get(new ContextVar<number>("c"), 9), 9);
  assert.equal(ctx.get(new ContextVar<number>("c")), undefined);
  assert.deepEqual([...ctx.keys()], [a, b]);
  assert.deepEqual([...ctx.values()], [1, "two"]);
  assert.deepEqual([...ctx.entries()], [[a, 1], [b, "two"]]);
  assert.deepEqual([...ctx], [[a, 1], [b, "two"]]);
});

Deno.test("Context.copy() and copyContext() are independent snapshots", () => {
  const v = new ContextVar<number>("v", { default: 0 });
  const ctx = new Context();
  ctx.run(() => {
    v.set(1);
    const snapshot = copyContext();
    v.set(2);
    assert.equal(snapshot.get(v), 1);
    snapshot.run(() => v.set(3));
    assert.equal(v.get(), 2);
    assert.equal(snapshot.get(v), 3);
  });
  const copy = ctx.copy();
  copy.run(() => v.set(10));
  assert.equal(ctx.get(v), 2);
  assert.equal(copy.get(v), 10);
});

// ----------------------------------------------------------------------
// Callbacks and tasks.

for (const [name, make] of LOOPS) {
  Deno.test(`${name}.callSoon() runs the callback in a snapshot of the context at scheduling time`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<string>("v", { default: "default" });
      const seen: string[] = [];
      const ctx = new Context();
      ctx.run(() => {
        v.set("first");
        loop.callSoon(() => seen.push(v.get()));
        v.set("second");
        loop.callSoon(() => seen.push(v.get()));
        loop.callLater(1, () => seen.push(`timer ${v.get()}`));
      });
      loop.callSoon(() => seen.push(v.get()));
      loop.callLater(2, () => loop.stop());
      await loop.runForever();
      assert.deepEqual(seen, ["first", "second", "default", "timer second"]);
    });
  });

  Deno.test(`${name}.callSoon() callbacks' changes to variables do not leak`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<number>("v", { default: 0 });
      const seen: number[] = [];
      loop.callSoon(() => {
        v.set(1);
        seen.push(v.get());
      });
      loop.callSoon(() => seen.push(v.get()));
      await runOnce(loop);
      assert.deepEqual(seen, [1, 0]);
      assert.equal(v.get(), 0);
    });
  });

  Deno.test(`${name}.createTask() runs each task in a copy of the context it was created in`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<string>("v", { default: "default" });
      const main = loop.createTask(async () => {
        v.set("parent");
        const child = createTask(async () => {
          const inherited = v.get();
          v.set("child");
          await sleep(1);
          return [inherited, v.get()];
        });
        const sibling = createTask(async () => {
          await sleep(2);
          return v.get();
        });
        // Set after the children were created: they do not see it.
        v.set("parent later");
        const results = [await child, await sibling];
        return [...results, v.get()];
      });
      assert.deepEqual(await loop.runUntilComplete(main), [
        ["parent", "child"],
        "parent",
        "parent later",
      ]);
      assert.equal(v.get(), "default");
    });
  });

  Deno.test(`${name}.createTask() keeps a task's variables across its awaits`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<number>("v", { default: 0 });
      const tasks = [1, 2, 3].map((n) =>
        loop.createTask(async () => {
          v.set(n);
          const seen: number[] = [];
          for (let i = 0; i < 5; i++) {
            await sleep(i % 2 === 0 ? 0 : n);
            seen.push(v.get());
          }
          return seen;
        })
      );
      for (const [i, t] of tasks.entries()) {
        assert.deepEqual(await loop.runUntilComplete(t), Array(5).fill(i + 1));
      }
    });
  });

  Deno.test(`${name}.createTask() with a context option runs the task in that very context`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<string>("v", { default: "default" });
      const ctx = new Context();
      ctx.run(() => v.set("given"));
      const task = loop.createTask(async () => {
        const before = v.get();
        await sleep(1);
        v.set("changed by task");
        return before;
      }, { context: ctx });
      assert.equal(task.getContext(), ctx);
      assert.equal(await loop.runUntilComplete(task), "given");
      assert.equal(ctx.get(v), "changed by task");
    });
  });

  Deno.test(`${name}: Task.getContext() holds the task's variables`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<number>("v", { default: 0 });
      const task = loop.createTask(async () => {
        v.set(7);
        await sleep(1);
        return currentTask()!.getContext().get(v);
      });
      assert.equal(await loop.runUntilComplete(task), 7);
      assert.equal(task.getContext().get(v), 7);
    });
  });

  Deno.test(`${name}: callbacks scheduled inside a task run in the task's context at that time`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<string>("v", { default: "default" });
      const seen: string[] = [];
      const task = loop.createTask(async () => {
        v.set("a");
        loop.callSoon(() => seen.push(`soon ${v.get()}`));
        loop.callLater(1, () => seen.push(`later ${v.get()}`));
        v.set("b");
        const fut = loop.createFuture<void>();
        fut.addDoneCallback(() => seen.push(`done ${v.get()}`));
        loop.callSoon(() => fut.setResult());
        await fut;
        await sleep(2);
      });
      await loop.runUntilComplete(task);
      assert.deepEqual(seen, ["soon a", "done b", "later a"]);
    });
  });

  Deno.test(`${name}: plain callbacks never run in the context of a task that just resumed`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<string>("v", { default: "root" });
      const seen = new Set<string>();
      let spinning = true;
      // A plain callback that reschedules itself from the loop, interleaved
      // with the steps of a task that set the variable.
      const spin = (): void => {
        seen.add(v.get());
        if (spinning) loop.callSoon(spin);
      };
      loop.callSoon(spin);
      const task = loop.createTask(async () => {
        v.set("task");
        for (let i = 0; i < 50; i++) {
          await sleep(0);
          const fut = loop.createFuture<void>();
          loop.callSoon(() => fut.setResult());
          await fut;
        }
        spinning = false;
      });
      await loop.runUntilComplete(task);
      await runOnce(loop);
      assert.deepEqual([...seen], ["root"]);
    });
  });

  Deno.test(`${name}: ContextVar.reset() in a task refuses a token made by its parent`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<number>("v", { default: 0 });
      const main = loop.createTask(async () => {
        const token = v.set(1);
        const child = createTask(() => {
          v.reset(token);
        });
        await assert.rejects(async () => await child, errorLike(RangeError, /different Context/));
        v.reset(token);
        return v.get();
      });
      assert.equal(await loop.runUntilComplete(main), 0);
    });
  });
}

Deno.test({
  name: "Context.run() refuses a context that a running callback or task step is in",
  fn: async () => {
    await withLoop(() => new TestLoop(), async (loop) => {
      const ctx = new Context();
      const errors: unknown[] = [];
      const fut = loop.createFuture<number>();
      fut.addDoneCallback(() => {
        try {
          ctx.run(() => {});
        } catch (err) {
          errors.push(err);
        }
      }, { context: ctx });
      fut.setResult(1);
      const task = loop.createTask(() => {
        try {
          ctx.run(() => {});
        } catch (err) {
          errors.push(err);
        }
      }, { context: ctx });
      await loop.runUntilComplete(task);
      assert.equal(errors.length, 2);
      for (const err of errors) errorLike(RuntimeError, /already entered/)(err);
    });
  },
});

Deno.test("Context.run() around callSoon() schedules in a snapshot of that context", async () => {
  await withLoop(() => new TestLoop(), async (loop) => {
    const v = new ContextVar<string>("v", { default: "default" });
    const ctx = new Context();
    ctx.run(() => v.set("ctx"));
    let seen = "";
    ctx.run(() =>
      loop.callSoon(() => {
        seen = v.get();
        v.set("changed in callback");
      })
    );
    await runOnce(loop);
    assert.equal(seen, "ctx");
    // A snapshot, as Python's `ctx.run(loop.call_soon, cb)`: ctx keeps its value.
    assert.equal(ctx.get(v), "ctx");
  });
});
