/**
 * The virtual clock of `@aio/asyncio/testing`: `VirtualClock` on its own,
 * and `TestLoop`, whose time moves only when the loop would otherwise sleep
 * (auto-jump) or when the test calls `advance()`.
 */
import assert from "node:assert/strict";
import { createTask, getRunningLoop, run, sleep } from "../../mod.ts";
import { TestLoop, VirtualClock } from "../../testing/mod.ts";
import { captureLog, errorLike, runOnce, withLoop } from "../loop/_helpers.ts";

// ----------------------------------------------------------------------
// VirtualClock.

Deno.test("VirtualClock() starts at 0, or at the given start", () => {
  assert.equal(new VirtualClock().now(), 0);
  assert.equal(new VirtualClock({ start: 12.5 }).now(), 12.5);
  assert.equal(new VirtualClock().autoJump, true);
  assert.equal(new VirtualClock({ autoJump: false }).autoJump, false);
  for (const bad of [NaN, Infinity, "1"]) {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => new VirtualClock({ start: bad as any }), errorLike(RangeError, /'start'/));
  }
});

Deno.test("VirtualClock.sleepUntil() with auto-jump moves time to the deadline and wakes at once", () => {
  const clock = new VirtualClock();
  let woke = 0;
  clock.sleepUntil(5, () => woke++);
  assert.equal(woke, 1);
  assert.equal(clock.now(), 5);
  // A deadline in the past wakes at once and never moves time back.
  clock.sleepUntil(2, () => woke++);
  assert.equal(woke, 2);
  assert.equal(clock.now(), 5);
});

Deno.test("VirtualClock.advance() without auto-jump wakes once the deadline is reached", () => {
  const clock = new VirtualClock({ autoJump: false });
  let woke = 0;
  clock.sleepUntil(5, () => woke++);
  assert.equal(woke, 0);
  clock.advance(4.5);
  assert.equal(woke, 0);
  assert.equal(clock.now(), 4.5);
  clock.advance(1);
  assert.equal(woke, 1);
  assert.equal(clock.now(), 5.5);
  // A wake-up fires once.
  clock.advance(10);
  assert.equal(woke, 1);
});

Deno.test("VirtualClock.sleepUntil() without auto-jump wakes at once for a past deadline", () => {
  const clock = new VirtualClock({ start: 10, autoJump: false });
  let woke = 0;
  clock.sleepUntil(3, () => woke++);
  assert.equal(woke, 1);
  assert.equal(clock.now(), 10);
});

Deno.test("VirtualClock.sleepUntil() replaces an earlier request, and cancel() drops it", () => {
  const clock = new VirtualClock({ autoJump: false });
  const woke: string[] = [];
  clock.sleepUntil(5, () => woke.push("first"));
  clock.sleepUntil(2, () => woke.push("second"));
  clock.advance(2);
  assert.deepEqual(woke, ["second"]);
  clock.sleepUntil(4, () => woke.push("third"));
  clock.cancel();
  clock.advance(10);
  assert.deepEqual(woke, ["second"]);
});

Deno.test("VirtualClock.autoJump turned on jumps to a pending deadline", () => {
  const clock = new VirtualClock({ autoJump: false });
  let woke = 0;
  clock.sleepUntil(7, () => woke++);
  clock.autoJump = true;
  assert.equal(woke, 1);
  assert.equal(clock.now(), 7);
});

Deno.test("VirtualClock.advance() rejects a negative or non-finite step", () => {
  const clock = new VirtualClock();
  for (const bad of [-1, NaN, Infinity, "1"]) {
    // deno-lint-ignore no-explicit-any
    assert.throws(() => clock.advance(bad as any), errorLike(RangeError, /'seconds'/));
  }
  assert.equal(clock.now(), 0);
  clock.advance(0);
  assert.equal(clock.now(), 0);
});

// ----------------------------------------------------------------------
// TestLoop.

Deno.test("TestLoop() runs on a VirtualClock that starts at the given time", async () => {
  using _log = captureLog();
  await withLoop(() => new TestLoop({ start: 100 }), (loop) => {
    assert.ok(loop.clock instanceof VirtualClock);
    assert.equal(loop.time(), 100);
    assert.equal(loop.clock.now(), 100);
    assert.equal(loop.getDebug(), false);
  });
  await withLoop(() => new TestLoop({ debug: true }), (loop) => {
    assert.equal(loop.getDebug(), true);
  });
});

Deno.test("TestLoop auto-jump: sleep(3600) takes no real time and exactly 3600 loop seconds", async () => {
  const wall0 = performance.now();
  const elapsed = await run(async () => {
    const loop = getRunningLoop();
    const t0 = loop.time();
    await sleep(3600);
    await sleep(0.25);
    return loop.time() - t0;
  }, { loopFactory: () => new TestLoop() });
  assert.equal(elapsed, 3600.25);
  assert.ok(performance.now() - wall0 < 2000);
});

