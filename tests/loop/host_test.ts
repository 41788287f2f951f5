/**
 * The loop on top of the host's event loop: it leaves no host timer or
 * immediate behind once closed (the test sanitizers do not see a leaked
 * `setImmediate`, so these tests count them), and a busy loop still lets
 * host callbacks run.
 */
import assert from "node:assert/strict";
import { type AbstractEventLoop, createTask, run, sleep } from "../../mod.ts";
import { LOOPS, REAL_LOOPS, withLoop } from "./_helpers.ts";

interface HostCounter extends Disposable {
  /** Host timers armed and neither fired nor cleared. */
  readonly timeouts: number;
  /** Immediates queued and neither run nor cleared. */
  readonly immediates: number;
  /** How many host timers and immediates were ever armed. */
  readonly armed: { timeouts: number; immediates: number };
}

/**
 * Wraps the host's timer functions to count what is outstanding, until
 * disposed. The loop reads these globals at call time, so it is counted too.
 */
function countHostTimers(): HostCounter {
  const g = globalThis as unknown as Record<string, unknown>;
  const original = {
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
    setImmediate: g.setImmediate,
    clearImmediate: g.clearImmediate,
  };
  const timeouts = new Set<unknown>();
  const immediates = new Set<unknown>();
  const armed = { timeouts: 0, immediates: 0 };
  type Fn = (...args: unknown[]) => unknown;
  g.setTimeout = (fn: Fn, ms?: number, ...args: unknown[]) => {
    armed.timeouts++;
    const id = (original.setTimeout as Fn)(() => {
      timeouts.delete(id);
      fn(...args);
    }, ms);
    timeouts.add(id);
    return id;
  };
  g.clearTimeout = (id: unknown) => {
    timeouts.delete(id);
    (original.clearTimeout as Fn)(id);
  };
  g.setImmediate = (fn: Fn, ...args: unknown[]) => {
    armed.immediates++;
    const id = (original.setImmediate as Fn)(() => {
      immediates.delete(id);
      fn(...args);
    });
    immediates.add(id);
    return id;
  };
  g.clearImmediate = (id: unknown) => {
    immediates.delete(id);
    (original.clearImmediate as Fn)(id);
  };
  return {
    get timeouts() {
      return timeouts.size;
    },
    get immediates() {
      return immediates.size;
    },
    armed,
    [Symbol.dispose]() {
      Object.assign(g, original);
    },
  };
}

/** Exercises timers, sleeps, early wake-ups and a busy stretch on `loop`. */
async function exercise(loop: AbstractEventLoop, host: HostCounter): Promise<void> {
  // Timers, one near and one far that is cancelled.
  const fired: number[] = [];
  loop.callLater(0.001, () => fired.push(1));
  loop.callLater(0.004, () => fired.push(2));
  const far = loop.callLater(3600, () => fired.push(3));
  loop.callLater(0.006, () => loop.stop());
  await loop.runForever();
  assert.deepEqual(fired, [1, 2]);
  far.cancel();

  // Tasks that sleep, a busy stretch of sleep(0), and a task cancelled mid-sleep.
  const sleeper = loop.createTask(async () => {
    await sleep(0.002);
    for (let i = 0; i < 3000; i++) await sleep(0);
    await sleep(0.001);
    return "rested";
  });
  const doomed = loop.createTask(() => sleep(3600));
  assert.equal(await loop.runUntilComplete(sleeper), "rested");
  doomed.cancel();
  await assert.rejects(loop.runUntilComplete(doomed));

  // Woken early from the host while sleeping on a far timer: by callSoon...
  const farAgain = loop.callLater(3600, () => {});
  const fut = loop.createFuture<number>();
  let armedWhileSleeping = -1;
  const wake = setTimeout(() => {
    armedWhileSleeping = host.timeouts + host.immediates;
    loop.callSoon(() => fut.setResult(1));
  }, 5);
  assert.equal(await loop.runUntilComplete(fut), 1);
  clearTimeout(wake);
  // While it slept, the loop held its own host timer for the far deadline.
  assert.ok(armedWhileSleeping >= 1, "the loop armed no host timer while sleeping");

  // ...and by stop().
  const stopper = setTimeout(() => loop.stop(), 5);
  await loop.runForever();
  clearTimeout(stopper);
  farAgain.cancel();

  // A loop left with a pending timer, then closed without running again.
  loop.callLater(60, () => {});
  loop.callSoon(() => {});
}

