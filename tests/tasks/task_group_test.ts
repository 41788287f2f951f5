// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * `TaskGroup`: structured concurrency with Python 3.11+ semantics, plus
 * 3.15's `TaskGroup.cancel()`. Modelled on CPython's test_taskgroups.py.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  ExceptionGroup,
  RuntimeError,
  sleep,
  type Task,
  TaskGroup,
  timeout,
  TimeoutError,
} from "../../mod.ts";
import { inLoop, now, pending, rejection } from "./_task_helpers.ts";

class MyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MyError";
  }
}

function failAfter(delay: number, message: string): () => Promise<never> {
  return async () => {
    await sleep(delay);
    throw new MyError(message);
  };
}

function errorsOf(err: unknown): unknown[] {
  assert.ok(err instanceof ExceptionGroup, `expected an ExceptionGroup, got ${err}`);
  return [...err.errors];
}

function messages(err: unknown): string[] {
  return errorsOf(err).map((e) => (e as Error).message).sort();
}

// ----------------------------------------------------------------------
// Success.

Deno.test("TaskGroup.run() returns the body's result once every task is done", async () => {
  await inLoop(async () => {
    const [a, b, body] = await new TaskGroup().run(async (tg) => {
      const a = tg.createTask(() => sleep(1, 42));
      const b = tg.createTask(() => sleep(2, "eleven"));
      return [a, b, "body"] as const;
    });
    // Typed: a is Task<number>, b is Task<string>.
    const typed: [number, string] = [a.result(), b.result()];
    assert.deepEqual(typed, [42, "eleven"]);
    assert.equal(body, "body");
    assert.equal(now(), 2);
  });
});

Deno.test("TaskGroup.run() waits for tasks created while the body is sleeping", async () => {
  await inLoop(async () => {
    const tasks: Task<number>[] = [];
    await new TaskGroup().run(async (tg) => {
      tasks.push(tg.createTask(() => sleep(1, 1)));
      await sleep(1.5);
      tasks.push(tg.createTask(() => sleep(2, 2)));
    });
    assert.deepEqual(tasks.map((t) => t.result()), [1, 2]);
    assert.equal(now(), 3.5);
  });
});

Deno.test("TaskGroup.run() lets tasks add tasks to the group while it waits", async () => {
  await inLoop(async () => {
    const done: number[] = [];
    await new TaskGroup().run((tg) => {
      tg.createTask(async () => {
        await sleep(1);
        tg.createTask(async () => {
          await sleep(1);
          done.push(2);
        });
        done.push(1);
      });
    });
    assert.deepEqual(done, [1, 2]);
    assert.equal(now(), 2);
  });
});

Deno.test("TaskGroup.run() is not disturbed by a child cancelled on its own", async () => {
  await inLoop(async () => {
    let t1!: Task<number>;
    let t2!: Task<number>;
    await new TaskGroup().run(async (tg) => {
      t1 = tg.createTask(() => sleep(10, 1));
      await sleep(1);
      t1.cancel();
      t2 = tg.createTask(() => sleep(1, 2));
    });
    assert.equal(t1.cancelled(), true);
    assert.equal(t2.result(), 2);
    assert.equal(currentTask()!.cancelling(), 0);
  });
});

Deno.test("TaskGroup.createTask() passes the name option", async () => {
  await inLoop(async () => {
    await new TaskGroup().run((tg) => {
      const t = tg.createTask(() => sleep(0), { name: "named" });
      assert.equal(t.getName(), "named");
    });
  });
});

// ----------------------------------------------------------------------
// Failure.

Deno.test("TaskGroup.run() cancels the other tasks and the body at the first failure", async () => {
  await inLoop(async () => {
    const log: string[] = [];
    let sibling!: Task<void>;
    const runner = createTask(async () => {
      await new TaskGroup().run(async (tg) => {
        tg.createTask(failAfter(1, "boom"));
        sibling = tg.createTask(async () => {
          try {
            await sleep(5);
            log.push("sibling finished");
          } catch (err) {
            log.push(`sibling ${(err as Error).name}`);
            throw err;
          }
        });
        try {
          await sleep(10);
        } catch (err) {
          log.push(`body ${(err as Error).name}`);
          throw err;
        }
      });
      log.push("after the group (never)");
    });
    const err = await rejection(runner);
    assert.deepEqual(messages(err), ["boom"]);
    assert.ok(errorsOf(err)[0] instanceof MyError);
    assert.equal(sibling.cancelled(), true);
    assert.deepEqual(log.sort(), ["body CancelledError", "sibling CancelledError"]);
    assert.equal(now(), 1);
    // The group failed: the runner ends with the ExceptionGroup, not cancelled.
    assert.equal(runner.cancelled(), false);
  });
});

