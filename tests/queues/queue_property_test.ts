/**
 * Property tests of the queues (issue 4, item 6): random producers and
 * consumers with random delays, timeouts and cancellations, on the virtual
 * clock. Whatever the interleaving:
 *
 * - every item whose `put()` resolved is taken exactly once (by a `get()`
 *   that resolved, or left in the queue at the end), and no item whose
 *   `put()` threw is ever taken;
 * - a FIFO `Queue` hands each producer's items out in the order they were
 *   put;
 * - no task is left waiting when a wake-up was due: at the end no getter
 *   waits while items are available and no putter waits while there is
 *   room, and after `shutdown()` every task finishes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CancelledError,
  createTask,
  gather,
  getRunningLoop,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueShutDown,
  sleep,
  type Task,
  TimeoutError,
  waitFor,
} from "../../mod.ts";
import { inLoop } from "../sync/_helpers.ts";

// A power of two, so sums of ticks are exact and events meet at the same time.
const TICK = 2 ** -10;

interface Producer {
  /** Delay (in ticks, 0 = one loop iteration) before each put. */
  delays: number[];
  /** After which put (index) this producer cancels a consumer at once, and which one. */
  cancelsConsumer: [after: number, consumer: number] | null;
}

interface Consumer {
  /** Delay before each get, and whether that get has a timeout (in ticks). */
  gets: { delay: number; timeout: number | null }[];
}

interface Scenario {
  kind: "Queue" | "LifoQueue" | "PriorityQueue";
  maxsize: number;
  producers: Producer[];
  consumers: Consumer[];
  /** Cancellations at a time (in ticks): a producer or a consumer. */
  cancels: { consumer: boolean; index: number; at: number }[];
}

const delay = fc.integer({ min: 0, max: 3 });

