/**
 * Property tests of the primitives (issue 4, item 6): random workers with
 * random delays, hold times, timeouts and cancellations on the virtual
 * clock. Whatever the interleaving:
 *
 * - a lock-like primitive never has more holders than it allows;
 * - once everything settles it is free again, nobody waits, and every task
 *   finished (no wake-up was lost, no permit leaked or doubled);
 * - a Condition's notifications are not lost to cancelled waiters: no
 *   consumer is left waiting while an item it was notified for is there.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  BoundedSemaphore,
  CancelledError,
  Condition,
  createTask,
  gather,
  Lock,
  type Permit,
  Semaphore,
  sleep,
  type Task,
  TimeoutError,
  waitFor,
} from "../../mod.ts";
import { inLoop } from "./_helpers.ts";

// A power of two, so sums of ticks are exact and events meet at the same time.
const TICK = 2 ** -10;

interface LockLike {
  acquire(): PromiseLike<Permit>;
  release(): void;
  locked(): boolean;
  withLock<R>(fn: () => R | PromiseLike<R>): Promise<Awaited<R>>;
  statistics(): { waiters: number; lockWaiters?: number };
}

/** Each family member: a name, its capacity, and a maker. */
const LOCK_LIKES: [string, number, () => LockLike][] = [
  ["Lock", 1, () => new Lock()],
  ["Condition", 1, () => new Condition()],
  ["Semaphore(1)", 1, () => new Semaphore(1)],
  ["Semaphore(3)", 3, () => new Semaphore(3)],
  ["BoundedSemaphore(2)", 2, () => new BoundedSemaphore(2)],
];

type Style = "permit" | "using" | "withLock" | "release";

interface Step {
  before: number;
  hold: number;
  timeout: number | null;
  style: Style;
  /** A worker to cancel right after this release: the one it may have just woken. */
  cancelAfter: number | null;
}

interface Scenario {
  workers: Step[][];
  cancels: { worker: number; at: number }[];
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  workers: fc.array(
    fc.array(
      fc.record({
        before: fc.integer({ min: 0, max: 3 }),
        hold: fc.integer({ min: 0, max: 3 }),
        timeout: fc.option(fc.integer({ min: 0, max: 5 }), { freq: 4 }),
        style: fc.constantFrom<Style>("permit", "using", "withLock", "release"),
        cancelAfter: fc.option(fc.nat(5), { freq: 3 }),
      }),
      { maxLength: 6 },
    ),
    { minLength: 1, maxLength: 6 },
  ),
  cancels: fc.array(fc.record({ worker: fc.nat(5), at: fc.integer({ min: 0, max: 20 }) }), {
    maxLength: 4,
  }),
});

async function pause(ticks: number): Promise<void> {
  await sleep(ticks * TICK);
}

async function checkLockLike(capacity: number, make: () => LockLike, s: Scenario): Promise<void> {
  await inLoop(async (loop) => {
    const lock = make();
    let holders = 0;
    let entered = 0;
    const hold = async (ticks: number): Promise<void> => {
      holders++;
      entered++;
      assert.ok(holders <= capacity, `${holders} holders of a capacity of ${capacity}`);
      try {
        await pause(ticks);
      } finally {
        holders--;
      }
    };
    const acquire = (timeout: number | null): PromiseLike<Permit> =>
      timeout === null ? lock.acquire() : waitFor(() => lock.acquire(), timeout * TICK);
    const workers: Task<void>[] = s.workers.map((steps) =>
      createTask(async () => {
        for (const step of steps) {
          await pause(step.before);
          try {
            if (step.style === "withLock") {
              if (step.timeout !== null) continue;
              await lock.withLock(() => hold(step.hold));
            } else if (step.style === "using") {
              using _permit = await acquire(step.timeout);
              await hold(step.hold);
            } else if (step.style === "permit") {
              const permit = await acquire(step.timeout);
              try {
                await hold(step.hold);
              } finally {
                permit.release();
              }
            } else {
              await acquire(step.timeout);
              try {
                await hold(step.hold);
              } finally {
                lock.release();
              }
            }
          } catch (err) {
            if (!(err instanceof TimeoutError)) throw err;
          }
          if (step.cancelAfter !== null) workers[step.cancelAfter % workers.length].cancel();
        }
      })
    );
    for (const { worker, at } of s.cancels) {
      loop.callLater(at * TICK, () => workers[worker % workers.length].cancel());
    }
    // Every delay, hold, timeout and cancellation is over long before this.
    await pause(1000);
    assert.ok(workers.every((w) => w.done()), "a worker was left waiting");
    const results = await gather(...workers, { returnExceptions: true });
    for (const r of results) {
      if (r !== undefined) assert.ok(r instanceof CancelledError, `worker failed: ${r}`);
    }
    assert.equal(holders, 0);
    assert.ok(!lock.locked(), `still locked after ${entered} holds: ${lock}`);
    if (lock instanceof Semaphore) assert.equal(lock.statistics().value, capacity);
    const stats: { waiters: number; lockWaiters?: number } = lock.statistics();
    assert.equal(stats.waiters, 0);
    assert.equal(stats.lockWaiters ?? 0, 0);
  });
}