for (const [name, make] of REAL_LOOPS) {
  Deno.test(`${name}.close() leaves no host timer or immediate behind`, async () => {
    using host = countHostTimers();
    await withLoop(make, async (loop) => {
      await exercise(loop, host);
      loop.close();
      assert.equal(host.timeouts, 0, "a host timer is still armed after close()");
      assert.equal(host.immediates, 0, "a setImmediate is still queued after close()");
      // The wrapper saw the loop's own host timers.
      assert.ok(host.armed.timeouts >= 3 && host.armed.immediates >= 1);
    });
  });

  Deno.test(`${name}.runForever() between runs holds no host timer or immediate`, async () => {
    using host = countHostTimers();
    await withLoop(make, async (loop) => {
      loop.callLater(3600, () => {});
      loop.callLater(0.002, () => loop.stop());
      await loop.runForever();
      // Stopped with a far timer pending: the loop is idle, not sleeping.
      assert.equal(host.timeouts, 0);
      assert.equal(host.immediates, 0);
    });
  });
}

Deno.test("run() leaves no host timer or immediate behind", async () => {
  using host = countHostTimers();
  const result = await run(async () => {
    const tasks = [
      createTask(() => sleep(3600)),
      createTask(async () => {
        for (let i = 0; i < 2000; i++) await sleep(0);
      }),
    ];
    await sleep(0.003);
    await tasks[1];
    return "main done";
  });
  assert.equal(result, "main done");
  assert.equal(host.timeouts, 0);
  assert.equal(host.immediates, 0);
});

for (
  const [name, make] of [
    ...LOOPS,
    ...REAL_LOOPS.map(([n, m]) => [`${n} (real clock)`, m] as const),
  ]
) {
  Deno.test(`${name}: a task spinning on sleep(0) does not starve host timers and immediates`, async () => {
    await withLoop(make, async (loop) => {
      const host = { timeout: false, immediate: false };
      let timer: ReturnType<typeof setTimeout> | undefined;
      const spins = await loop.runUntilComplete(loop.createTask(async () => {
        timer = setTimeout(() => host.timeout = true, 1);
        setImmediate(() => host.immediate = true);
        let n = 0;
        const t0 = performance.now();
        // Bounded by spins and by wall time, so a starving loop fails, not hangs.
        while (
          !(host.timeout && host.immediate) && n < 1_000_000 && performance.now() - t0 < 5000
        ) {
          await sleep(0);
          n++;
        }
        return n;
      }));
      clearTimeout(timer);
      assert.ok(host.immediate, `no setImmediate callback ran in ${spins} spins`);
      assert.ok(host.timeout, `no setTimeout callback ran in ${spins} spins`);
    });
  });

  Deno.test(`${name}: a callback rescheduling itself does not starve host callbacks`, async () => {
    await withLoop(make, async (loop) => {
      const host = { timeout: false, immediate: false };
      const timer = setTimeout(() => host.timeout = true, 1);
      setImmediate(() => host.immediate = true);
      let spins = 0;
      const t0 = performance.now();
      const spin = (): void => {
        spins++;
        if (
          (host.timeout && host.immediate) || spins >= 1_000_000 || performance.now() - t0 > 5000
        ) {
          loop.stop();
        } else {
          loop.callSoon(spin);
        }
      };
      loop.callSoon(spin);
      await loop.runForever();
      clearTimeout(timer);
      assert.ok(host.immediate && host.timeout, `host callbacks starved for ${spins} spins`);
    });
  });

  Deno.test(`${name}: a task awaiting a host promise resumes while another task spins`, async () => {
    await withLoop(make, async (loop) => {
      let done = false;
      const waiter = loop.createTask(async () => {
        await new Promise<void>((resolve) => setTimeout(resolve, 2));
        done = true;
      });
      const spinner = loop.createTask(async () => {
        const t0 = performance.now();
        while (!done && performance.now() - t0 < 5000) await sleep(0);
      });
      await loop.runUntilComplete(spinner);
      await loop.runUntilComplete(waiter);
      assert.ok(done);
    });
  });
}
