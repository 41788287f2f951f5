/**
 * Timers: `callLater` and `callAt` fire in deadline order, equal deadlines
 * first-in first-out, cancelled timers never run, due timers join the
 * iteration that collects them. The generic tests run on virtual clocks; a
 * few check the real clock with generous bounds.
 */
import assert from "node:assert/strict";
import { type AbstractEventLoop, sleep, type TimerHandle } from "../../mod.ts";
import { LOOPS, REAL_LOOPS, runOnce, withLoop } from "./_helpers.ts";

// A small seeded generator (mulberry32), so the random schedules repeat.
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `loop` until every timer scheduled so far has fired (the last one stops it). */
async function runTimers(loop: AbstractEventLoop, lastWhen: number): Promise<void> {
  loop.callAt(lastWhen, () => loop.stop());
  await loop.runForever();
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}.callLater() fires timers in deadline order, at their deadline`, async () => {
    await withLoop(make, async (loop) => {
      const t0 = loop.time();
      const fired: [string, number][] = [];
      for (const [label, delay] of [["c", 0.3], ["a", 0.1], ["d", 10], ["b", 0.2]] as const) {
        loop.callLater(delay, () => fired.push([label, loop.time() - t0]));
      }
      await runTimers(loop, t0 + 10);
      assert.deepEqual(fired.map(([label]) => label), ["a", "b", "c", "d"]);
      for (const [label, at] of fired) {
        const expected = { a: 0.1, b: 0.2, c: 0.3, d: 10 }[label]!;
        assert.ok(Math.abs(at - expected) < 1e-9, `${label} fired at ${at}`);
      }
    });
  });

  Deno.test(`${name}.callAt() fires timers with equal deadlines in the order they were scheduled`, async () => {
    await withLoop(make, async (loop) => {
      const when = loop.time() + 1;
      const fired: number[] = [];
      for (let i = 0; i < 200; i++) {
        // Mix callAt and callLater, and an earlier timer in between.
        if (i % 3 === 0) loop.callLater(1, () => fired.push(i));
        else loop.callAt(when, () => fired.push(i));
        if (i === 100) loop.callAt(when - 0.5, () => fired.push(-1));
      }
      await runTimers(loop, when + 1);
      assert.deepEqual(fired, [-1, ...Array.from({ length: 200 }, (_, i) => i)]);
    });
  });

  Deno.test(`${name}.callAt() fires 2000 random timers sorted by deadline, then by scheduling order`, async () => {
    await withLoop(make, async (loop) => {
      const rand = random(12345);
      const t0 = loop.time();
      const expected: { when: number; seq: number }[] = [];
      const fired: number[] = [];
      for (let seq = 0; seq < 2000; seq++) {
        // Few distinct deadlines, so ties are frequent.
        const when = t0 + Math.floor(rand() * 50) / 10;
        expected.push({ when, seq });
        loop.callAt(when, () => {
          assert.ok(loop.time() >= when, "a timer fired before its deadline");
          fired.push(seq);
        });
      }
      await runTimers(loop, t0 + 10);
      expected.sort((x, y) => x.when - y.when || x.seq - y.seq);
      assert.deepEqual(fired, expected.map((e) => e.seq));
    });
  });

  Deno.test(`${name}.callLater() passes the arguments to the callback`, async () => {
    await withLoop(make, async (loop) => {
      const seen: unknown[] = [];
      loop.callLater(1, (a: number, b: string, c: null) => seen.push(a, b, c), 1, "b", null);
      await runTimers(loop, loop.time() + 1);
      assert.deepEqual(seen, [1, "b", null]);
    });
  });

  Deno.test(`${name}.callLater() timers cancelled before they are due never run`, async () => {
    await withLoop(make, async (loop) => {
      const fired: number[] = [];
      const handles: TimerHandle[] = [];
      for (let i = 0; i < 10; i++) handles.push(loop.callLater(i + 1, () => fired.push(i)));
      for (const i of [0, 3, 4, 9]) handles[i].cancel();
      // One timer cancels another due in the same iteration, after it.
      loop.callLater(5.5, () => handles[7].cancel());
      loop.callLater(5.5, () => fired.push(55));
      await runTimers(loop, loop.time() + 20);
      assert.deepEqual(fired, [1, 2, 55, 5, 6, 8]);
    });
  });

  Deno.test(`${name}.callLater() a timer cancelled by an earlier timer of the same iteration never runs`, async () => {
    await withLoop(make, async (loop) => {
      const when = loop.time() + 1;
      const fired: string[] = [];
      let second: TimerHandle | null = null;
      loop.callAt(when, () => {
        fired.push("first");
        second!.cancel();
      });
      second = loop.callAt(when, () => fired.push("second"));
      await runTimers(loop, when + 1);
      assert.deepEqual(fired, ["first"]);
    });
  });

  Deno.test(`${name}.callLater() timers stay ordered after most of a large heap was cancelled`, async () => {
    await withLoop(make, async (loop) => {
      const t0 = loop.time();
      const rand = random(99);
      const fired: number[] = [];
      const kept: { when: number; id: number }[] = [];
      const handles: TimerHandle[] = [];
      for (let id = 0; id < 1000; id++) {
        const when = t0 + 1 + rand() * 100;
        handles.push(loop.callAt(when, () => fired.push(id)));
        if (id % 10 === 0) kept.push({ when, id });
      }
      // 90% cancelled: the loop rebuilds its heap without them.
      handles.forEach((h, id) => {
        if (id % 10 !== 0) h.cancel();
      });
      // More timers after the cleanup still take their place.
      loop.callAt(t0 + 50.5, () => fired.push(-1));
      kept.push({ when: t0 + 50.5, id: -1 });
      await runTimers(loop, t0 + 200);
      kept.sort((a, b) => a.when - b.when);
      assert.deepEqual(fired, kept.map((k) => k.id));
    });
  });

  Deno.test(`${name}.callLater() with a zero or negative delay runs at the next iteration`, async () => {
    await withLoop(make, async (loop) => {
      const fired: string[] = [];
      loop.callLater(0, () => fired.push("zero"));
      loop.callLater(-5, () => fired.push("negative"));
      loop.callAt(loop.time() - 100, () => fired.push("past"));
      await runOnce(loop);
      // The most overdue first.
      assert.deepEqual(fired, ["past", "negative", "zero"]);
    });
  });

  Deno.test(`${name}.callLater() a due timer scheduled by a callback waits for the next iteration`, async () => {
    await withLoop(make, async (loop) => {
      const fired: string[] = [];
      loop.callSoon(() => {
        fired.push("soon");
        loop.callLater(0, () => fired.push("timer"));
      });
      loop.callSoon(() => fired.push("soon 2"));
      await runOnce(loop);
      assert.deepEqual(fired, ["soon", "soon 2"]);
      await runOnce(loop);
      assert.deepEqual(fired, ["soon", "soon 2", "timer"]);
    });
  });

  Deno.test(`${name}.callLater() due timers run after the callbacks already ready`, async () => {
    await withLoop(make, async (loop) => {
      const fired: string[] = [];
      loop.callLater(0, () => fired.push("timer"));
      loop.callSoon(() => fired.push("soon"));
      await runOnce(loop);
      assert.deepEqual(fired, ["soon", "timer"]);
    });
  });

  Deno.test(`${name}.time() does not move while callbacks are ready`, async () => {
    await withLoop(make, async (loop) => {
      const t0 = loop.time();
      const times: number[] = [];
      let n = 0;
      const cb = (): void => {
        times.push(loop.time());
        if (++n < 100) loop.callSoon(cb);
        else loop.stop();
      };
      loop.callLater(1, () => times.push(-1));
      loop.callSoon(cb);
      await loop.runForever();
      assert.equal(times.length, 100);
      assert.ok(times.every((t) => t === t0));
      await runTimers(loop, t0 + 1);
      assert.deepEqual(times.slice(100), [-1]);
    });
  });

  Deno.test(`${name}: sleep() in tasks wakes each task at its deadline, in order`, async () => {
    await withLoop(make, async (loop) => {
      const t0 = loop.time();
      const woke: [string, number][] = [];
      const sleeper = (label: string, delay: number) => async () => {
        await sleep(delay);
        woke.push([label, loop.time() - t0]);
      };
      const tasks = [
        loop.createTask(sleeper("long", 3600)),
        loop.createTask(sleeper("short", 0.25)),
        loop.createTask(sleeper("mid", 60)),
      ];
      for (const t of tasks) await loop.runUntilComplete(t);
      assert.deepEqual(woke, [["short", 0.25], ["mid", 60], ["long", 3600]]);
    });
  });
}

for (const [name, make] of REAL_LOOPS) {
  Deno.test(`${name}.callLater() on the real clock never fires early`, async () => {
    await withLoop(make, async (loop) => {
      const results: { when: number; at: number; wallEarly: boolean }[] = [];
      const wall0 = performance.now();
      for (const delay of [0.001, 0.003, 0.01, 0.02]) {
        const handle = loop.callLater(delay, () => {
          results.push({
            when: handle.when(),
            at: loop.time(),
            wallEarly: performance.now() - wall0 < delay * 1000 - 0.5,
          });
          if (results.length === 4) loop.stop();
        });
      }
      await loop.runForever();
      assert.equal(results.length, 4);
      for (const r of results) {
        assert.ok(r.at >= r.when, `fired at ${r.at} before ${r.when}`);
        assert.equal(r.wallEarly, false);
      }
      // Generous: the whole schedule of 20 ms must not take seconds.
      assert.ok(performance.now() - wall0 < 2000);
    });
  });

  Deno.test(`${name}.callLater() from host code moves the wake-up of a sleeping loop forward`, async () => {
    await withLoop(make, async (loop) => {
      const fired: string[] = [];
      const far = loop.callLater(3600, () => fired.push("far"));
      const id = setTimeout(() => {
        loop.callLater(0.005, () => {
          fired.push("near");
          loop.stop();
        });
      }, 5);
      const t0 = performance.now();
      try {
        await loop.runForever();
      } finally {
        clearTimeout(id);
      }
      assert.deepEqual(fired, ["near"]);
      assert.ok(performance.now() - t0 < 3000);
      far.cancel();
    });
  });

  Deno.test(`${name}.callLater() the earliest timer cancelled while the loop sleeps never runs`, async () => {
    await withLoop(make, async (loop) => {
      const fired: string[] = [];
      const early = loop.callLater(0.005, () => fired.push("early"));
      loop.callLater(0.02, () => {
        fired.push("late");
        loop.stop();
      });
      let cancelledInTime = false;
      const id = setTimeout(() => {
        cancelledInTime = fired.length === 0;
        early.cancel();
      }, 1);
      try {
        await loop.runForever();
      } finally {
        clearTimeout(id);
      }
      // On a loaded machine the host timer may come after the early timer
      // ran; only a cancellation in time is checked.
      if (cancelledInTime) assert.deepEqual(fired, ["late"]);
      else assert.deepEqual(fired, ["early", "late"]);
    });
  });

  Deno.test({
    name:
      `${name}.callLater() a deadline weeks away does not keep the host busy while the loop sleeps`,
    fn: async () => {
      await withLoop(make, async (loop) => {
        const g = globalThis as unknown as { setImmediate: typeof setImmediate };
        const original = g.setImmediate;
        let immediates = 0;
        g.setImmediate = ((fn: () => void) => {
          immediates++;
          return original(fn);
        }) as typeof setImmediate;
        try {
          const far = loop.callLater(30 * 24 * 3600, () => {});
          const id = setTimeout(() => loop.stop(), 50);
          await loop.runForever();
          clearTimeout(id);
          far.cancel();
        } finally {
          g.setImmediate = original;
        }
        // A sleeping loop needs a handful of host turns, not a busy poll.
        assert.ok(immediates < 100, `${immediates} setImmediate calls in 50 ms of sleep`);
      });
    },
  });
}