for (const [name, capacity, make] of LOCK_LIKES) {
  Deno.test(`${name} never exceeds its holders and ends free under random cancellations (property)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, (s) => checkLockLike(capacity, make, s)),
      { numRuns: 150 },
    );
  });
}

interface CondScenario {
  /** Per consumer: delay before it starts waiting for one item. */
  consumers: number[];
  /** Per item: the delay before it is produced, and how long the lock is held after the notify. */
  items: [delay: number, hold: number][];
  /** Consumers cancelled at a time (in ticks). */
  cancels: { consumer: number; at: number }[];
  /** Whether producers notify all, or one per item. */
  notifyAll: boolean;
  /** Per item, a consumer to cancel right after the notify: maybe the one just notified. */
  cancelAfterNotify: (number | null)[];
}

const condScenario: fc.Arbitrary<CondScenario> = fc.record({
  consumers: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }),
  items: fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 })), {
    maxLength: 8,
  }),
  cancels: fc.array(fc.record({ consumer: fc.nat(5), at: fc.integer({ min: 0, max: 8 }) }), {
    maxLength: 4,
  }),
  notifyAll: fc.boolean(),
  cancelAfterNotify: fc.array(fc.option(fc.nat(5), { freq: 2 }), { maxLength: 8 }),
});

Deno.test("Condition.notify() is never lost to a waiter cancelled around it (property)", async () => {
  await fc.assert(
    fc.asyncProperty(condScenario, async (s) => {
      await inLoop(async (loop) => {
        const cond = new Condition();
        let available = 0;
        let consumed = 0;
        const consumers = s.consumers.map((delay) =>
          createTask(async () => {
            await pause(delay);
            await cond.withLock(async () => {
              await cond.waitFor(() => available > 0);
              available--;
              consumed++;
            });
          })
        );
        const producer = createTask(async () => {
          for (const [i, [delay, hold]] of s.items.entries()) {
            await pause(delay);
            await cond.withLock(async () => {
              available++;
              if (s.notifyAll) cond.notifyAll();
              else cond.notify(1);
              const victim = s.cancelAfterNotify[i];
              if (victim != null) consumers[victim % consumers.length].cancel();
              // Notified consumers wait for the lock meanwhile (and may be
              // cancelled while they do).
              if (hold > 0) await pause(hold);
            });
          }
        });
        for (const { consumer, at } of s.cancels) {
          loop.callLater(at * TICK, () => consumers[consumer % consumers.length].cancel());
        }
        await producer;
        await pause(100);
        // A consumer still waiting means no item is left for it.
        const waiting = consumers.filter((c) => !c.done()).length;
        assert.ok(waiting === 0 || available === 0, `${waiting} wait beside ${available} items`);
        assert.equal(consumed + available, s.items.length);
        assert.ok(!cond.locked());
        for (const c of consumers) c.cancel();
        const results = await gather(...consumers, { returnExceptions: true });
        for (const r of results) {
          if (r !== undefined) assert.ok(r instanceof CancelledError, `consumer failed: ${r}`);
        }
        assert.ok(!cond.locked());
        assert.deepEqual(cond.statistics(), { locked: false, waiters: 0, lockWaiters: 0 });
      });
    }),
    { numRuns: 200 },
  );
});
