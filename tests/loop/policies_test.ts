/**
 * Event loop policies and the current-loop functions: getEventLoopPolicy,
 * setEventLoopPolicy, getEventLoop, setEventLoop, newEventLoop. Modelled on
 * the PolicyTests of CPython's test_events.py (3.14 semantics: getEventLoop
 * never creates a loop).
 */
import assert from "node:assert/strict";
import {
  type AbstractEventLoop,
  type AbstractEventLoopPolicy,
  DefaultEventLoopPolicy,
  getEventLoop,
  getEventLoopPolicy,
  getRunningLoop,
  newEventLoop,
  ProactorEventLoop,
  ProactorEventLoopPolicy,
  run,
  RuntimeError,
  SelectorEventLoop,
  SelectorEventLoopPolicy,
  setEventLoop,
  setEventLoopPolicy,
} from "../../mod.ts";
import { TestLoop } from "../../testing/mod.ts";
import { errorLike } from "./_helpers.ts";

const noLoop = errorLike(RuntimeError, /There is no current event loop/);

/** Runs `fn` with the policy state reset before and after. */
async function withPolicyReset(fn: () => Promise<void> | void): Promise<void> {
  setEventLoopPolicy(null);
  try {
    await fn();
  } finally {
    setEventLoopPolicy(null);
  }
}

const POLICIES = [
  ["DefaultEventLoopPolicy", () => new DefaultEventLoopPolicy(), ProactorEventLoop],
  ["SelectorEventLoopPolicy", () => new SelectorEventLoopPolicy(), SelectorEventLoop],
  ["ProactorEventLoopPolicy", () => new ProactorEventLoopPolicy(), ProactorEventLoop],
] as const;

for (const [name, make, loopClass] of POLICIES) {
  Deno.test(`${name}.newEventLoop() makes a new ${loopClass.name} each time`, () => {
    const policy = make();
    const a = policy.newEventLoop();
    const b = policy.newEventLoop();
    try {
      assert.ok(a instanceof loopClass);
      assert.notEqual(a, b);
      assert.equal(a.isRunning(), false);
      assert.equal(a.isClosed(), false);
    } finally {
      a.close();
      b.close();
    }
  });

  Deno.test(`${name}.getEventLoop() returns the loop set with setEventLoop(), else throws`, () => {
    const policy = make();
    assert.throws(() => policy.getEventLoop(), noLoop);
    const loop = new TestLoop();
    try {
      policy.setEventLoop(loop);
      assert.equal(policy.getEventLoop(), loop);
      policy.setEventLoop(null);
      assert.throws(() => policy.getEventLoop(), noLoop);
    } finally {
      loop.close();
    }
  });

  Deno.test(`${name}.setEventLoop() rejects what is not a loop`, () => {
    const policy = make();
    for (const bad of [42, "loop", {}, undefined]) {
      // deno-lint-ignore no-explicit-any
      assert.throws(() => policy.setEventLoop(bad as any), errorLike(TypeError, /'loop'/));
    }
  });

  Deno.test(`${name}: run() under this policy runs on a ${loopClass.name}`, async () => {
    await withPolicyReset(async () => {
      setEventLoopPolicy(make());
      const loop = await run(() => getRunningLoop());
      assert.ok(loop instanceof loopClass);
      assert.ok(loop.isClosed());
    });
  });
}

Deno.test("getEventLoopPolicy() is a DefaultEventLoopPolicy, the same until replaced", async () => {
  await withPolicyReset(() => {
    const policy = getEventLoopPolicy();
    assert.ok(policy instanceof DefaultEventLoopPolicy);
    assert.equal(getEventLoopPolicy(), policy);
  });
});

Deno.test("setEventLoopPolicy() replaces the policy; null restores a fresh default", async () => {
  await withPolicyReset(() => {
    const original = getEventLoopPolicy();
    const proactor = new ProactorEventLoopPolicy();
    setEventLoopPolicy(proactor);
    assert.equal(getEventLoopPolicy(), proactor);
    const loop = newEventLoop();
    assert.ok(loop instanceof ProactorEventLoop);
    loop.close();
    setEventLoopPolicy(null);
    const fresh = getEventLoopPolicy();
    assert.ok(fresh instanceof DefaultEventLoopPolicy);
    assert.notEqual(fresh, original);
  });
});

Deno.test("setEventLoopPolicy() rejects what is not a policy", () => {
  for (const bad of [42, "policy", {}, undefined]) {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => setEventLoopPolicy(bad as any), errorLike(TypeError, /policy/));
  }
});

Deno.test("setEventLoopPolicy() accepts any object implementing AbstractEventLoopPolicy", async () => {
  await withPolicyReset(() => {
    const made: AbstractEventLoop[] = [];
    let current: AbstractEventLoop | null = null;
    const custom: AbstractEventLoopPolicy = {
      getEventLoop: () => {
        if (current === null) throw new RuntimeError("custom: no loop");
        return current;
      },
      setEventLoop: (loop) => {
        current = loop;
      },
      newEventLoop: () => {
        const loop = new TestLoop();
        made.push(loop);
        return loop;
      },
    };
    setEventLoopPolicy(custom);
    const loop = newEventLoop();
    assert.deepEqual(made, [loop]);
    setEventLoop(loop);
    assert.equal(getEventLoop(), loop);
    setEventLoop(null);
    assert.throws(() => getEventLoop(), errorLike(RuntimeError, "custom: no loop"));
    loop.close();
  });
});

Deno.test("newEventLoop() makes a loop from the current policy", async () => {
  await withPolicyReset(() => {
    const a = newEventLoop();
    assert.ok(a instanceof ProactorEventLoop);
    setEventLoopPolicy(new SelectorEventLoopPolicy());
    const b = newEventLoop();
    assert.ok(b instanceof SelectorEventLoop);
    a.close();
    b.close();
  });
});

Deno.test("getEventLoop() returns the running loop, else the current loop, else throws", async () => {
  await withPolicyReset(async () => {
    assert.throws(() => getEventLoop(), noLoop);
    const current = new TestLoop();
    const running = new TestLoop();
    try {
      setEventLoop(current);
      assert.equal(getEventLoop(), current);
      // A running loop wins over the policy's current loop.
      let seen: AbstractEventLoop | null = null;
      running.callSoon(() => {
        seen = getEventLoop();
      });
      running.stop();
      await running.runForever();
      assert.equal(seen, running);
      assert.equal(getEventLoop(), current);
      setEventLoop(null);
      assert.throws(() => getEventLoop(), noLoop);
    } finally {
      setEventLoop(null);
      current.close();
      running.close();
    }
  });
});

Deno.test("setEventLoop() sets the current loop of the current policy", async () => {
  await withPolicyReset(() => {
    const loop = new TestLoop();
    try {
      setEventLoop(loop);
      assert.equal(getEventLoopPolicy().getEventLoop(), loop);
      // Replacing the policy drops the old policy's current loop.
      setEventLoopPolicy(new SelectorEventLoopPolicy());
      assert.throws(() => getEventLoop(), noLoop);
    } finally {
      loop.close();
    }
  });
});