const scenario: fc.Arbitrary<Scenario> = fc.record({
  kind: fc.constantFrom("Queue", "Queue", "LifoQueue", "PriorityQueue"),
  maxsize: fc.constantFrom(0, 1, 1, 2, 3),
  producers: fc.array(
    fc.record({
      delays: fc.array(delay, { maxLength: 8 }),
      cancelsConsumer: fc.option(fc.tuple(fc.nat(7), fc.nat(3)), { freq: 3 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  consumers: fc.array(
    fc.record({
      gets: fc.array(
        fc.record({ delay, timeout: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }) }),
        { maxLength: 10 },
      ),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  cancels: fc.array(
    fc.record({ consumer: fc.boolean(), index: fc.nat(3), at: fc.integer({ min: 0, max: 12 }) }),
    { maxLength: 4 },
  ),
});

async function pause(ticks: number): Promise<void> {
  await sleep(ticks * TICK);
}

function makeQueue(s: Scenario): Queue<number> {
  const options = { maxsize: s.maxsize };
  if (s.kind === "LifoQueue") return new LifoQueue(options);
  if (s.kind === "PriorityQueue") return new PriorityQueue(options);
  return new Queue(options);
}

/** Runs a scenario and checks the invariants. */
async function check(s: Scenario): Promise<void> {
  await inLoop(async (loop) => {
    const q = makeQueue(s);
    const putOk: number[] = [];
    const putFailed = new Set<number>();
    // Items in the order consumers received them.
    const taken: number[] = [];
    const consumers: Task<void>[] = [];

    const producers = s.producers.map((p, pi) =>
      createTask(async () => {
        for (let seq = 0; seq < p.delays.length; seq++) {
          await pause(p.delays[seq]);
          const item = pi * 1000 + seq;
          try {
            await q.put(item);
          } catch (err) {
            putFailed.add(item);
            throw err;
          }
          putOk.push(item);
          // Cancel a consumer in the same step as the put: the race of a
          // getter woken for this item and cancelled before it resumes.
          if (p.cancelsConsumer !== null && p.cancelsConsumer[0] === seq) {
            consumers[p.cancelsConsumer[1] % consumers.length]?.cancel();
          }
        }
      })
    );
    for (const c of s.consumers) {
      consumers.push(createTask(async () => {
        for (const { delay, timeout } of c.gets) {
          await pause(delay);
          try {
            const item = timeout === null
              ? await q.get()
              : await waitFor(() => q.get(), timeout * TICK);
            taken.push(item);
          } catch (err) {
            if (err instanceof TimeoutError) continue;
            if (err instanceof QueueShutDown) return;
            throw err;
          }
        }
      }));
    }
    // Between any two callbacks: a waiting getter means nothing to take,
    // and a waiting putter means no room (what a woken waiter is owed
    // counts as taken).
    let monitoring = true;
    const monitor = (): void => {
      const st = q.statistics();
      assert.ok(st.getters === 0 || st.qsize === 0, `getters wait beside items: ${q}`);
      assert.ok(st.putters === 0 || q.full(), `putters wait beside room: ${q}`);
      if (monitoring) loop.callLater(TICK / 2, monitor);
    };
    monitor();
    for (const { consumer, index, at } of s.cancels) {
      const tasks: Task<void>[] = consumer ? consumers : producers;
      loop.callLater(at * TICK, () => tasks[index % tasks.length].cancel());
    }

    // Long after every scheduled delay, timeout and cancellation, each task
    // is done or blocked on the queue for good.
    await pause(500);
    monitoring = false;
    await pause(1);
    // Quiet now, so nothing is owed to a woken waiter: a putter waits only
    // beside maxsize items, and a getter only beside none.
    const stats = q.statistics();
    assert.ok(stats.putters === 0 || stats.qsize >= s.maxsize, `putters wait beside room: ${q}`);
    assert.ok(stats.getters === 0 || stats.qsize === 0, `getters wait beside items: ${q}`);

    // Shutting down releases every blocked task.
    q.shutdown();
    const ended = await gather(...producers, ...consumers, { returnExceptions: true });
    for (const r of ended) {
      if (r === undefined) continue;
      assert.ok(r instanceof CancelledError || r instanceof QueueShutDown, `task failed: ${r}`);
    }
    const left: number[] = [];
    while (!q.empty()) left.push(q.getNowait());
    assert.equal(q.statistics().getters + q.statistics().putters, 0);

    // Exactly once: taken + left is the multiset of successful puts.
    const out = [...taken, ...left];
    assert.deepEqual([...out].sort((a, b) => a - b), [...putOk].sort((a, b) => a - b));
    for (const item of out) assert.ok(!putFailed.has(item), `a failed put came out: ${item}`);

    if (s.kind === "Queue") {
      // FIFO per producer, in the order items came out.
      const last = new Map<number, number>();
      for (const item of out) {
        const producer = Math.floor(item / 1000), seq = item % 1000;
        assert.ok((last.get(producer) ?? -1) < seq, `producer ${producer} out of order: ${out}`);
        last.set(producer, seq);
      }
    }
    assert.equal(getRunningLoop(), loop);
  });
}

Deno.test("Queue.put() and get() under random producers, consumers and cancellations keep every item exactly once, in order (property)", async () => {
  await fc.assert(fc.asyncProperty(scenario, check), { numRuns: 300 });
});

Deno.test("Queue.get() cancelled in the same step as the put that woke it loses nothing (property, racy scenarios)", async () => {
  // Many consumers cancelled right after puts, tight maxsize, no delays.
  const racy = scenario.map((s) => ({
    ...s,
    maxsize: s.maxsize === 0 ? 0 : 1,
    producers: s.producers.map((p, i) => ({
      delays: p.delays.map(() => 0),
      cancelsConsumer: [i % Math.max(1, p.delays.length), i] as [number, number],
    })),
  }));
  await fc.assert(fc.asyncProperty(racy, check), { numRuns: 200 });
});