Deno.test("TaskGroup.run() keeps every child error in the ExceptionGroup", async () => {
  await inLoop(async () => {
    const err = await rejection(new TaskGroup().run(async (tg) => {
      tg.createTask(failAfter(1, "a"));
      tg.createTask(failAfter(1, "b"));
      tg.createTask(failAfter(1, "c"));
      tg.createTask(() => sleep(5));
      await sleep(10);
    }));
    assert.deepEqual(messages(err), ["a", "b", "c"]);
    const group = err as ExceptionGroup;
    assert.ok(group instanceof AggregateError);
    assert.deepEqual(group.exceptions, group.errors);
  });
});

Deno.test("TaskGroup.run() keeps an error a child raises while being cancelled", async () => {
  await inLoop(async () => {
    const err = await rejection(new TaskGroup().run((tg) => {
      tg.createTask(failAfter(1, "first"));
      tg.createTask(async () => {
        try {
          await sleep(10);
        } catch {
          throw new MyError("during cancel");
        }
      });
    }));
    assert.deepEqual(messages(err), ["during cancel", "first"]);
  });
});

Deno.test("TaskGroup.run() waits for every task to finish its cleanup after a failure", async () => {
  await inLoop(async () => {
    let cleanedUpAt = -1;
    const err = await rejection(new TaskGroup().run((tg) => {
      tg.createTask(failAfter(1, "boom"));
      tg.createTask(async () => {
        try {
          await sleep(10);
        } finally {
          await sleep(3);
          cleanedUpAt = now();
        }
      });
    }));
    assert.deepEqual(messages(err), ["boom"]);
    assert.equal(cleanedUpAt, 4);
    assert.equal(now(), 4);
  });
});

Deno.test("TaskGroup.run() adds the body's own error to the group and cancels the tasks", async () => {
  await inLoop(async () => {
    const tasks: Task<unknown>[] = [];
    const err = await rejection(new TaskGroup().run(async (tg) => {
      tasks.push(tg.createTask(() => sleep(1)), tg.createTask(() => sleep(2)));
      await sleep(0.5);
      throw new MyError("body");
    }));
    assert.deepEqual(messages(err), ["body"]);
    assert.ok(tasks.every((t) => t.cancelled()));
    assert.equal(now(), 0.5);
  });
});

Deno.test("TaskGroup.run() adds a body error thrown before any await", async () => {
  await inLoop(async () => {
    const tasks: Task<unknown>[] = [];
    const err = await rejection(new TaskGroup().run((tg) => {
      tasks.push(tg.createTask(() => sleep(1)));
      throw new MyError("sync body");
    }));
    assert.deepEqual(messages(err), ["sync body"]);
    assert.ok(tasks[0].cancelled());
  });
});

Deno.test("TaskGroup.run() gathers the body's error and a child's error together", async () => {
  await inLoop(async () => {
    const err = await rejection(new TaskGroup().run(async (tg) => {
      tg.createTask(failAfter(1, "child"));
      try {
        await sleep(10);
      } finally {
        // deno-lint-ignore no-unsafe-finally
        throw new MyError("body finally");
      }
    }));
    assert.deepEqual(messages(err), ["body finally", "child"]);
  });
});

Deno.test("TaskGroup.run() nested: an inner failure reaches the outer group as a nested ExceptionGroup", async () => {
  await inLoop(async () => {
    const err = await rejection(new TaskGroup().run(async (outer) => {
      outer.createTask(failAfter(10, "outer child"));
      await new TaskGroup().run((inner) => {
        inner.createTask(failAfter(1, "inner child"));
      });
    }));
    const errors = errorsOf(err);
    assert.equal(errors.length, 1);
    assert.deepEqual(messages(errors[0]), ["inner child"]);
  });
});