Deno.test("TestLoop auto-jump: concurrent sleepers wake in deadline order at their deadlines", async () => {
  const woke = await run(async () => {
    const loop = getRunningLoop();
    const order: [string, number][] = [];
    const sleeper = (label: string, delay: number) =>
      createTask(async () => {
        await sleep(delay);
        order.push([label, loop.time()]);
      });
    await Promise.all([sleeper("c", 30), sleeper("a", 10), sleeper("b", 20), sleeper("a2", 10)]);
    return order;
  }, { loopFactory: () => new TestLoop() });
  assert.deepEqual(woke, [["a", 10], ["a2", 10], ["b", 20], ["c", 30]]);
});

Deno.test("TestLoop time moves only when the loop is idle", async () => {
  await withLoop(() => new TestLoop(), async (loop) => {
    const seen: number[] = [];
    let n = 0;
    // Work is always ready for 500 iterations: time must stand still, and the
    // timer waits although it would be due at once on a real clock.
    const busy = (): void => {
      seen.push(loop.time());
      if (++n < 500) loop.callSoon(busy);
    };
    loop.callSoon(busy);
    let timerAt = -1;
    let busyDoneAtTimer = -1;
    loop.callLater(0.001, () => {
      timerAt = loop.time();
      busyDoneAtTimer = n;
      loop.stop();
    });
    await loop.runForever();
    assert.ok(seen.every((t) => t === 0));
    assert.equal(busyDoneAtTimer, 500);
    assert.equal(timerAt, 0.001);
  });
});

Deno.test("TestLoop with autoJump false: time moves only through advance()", async () => {
  await withLoop(() => new TestLoop({ autoJump: false }), async (loop) => {
    const fired: [string, number][] = [];
    loop.callLater(5, () => fired.push(["five", loop.time()]));
    loop.callLater(10, () => {
      fired.push(["ten", loop.time()]);
      loop.stop();
    });
    // The loop would sleep forever; host code moves time in steps.
    const steps = [3, 1.5, 0.5, 4, 1];
    const seenBetween: number[] = [];
    let step = 0;
    const stepper = (): void => {
      seenBetween.push(fired.length);
      loop.advance(steps[step++]);
      if (step < steps.length) setTimeout(stepper, 0);
    };
    setTimeout(stepper, 0);
    await loop.runForever();
    assert.deepEqual(fired, [["five", 5], ["ten", 10]]);
    // "five" fired only after the third step reached 5.
    assert.deepEqual(seenBetween, [0, 0, 0, 1, 1]);
  });
});

Deno.test("TestLoop.advance() from a callback makes timers due at the next iteration", async () => {
  await withLoop(() => new TestLoop({ autoJump: false }), async (loop) => {
    const fired: string[] = [];
    loop.callLater(2, () => fired.push("timer"));
    loop.callSoon(() => {
      loop.advance(2);
      fired.push("advanced");
    });
    await runOnce(loop);
    assert.deepEqual(fired, ["advanced"]);
    assert.equal(loop.time(), 2);
    await runOnce(loop);
    assert.deepEqual(fired, ["advanced", "timer"]);
  });
});

Deno.test("TestLoop.advance() rejects a negative or non-finite step", async () => {
  await withLoop(() => new TestLoop(), (loop) => {
    assert.throws(() => loop.advance(-1), RangeError);
    assert.throws(() => loop.advance(NaN), RangeError);
    assert.equal(loop.time(), 0);
  });
});

Deno.test("TestLoop a callback spinning while time is advanced by hand still runs due timers", async () => {
  await withLoop(() => new TestLoop({ autoJump: false }), async (loop) => {
    let spins = 0;
    let timerSpins = -1;
    loop.callLater(0.01, () => {
      timerSpins = spins;
    });
    const spin = (): void => {
      spins++;
      loop.advance(0.001);
      if (timerSpins >= 0 || spins > 1000) loop.stop();
      else loop.callSoon(spin);
    };
    loop.callSoon(spin);
    await loop.runForever();
    // Due after the 10th advance; collected at the start of the next iteration.
    assert.ok(timerSpins >= 10 && timerSpins <= 11, `timer ran after ${timerSpins} spins`);
  });
});

Deno.test("TestLoop leaves no host timer while it sleeps on a far deadline", async () => {
  // The sanitizers check this test: an armed host timer would be reported.
  await withLoop(() => new TestLoop(), async (loop) => {
    const fut = loop.createFuture<string>();
    loop.callLater(1e9, () => fut.setResult("a billion seconds later"));
    assert.equal(await loop.runUntilComplete(fut), "a billion seconds later");
    assert.equal(loop.time(), 1e9);
  });
});
