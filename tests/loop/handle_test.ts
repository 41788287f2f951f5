/**
 * `Handle` and `TimerHandle`: cancel, cancelled, when, getContext, toString,
 * and how a handle runs its callback. Modelled on the HandleTests and
 * TimerTests of CPython's test_events.py.
 */
import assert from "node:assert/strict";
import { Context, ContextVar, Handle, TimerHandle } from "../../mod.ts";
import { TestLoop } from "../../testing/mod.ts";
import { captureLog, LOOPS, recordErrors, runOnce, withLoop } from "./_helpers.ts";

function tick(): void {}

Deno.test("Handle() runs its callback with its arguments", async () => {
  await withLoop(() => new TestLoop(), (loop) => {
    const calls: unknown[][] = [];
    const handle = new Handle((...args: unknown[]) => calls.push(args), [1, "two"], loop);
    handle._run();
    const bare = new Handle((...args: unknown[]) => calls.push(args), [], loop);
    bare._run();
    assert.deepEqual(calls, [[1, "two"], []]);
  });
});

Deno.test("Handle.cancel() prevents the callback from running and is idempotent", async () => {
  await withLoop(() => new TestLoop(), (loop) => {
    let calls = 0;
    const handle = new Handle(() => calls++, [], loop);
    assert.equal(handle.cancelled(), false);
    handle.cancel();
    assert.equal(handle.cancelled(), true);
    handle.cancel();
    assert.equal(handle.cancelled(), true);
    handle._run();
    assert.equal(calls, 0);
  });
});

Deno.test("Handle._run() reports an error of the callback to the loop's exception handler", async () => {
  await withLoop(() => new TestLoop(), (loop) => {
    const contexts = recordErrors(loop);
    const boom = new RangeError("boom");
    const handle = new Handle(
      function explode() {
        throw boom;
      },
      [],
      loop,
    );
    handle._run();
    assert.equal(contexts.length, 1);
    assert.equal(contexts[0].exception, boom);
    assert.equal(contexts[0].handle, handle);
    assert.equal(contexts[0].message, "Exception in callback explode()");
  });
});

Deno.test("Handle.toString() names the class and the callback", async () => {
  using _log = captureLog();
  await withLoop(() => new TestLoop(), (loop) => {
    assert.equal(String(new Handle(tick, [], loop)), "<Handle tick()>");
    assert.equal(String(new Handle(() => {}, [], loop)), "<Handle <anonymous>()>");
    assert.equal(new Handle(tick, [], loop).describe(), "tick()");
    loop.setDebug(true);
    const debugHandle = new Handle(tick, [], loop);
    debugHandle.cancel();
    assert.equal(String(debugHandle), "<Handle cancelled tick()>");
  });
});

Deno.test({
  name: "Handle.toString() of a cancelled handle does not misname its callback",
  fn: async () => {
    await withLoop(() => new TestLoop(), (loop) => {
      const handle = new Handle(tick, [], loop);
      handle.cancel();
      assert.ok(
        ["<Handle cancelled>", "<Handle cancelled tick()>"].includes(String(handle)),
        String(handle),
      );
    });
  },
});

Deno.test("Handle.getContext() is a snapshot of the context current when it was made", async () => {
  await withLoop(() => new TestLoop(), (loop) => {
    const user = new ContextVar<string>("user", { default: "nobody" });
    const ctx = new Context();
    const handle = ctx.run(() => {
      user.set("ada");
      return new Handle(tick, [], loop);
    });
    user.set("root");
    const seen = handle.getContext();
    assert.ok(seen instanceof Context);
    assert.equal(seen.get(user), "ada");
    assert.equal(handle.getContext(), seen);
  });
});

Deno.test("Handle() with an explicit context runs the callback in that context", async () => {
  await withLoop(() => new TestLoop(), (loop) => {
    const v = new ContextVar<number>("v", { default: 0 });
    const ctx = new Context();
    let seen = -1;
    const handle = new Handle(
      () => {
        seen = v.get();
        v.set(5);
      },
      [],
      loop,
      ctx,
    );
    assert.equal(handle.getContext(), ctx);
    handle._run();
    assert.equal(seen, 0);
    // The callback's change stays in the context it ran in.
    assert.equal(ctx.get(v), 5);
    assert.equal(v.get(), 0);
  });
});

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: Handle.cancel() after the callback ran changes nothing but the flag`, async () => {
    await withLoop(make, async (loop) => {
      let calls = 0;
      const handle = loop.callSoon(() => calls++);
      await runOnce(loop);
      handle.cancel();
      assert.equal(handle.cancelled(), true);
      await runOnce(loop);
      assert.equal(calls, 1);
    });
  });

  Deno.test(`${name}: TimerHandle.when() is the loop time the callback is due`, async () => {
    await withLoop(make, async (loop) => {
      const t0 = loop.time();
      const later = loop.callLater(2.5, tick);
      const at = loop.callAt(t0 + 7, tick);
      assert.ok(later instanceof TimerHandle && later instanceof Handle);
      assert.equal(later.when(), t0 + 2.5);
      assert.equal(at.when(), t0 + 7);
      let firedAt = -1;
      loop.callLater(1, () => {
        firedAt = loop.time();
        loop.stop();
      });
      await loop.runForever();
      assert.equal(firedAt, t0 + 1);
      later.cancel();
      at.cancel();
    });
  });

  Deno.test(`${name}: TimerHandle.toString() shows when, cancellation and the callback`, async () => {
    using _log = captureLog();
    await withLoop(make, (loop) => {
      const t0 = loop.time();
      const handle = loop.callAt(t0 + 5, tick);
      assert.equal(String(handle), `<TimerHandle when=${t0 + 5} tick()>`);
      loop.setDebug(true);
      const debugHandle = loop.callAt(t0 + 6, tick);
      debugHandle.cancel();
      assert.equal(String(debugHandle), `<TimerHandle cancelled when=${t0 + 6} tick()>`);
      handle.cancel();
    });
  });

  Deno.test(`${name}: TimerHandle.getContext() is a snapshot of the context at callLater()`, async () => {
    await withLoop(make, async (loop) => {
      const v = new ContextVar<string>("v", { default: "default" });
      const ctx = new Context();
      let seen = "";
      const handle = ctx.run(() => {
        v.set("inside");
        return loop.callLater(1, () => {
          seen = v.get();
          loop.stop();
        });
      });
      assert.equal(handle.getContext().get(v), "inside");
      await loop.runForever();
      assert.equal(seen, "inside");
    });
  });

  Deno.test(`${name}: TimerHandle.cancel() is idempotent and the timer never runs`, async () => {
    await withLoop(make, async (loop) => {
      let calls = 0;
      const handle = loop.callLater(1, () => calls++);
      handle.cancel();
      handle.cancel();
      assert.equal(handle.cancelled(), true);
      loop.callLater(2, () => loop.stop());
      await loop.runForever();
      assert.equal(calls, 0);
    });
  });

  Deno.test(`${name}: Handle callbacks run with no this and nothing but their arguments`, async () => {
    await withLoop(make, async (loop) => {
      const seen: unknown[] = [];
      loop.callSoon(function (this: unknown, ...args: unknown[]) {
        seen.push(this, args.length);
      });
      await runOnce(loop);
      assert.deepEqual(seen, [undefined, 0]);
    });
  });
}

Deno.test("Handle.getContext() of a handle made outside any context returns one Context", async () => {
  await withLoop(() => new TestLoop(), (loop) => {
    const handle = loop.callSoon(tick);
    const ctx = handle.getContext();
    assert.ok(ctx instanceof Context);
    assert.equal(handle.getContext(), ctx);
  });
});