Deno.test("TaskGroup.run() nested: an outer failure cancels the inner group's tasks", async () => {
  await inLoop(async () => {
    let innerTask!: Task<unknown>;
    const err = await rejection(new TaskGroup().run(async (outer) => {
      outer.createTask(failAfter(1, "outer child"));
      await new TaskGroup().run((inner) => {
        innerTask = inner.createTask(failAfter(10, "inner child"));
      });
    }));
    assert.deepEqual(messages(err), ["outer child"]);
    assert.equal(innerTask.cancelled(), true);
  });
});

Deno.test("TaskGroup.run() leaves the parent's cancel count as it was after a failure", async () => {
  await inLoop(async () => {
    const me = currentTask()!;
    await rejection(new TaskGroup().run((tg) => {
      tg.createTask(failAfter(1, "boom"));
      tg.createTask(() => sleep(5));
    }));
    assert.equal(me.cancelling(), 0);
    // The parent can go on awaiting.
    assert.equal(await sleep(1, "fine"), "fine");
  });
});

// ----------------------------------------------------------------------
// Cancellation of the parent from outside.

Deno.test("TaskGroup.run() cancelled from outside cancels every task and stays CancelledError", async () => {
  await inLoop(async () => {
    let cancelledChildren = 0;
    const runner = createTask(() =>
      new TaskGroup().run((tg) => {
        for (let i = 0; i < 5; i++) {
          tg.createTask(async () => {
            try {
              await sleep(5);
            } catch (err) {
              cancelledChildren++;
              throw err;
            }
          });
        }
      })
    );
    await sleep(1);
    runner.cancel("test");
    const err = await rejection(runner);
    assert.ok(err instanceof CancelledError);
    assert.equal((err as Error).message, "test");
    assert.equal(cancelledChildren, 5);
    assert.equal(runner.cancelled(), true);
  });
});

Deno.test("TaskGroup.run() cancelled from outside while the body sleeps cancels body and tasks", async () => {
  await inLoop(async () => {
    const log: string[] = [];
    const runner = createTask(() =>
      new TaskGroup().run(async (tg) => {
        tg.createTask(async () => {
          try {
            await sleep(5);
          } catch (err) {
            log.push("child");
            throw err;
          }
        });
        try {
          await sleep(10);
        } catch (err) {
          log.push("body");
          throw err;
        }
      })
    );
    await sleep(1);
    runner.cancel();
    assert.ok(await rejection(runner) instanceof CancelledError);
    assert.deepEqual(log.sort(), ["body", "child"]);
  });
});

Deno.test("TaskGroup.run() cancelled from outside stays CancelledError even if children fail later", async () => {
  await inLoop(async () => {
    const runner = createTask(() =>
      new TaskGroup().run(async (tg) => {
        for (let i = 0; i < 3; i++) tg.createTask(failAfter(2, `child ${i}`));
        await sleep(10);
      })
    );
    await sleep(1);
    runner.cancel("test");
    const err = await rejection(runner);
    assert.ok(err instanceof CancelledError);
    assert.equal((err as Error).message, "test");
  });
});

Deno.test("TaskGroup.run() whose body turns the outside cancellation into an error reports that error", async () => {
  await inLoop(async () => {
    const runner = createTask(() =>
      new TaskGroup().run(async () => {
        try {
          await sleep(10);
        } catch {
          throw new MyError("converted");
        }
      })
    );
    await sleep(1);
    runner.cancel();
    const err = await rejection(runner);
    assert.deepEqual(messages(err), ["converted"]);
  });
});

Deno.test("TaskGroup.run() with a child failure and an outside cancel keeps the outside cancel pending", async () => {
  await inLoop(async ({ loop }) => {
    let afterGroup = "";
    const runner = createTask(async () => {
      const me = currentTask()!;
      const err = await rejection(new TaskGroup().run(async (tg) => {
        tg.createTask(failAfter(1, "child"));
        tg.createTask(async () => {
          try {
            await sleep(10);
          } finally {
            await sleep(2);
          }
        });
        await sleep(10);
      }));
      afterGroup = `${messages(err)} cancelling=${me.cancelling()}`;
      // The outside cancellation is still owed to this task.
      await sleep(1);
    });
    // The child fails at 1; the group is still waiting for the cleanup when
    // the outside cancel comes at 2.
    loop.callLater(2, () => runner.cancel());
    assert.ok(await rejection(runner) instanceof CancelledError);
    assert.equal(afterGroup, "child cancelling=1");
    assert.equal(now(), 3);
  });
});

Deno.test("TaskGroup.run() waits for children's cleanup when cancelled from outside", async () => {
  await inLoop(async () => {
    const runner = createTask(() =>
      new TaskGroup().run((tg) => {
        tg.createTask(async () => {
          try {
            await sleep(10);
          } finally {
            await sleep(2);
          }
        });
      })
    );
    await sleep(1);
    runner.cancel();
    assert.ok(await rejection(runner) instanceof CancelledError);
    assert.equal(now(), 3);
  });
});

Deno.test("TaskGroup.run() inside a timeout: the deadline cancels the group and becomes TimeoutError", async () => {
  await inLoop(async () => {
    const children: Task<unknown>[] = [];
    const err = await rejection(timeout(2, () =>
      new TaskGroup().run((tg) => {
        children.push(tg.createTask(() => sleep(10)), tg.createTask(() => sleep(20)));
      })));
    assert.ok(err instanceof TimeoutError);
    assert.ok(children.every((c) => c.cancelled()));
    assert.equal(now(), 2);
    assert.equal(currentTask()!.cancelling(), 0);
  });
});

// ----------------------------------------------------------------------
// TaskGroup.cancel() (Python 3.15).

Deno.test("TaskGroup.cancel() from a child stops the group without an error", async () => {
  await inLoop(async () => {
    const tasks: Task<unknown>[] = [];
    let bodySaw: unknown;
    const result = await new TaskGroup().run(async (tg) => {
      tasks.push(tg.createTask(() => sleep(10)));
      tasks.push(tg.createTask(async () => {
        await sleep(1);
        tg.cancel();
      }));
      try {
        await sleep(20);
      } catch (err) {
        bodySaw = err;
        throw err;
      }
      return "not reached";
    });
    assert.equal(result, undefined);
    assert.ok(bodySaw instanceof CancelledError);
    assert.equal(tasks[0].cancelled(), true);
    // The child that called cancel() is in the group too, as in asyncio.
    assert.equal(tasks[1].cancelled(), true);
    assert.equal(now(), 1);
    assert.equal(currentTask()!.cancelling(), 0);
    assert.equal(await sleep(1, "parent goes on"), "parent goes on");
  });
});

Deno.test("TaskGroup.cancel() from the body stops the group at the body's next await", async () => {
  await inLoop(async () => {
    let child!: Task<unknown>;
    let reached = false;
    await new TaskGroup().run(async (tg) => {
      child = tg.createTask(() => sleep(10));
      await sleep(1);
      tg.cancel();
      await sleep(5);
      reached = true;
    });
    assert.equal(reached, false);
    assert.equal(child.cancelled(), true);
    assert.equal(now(), 1);
  });
});

Deno.test("TaskGroup.cancel() from outside the group stops it without an error", async () => {
  await inLoop(async () => {
    const tg = new TaskGroup();
    const runner = createTask(async () => {
      await tg.run((g) => {
        g.createTask(() => sleep(10));
      });
      return "returned normally";
    });
    await sleep(1);
    tg.cancel();
    assert.equal(await runner, "returned normally");
    assert.equal(runner.cancelling(), 0);
  });
});

Deno.test("TaskGroup.cancel() waits for the children's cleanup", async () => {
  await inLoop(async () => {
    const tg = new TaskGroup();
    const runner = createTask(() =>
      tg.run((g) => {
        g.createTask(async () => {
          try {
            await sleep(10);
          } finally {
            await sleep(2);
          }
        });
      })
    );
    await sleep(1);
    tg.cancel();
    await runner;
    assert.equal(now(), 3);
  });
});

Deno.test("TaskGroup.cancel() is idempotent and does nothing after the group", async () => {
  await inLoop(async () => {
    const tg = new TaskGroup();
    let child!: Task<unknown>;
    await tg.run(async (g) => {
      child = g.createTask(() => sleep(10));
      await sleep(1);
      g.cancel();
      g.cancel();
    });
    assert.equal(child.cancelled(), true);
    tg.cancel();
    assert.equal(currentTask()!.cancelling(), 0);
  });
});

Deno.test("TaskGroup.cancel() still reports child errors that happened before it", async () => {
  await inLoop(async () => {
    const tg = new TaskGroup();
    const err = await rejection(tg.run(async (g) => {
      g.createTask(failAfter(1, "before"));
      try {
        await sleep(10);
      } finally {
        g.cancel();
      }
    }));
    assert.deepEqual(messages(err), ["before"]);
  });
});

Deno.test("TaskGroup.cancel() does not swallow a cancellation of the parent from outside", async () => {
  await inLoop(async () => {
    const tg = new TaskGroup();
    const runner = createTask(() =>
      tg.run(async (g) => {
        g.createTask(() => sleep(10));
        await sleep(10);
      })
    );
    await sleep(1);
    runner.cancel("outside");
    tg.cancel();
    const err = await rejection(runner);
    assert.ok(err instanceof CancelledError);
    assert.equal(runner.cancelled(), true);
  });
});

Deno.test({
  name: "TaskGroup.cancel() before the group is entered cancels it on entry, as Python 3.15",
  fn: async () => {
    await inLoop(async () => {
      const tg = new TaskGroup();
      tg.cancel();
      let reached = false;
      let refused: unknown;
      await tg.run(async (g) => {
        // CPython's group is shutting down from its entry: it refuses new tasks.
        try {
          g.createTask(() => sleep(10));
        } catch (err) {
          refused = err;
        }
        await sleep(10);
        reached = true;
      });
      assert.equal(reached, false);
      assert.match(String(refused), /shutting down/);
      assert.equal(now(), 0);
      assert.equal(currentTask()!.cancelling(), 0);
    });
  },
});

// ----------------------------------------------------------------------
// Lifecycle errors.

Deno.test("TaskGroup.createTask() before the group is entered throws RuntimeError", () => {
  const tg = new TaskGroup();
  assert.throws(() => tg.createTask(async () => {}), /has not been entered/);
});

Deno.test("TaskGroup.createTask() after the group finished throws RuntimeError", async () => {
  await inLoop(async () => {
    const tg = new TaskGroup();
    await tg.run(() => {});
    let ran = false;
    assert.throws(() => tg.createTask(async () => void (ran = true)), RuntimeError);
    assert.throws(() => tg.createTask(async () => {}), /finished/);
    await sleep(0);
    assert.equal(ran, false);
  });
});

Deno.test("TaskGroup.createTask() while the group is shutting down throws RuntimeError", async () => {
  await inLoop(async () => {
    let refused: unknown;
    const err = await rejection(new TaskGroup().run((tg) => {
      tg.createTask(failAfter(1, "boom"));
      tg.createTask(async () => {
        try {
          await sleep(10);
        } catch (e) {
          try {
            tg.createTask(() => sleep(1));
          } catch (r) {
            refused = r;
          }
          throw e;
        }
      });
    }));
    assert.deepEqual(messages(err), ["boom"]);
    assert.ok(refused instanceof RuntimeError);
    assert.match((refused as Error).message, /shutting down/);
  });
});

Deno.test("TaskGroup.run() twice throws RuntimeError", async () => {
  await inLoop(async () => {
    const tg = new TaskGroup();
    await tg.run(async () => {
      const err = await rejection(tg.run(() => {}));
      assert.ok(err instanceof RuntimeError);
      assert.match((err as Error).message, /already been entered/);
    });
    assert.ok(await rejection(tg.run(() => {})) instanceof RuntimeError);
  });
});

Deno.test("TaskGroup.run() outside a task rejects with RuntimeError", async () => {
  await inLoop(async ({ loop }) => {
    const outcome = pending<unknown>();
    loop.callSoon(() => {
      new TaskGroup().run(() => {}).then(
        () => outcome.setResult("fulfilled"),
        (err) => outcome.setResult(err),
      );
    });
    const err = await outcome;
    assert.ok(err instanceof RuntimeError);
    assert.match((err as Error).message, /parent task/);
  });
});

Deno.test("TaskGroup.toString() shows the state and counts", async () => {
  await inLoop(async () => {
    const tg = new TaskGroup();
    assert.match(String(tg), /created/);
    await tg.run((g) => {
      g.createTask(() => sleep(1));
      assert.match(String(g), /tasks=1 errors=0 entered/);
    });
    assert.match(String(tg), /exited/);
  });
});
