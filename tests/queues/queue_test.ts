// Task bodies are async functions, as coroutines are, even when they never await.
// deno-lint-ignore-file require-await
/**
 * Queue: the behaviours of CPython's test_queues.py (order, maxsize,
 * blocking and non-blocking get/put, the cancellation races, join and
 * taskDone, 3.13's shutdown) for Queue, PriorityQueue and LifoQueue, plus
 * async iteration and bad input.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  gather,
  getRunningLoop,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  type QueueOptions,
  QueueShutDown,
  run,
  RuntimeError,
  sleep,
  TaskGroup,
  TimeoutError,
  waitFor,
} from "../../mod.ts";
import { inLoop, rejection, settle, tick } from "../sync/_helpers.ts";

type MakeQueue = <T>(options?: QueueOptions) => Queue<T>;

const QUEUES: [string, MakeQueue][] = [
  ["Queue", (options) => new Queue(options)],
  ["LifoQueue", (options) => new LifoQueue(options)],
  ["PriorityQueue", (options) => new PriorityQueue(options)],
];

Deno.test("Queue.getNowait() returns items in FIFO order", () => {
  const q = new Queue<number>();
  for (const i of [1, 3, 2]) q.putNowait(i);
  assert.deepEqual([q.getNowait(), q.getNowait(), q.getNowait()], [1, 3, 2]);
});

Deno.test("Queue.empty(), full() and qsize() follow puts and gets", async () => {
  await inLoop(async () => {
    const q = new Queue<number>();
    assert.ok(q.empty());
    assert.ok(!q.full());
    await q.put(1);
    assert.ok(!q.empty());
    assert.equal(q.qsize(), 1);
    assert.equal(await q.get(), 1);
    assert.ok(q.empty());
    const bounded = new Queue<number>({ maxsize: 1 });
    await bounded.put(1);
    assert.ok(bounded.full());
  });
});

Deno.test("Queue() rejects a maxsize that is not a number", () => {
  assert.throws(() => new Queue({ maxsize: "2" as unknown as number }), {
    name: "TypeError",
    message:
      "Cannot create Queue as 'maxsize' must be a number (0 or less for no limit): received string",
  });
  assert.throws(() => new PriorityQueue({ maxsize: NaN }), TypeError);
  // As in Python, 0 or less means no limit, and maxsize keeps what was given.
  const q = new Queue<number>({ maxsize: -1 });
  assert.equal(q.maxsize, -1);
  for (let i = 0; i < 100; i++) q.putNowait(i);
  assert.ok(!q.full());
});

Deno.test("Queue with a fractional maxsize fills up at the next whole item", async () => {
  await inLoop(async () => {
    const q = new Queue<number>({ maxsize: 1.3 });
    q.putNowait(1);
    q.putNowait(2);
    assert.ok(q.full());
    assert.throws(() => q.putNowait(3), QueueFull);
  });
});

Deno.test("Queue.put() blocks at maxsize until a get() makes room", async () => {
  await inLoop(async () => {
    const q = new Queue<number>({ maxsize: 2 });
    assert.equal(q.maxsize, 2);
    const put: number[] = [];
    const t = createTask(async () => {
      for (let i = 0; i < 3; i++) {
        await q.put(i);
        put.push(i);
      }
      return true;
    });
    await tick(2);
    assert.deepEqual(put, [0, 1]);
    assert.equal(await q.get(), 0);
    await tick();
    assert.deepEqual(put, [0, 1, 2]);
    assert.equal(await q.get(), 1);
    assert.equal(await q.get(), 2);
    assert.ok(t.done());
    assert.equal(await t, true);
  });
});

Deno.test("Queue.putNowait() and getNowait() throw QueueFull and QueueEmpty", () => {
  const q = new Queue<number>({ maxsize: 1 });
  assert.throws(() => q.getNowait(), {
    name: "QueueEmpty",
    message: "Cannot get item: queue is empty",
  });
  q.putNowait(1);
  assert.throws(() => q.putNowait(2), {
    name: "QueueFull",
    message: "Cannot put item: queue is full (maxsize 1)",
  });
  assert.ok(new QueueEmpty() instanceof Error && new QueueFull() instanceof Error);
});

Deno.test("Queue.get() waits for an item put later", async () => {
  await inLoop(async (loop) => {
    const q = new Queue<number>();
    let finished = false;
    const getter = createTask(async () => {
      const item = await q.get();
      finished = true;
      return item;
    });
    await tick();
    assert.ok(!finished);
    loop.callLater(0.01, () => q.putNowait(1));
    assert.equal(await getter, 1);
    assert.ok(finished);
  });
});

Deno.test("Queue.put() with getters waiting keeps the item for the longest-waiting one", async () => {
  await inLoop(async () => {
    const q = new Queue<string>();
    const first = createTask(() => q.get());
    const second = createTask(() => q.get());
    await tick();
    assert.equal(q.statistics().getters, 2);
    q.putNowait("a");
    // Promised to `first`: a getNowait() now cannot take it first.
    assert.equal(q.qsize(), 0);
    assert.throws(() => q.getNowait(), QueueEmpty);
    q.putNowait("b");
    assert.deepEqual(await gather(first, second), ["a", "b"]);
  });
});

Deno.test("Queue.get() with waiting putters takes the oldest item and lets the putters in", async () => {
  await inLoop(async () => {
    const q = new Queue<string>({ maxsize: 1 });
    createTask(() => q.put("a"));
    createTask(() => q.put("b"));
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), "b");
  });
});

Deno.test("Queue.get() cancelled while waiting leaves the queue", async () => {
  // CPython's test_get_cancelled_race and
  // test_cancelled_getters_not_being_held_in_self_getters.
  await inLoop(async () => {
    const q = new Queue<string>();
    const t1 = createTask(() => q.get());
    const t2 = createTask(() => q.get());
    await tick();
    t1.cancel();
    await tick();
    assert.ok(t1.done());
    assert.equal(q.statistics().getters, 1);
    await q.put("a");
    assert.equal(await t2, "a");
    assert.ok(await rejection(waitFor(() => q.get(), 0.1)) instanceof TimeoutError);
    assert.equal(q.statistics().getters, 0);
  });
});

Deno.test("Queue.get() cancelled before it received its item leaves the item first in line", async () => {
  // CPython's test_get_cancel_drop_one_pending_reader.
  await inLoop(async () => {
    const q = new Queue<number>();
    let reader = createTask(() => q.get());
    await tick();
    q.putNowait(1);
    q.putNowait(2);
    reader.cancel();
    try {
      await reader;
    } catch (err) {
      assert.ok(err instanceof CancelledError);
      reader = createTask(() => q.get());
      await reader;
    }
    // 2 would mean 1 was dropped.
    assert.equal(reader.result(), 1);
    assert.equal(q.getNowait(), 2);
  });
});

Deno.test("Queue.get() cancelled before it received its item passes its claim to the next getter", async () => {
  // CPython's test_get_cancel_drop_many_pending_readers.
  await inLoop(async () => {
    const q = new Queue<number>();
    await new TaskGroup().run(async (tg) => {
      const reader1 = tg.createTask(() => q.get());
      const reader2 = tg.createTask(() => q.get());
      const reader3 = tg.createTask(() => q.get());
      await tick();
      q.putNowait(1);
      q.putNowait(2);
      reader1.cancel();
      assert.ok(await rejection(reader1) instanceof CancelledError);
      await reader3;
      // Items leave in order: reader1's claim went to reader3, and reader2,
      // which resumed first, took the front item.
      assert.deepEqual([reader2.result(), reader3.result()], [1, 2]);
    });
    assert.equal(q.qsize(), 0);
  });
});

Deno.test("Queue.put() to a waiting getter takes no slot; a cancelled getter's item stays first", async () => {
  await inLoop(async () => {
    const q = new Queue<number>({ maxsize: 1 });
    const reader = createTask(() => q.get());
    await tick();
    q.putNowait(1); // promised to reader: it has left the queue
    assert.ok(!q.full());
    assert.equal(q.qsize(), 0);
    q.putNowait(2); // takes the one slot
    assert.ok(q.full());
    assert.throws(() => q.putNowait(3), QueueFull);
    reader.cancel();
    assert.ok(await rejection(reader) instanceof CancelledError);
    // Nobody else waits: 1 is back in the queue, first, even though that
    // briefly makes more than maxsize items.
    assert.equal(q.qsize(), 2);
    assert.ok(q.full());
    assert.deepEqual([q.getNowait(), q.getNowait()], [1, 2]);
  });
});

Deno.test("Queue.put() waits for a getter, then hands it the item", async () => {
  await inLoop(async () => {
    const q = new Queue<string>();
    const t = createTask(() => q.get());
    await tick();
    await q.put("a");
    assert.equal(await t, "a");
    const q1 = new Queue<number>({ maxsize: 1 });
    let finished = false;
    const putter = createTask(async () => {
      await q1.put(1);
      await q1.put(2);
      finished = true;
    });
    getRunningLoop().callLater(0.01, () => q1.getNowait());
    await tick();
    assert.ok(!finished);
    await putter;
    assert.ok(finished);
    assert.equal(q1.getNowait(), 2);
  });
});

Deno.test("Queue.put() cancelled while waiting does not put its item", async () => {
  // CPython's test_cancelled_puts_not_being_held_in_self_putters.
  await inLoop(async () => {
    const q = new Queue<number>({ maxsize: 1 });
    q.putNowait(1);
    const putTask = createTask(() => q.put(1));
    await tick();
    assert.equal(q.statistics().putters, 1);
    putTask.cancel();
    assert.ok(await rejection(putTask) instanceof CancelledError);
    assert.equal(q.statistics().putters, 0);
    assert.equal(q.qsize(), 1);
  });
});

Deno.test("Queue.put() granted a slot but cancelled before it resumes does not put, and passes the slot on", async () => {
  // CPython's test_put_cancel_drop and test_cancelled_put_silence_value_error_exception:
  // a put() that throws CancelledError did not put, so retrying it puts once.
  await inLoop(async () => {
    const q = new Queue<number>({ maxsize: 1 });
    q.putNowait(1);
    let writer = createTask(() => q.put(2));
    await tick();
    assert.equal(q.getNowait(), 1); // grants the slot to writer
    writer.cancel();
    try {
      await writer;
    } catch (err) {
      assert.ok(err instanceof CancelledError);
      writer = createTask(() => q.put(2));
      await writer;
    }
    assert.equal(q.getNowait(), 2);
    assert.equal(q.qsize(), 0);
  });
});

Deno.test("Queue.put() cancelled in the same iteration as a get() lets the next putter in", async () => {
  // CPython's test_put_cancelled_race.
  await inLoop(async () => {
    const q = new Queue<string>({ maxsize: 1 });
    const putA = createTask(() => q.put("a"));
    const putB = createTask(() => q.put("b"));
    const putC = createTask(() => q.put("X"));
    await tick();
    assert.ok(putA.done());
    assert.ok(!putB.done());
    putC.cancel();
    await tick();
    assert.ok(putC.done());
    assert.equal(q.getNowait(), "a");
    await tick();
    assert.equal(q.getNowait(), "b");
    await putB;
  });
});

Deno.test("Queue.put() granted a slot and cancelled passes it to the next waiting putter", async () => {
  await inLoop(async () => {
    const q = new Queue<string>({ maxsize: 1 });
    q.putNowait("first");
    const p1 = createTask(() => q.put("p1"));
    const p2 = createTask(() => q.put("p2"));
    await tick();
    assert.equal(q.getNowait(), "first"); // slot granted to p1
    p1.cancel();
    assert.ok(await rejection(p1) instanceof CancelledError);
    await p2;
    assert.equal(q.getNowait(), "p2");
    assert.throws(() => q.getNowait(), QueueEmpty);
  });
});

Deno.test("Queue producers and consumers at maxsize 1 never leave a getter waiting for a put item", async () => {
  // CPython's test_why_are_getters_waiting and test_why_are_putters_waiting.
  await inLoop(async () => {
    const q = new Queue<number>({ maxsize: 1 });
    const n = 5;
    await new TaskGroup().run((tg) => {
      tg.createTask(async () => {
        for (let i = 0; i < n; i++) await q.put(i);
      });
      tg.createTask(async () => {
        for (let i = 0; i < n; i++) await q.get();
      });
    });
    const q2 = new Queue<number>({ maxsize: 2 });
    await new TaskGroup().run((tg) => {
      tg.createTask(async () => {
        await sleep(0);
        const num = q2.qsize();
        for (let i = 0; i < num; i++) q2.getNowait();
      });
      for (let i = 0; i < 4; i++) tg.createTask(() => q2.put(i));
    });
  });
});

Deno.test("Queue.taskDone() called too many times throws RangeError", () => {
  for (const [, make] of QUEUES) {
    const q = make<number>();
    assert.throws(() => q.taskDone(), {
      name: "RangeError",
      message: "Cannot mark task done: taskDone() was called more times than items were put",
    });
  }
});

for (const [name, make] of QUEUES) {
  Deno.test(`${name}.join() waits until every item is marked done`, async () => {
    await inLoop(async () => {
      const q = make<number>();
      for (let i = 0; i < 100; i++) q.putNowait(i);
      let sum = 0;
      let running = true;
      await new TaskGroup().run(async (tg) => {
        for (let w = 0; w < 2; w++) {
          tg.createTask(async () => {
            while (running) {
              sum += await q.get();
              q.taskDone();
            }
          });
        }
        await q.join();
        assert.equal(sum, 4950);
        running = false;
        q.putNowait(0);
        q.putNowait(0);
      });
    });
  });

  Deno.test(`${name}.join() on a queue with nothing unfinished resolves at once`, async () => {
    await inLoop(async () => {
      const q = make<number>();
      await q.join();
      await q.join();
    });
  });

  Deno.test(`${name}.shutdown() of an empty queue fails waiting and later gets and puts`, async () => {
    await inLoop(async () => {
      const q = make<string>();
      const getTask = createTask(() => q.get());
      await tick();
      q.shutdown();
      assert.equal(q.qsize(), 0);
      await q.join();
      await tick();
      assert.ok(getTask.done());
      assert.ok(await rejection(getTask) instanceof QueueShutDown);
      assert.ok(await rejection(q.put("data")) instanceof QueueShutDown);
      assert.throws(() => q.putNowait("data"), QueueShutDown);
      assert.ok(await rejection(q.get()) instanceof QueueShutDown);
      assert.throws(() => q.getNowait(), {
        name: "QueueShutDown",
        message: "Cannot get item: queue is shut down and empty",
      });
      assert.ok(String(q).endsWith(" shutdown>"));
    });
  });

  Deno.test(`${name}.shutdown() of a non-empty queue lets gets drain it`, async () => {
    await inLoop(async () => {
      const q = make<string>({ maxsize: 1 });
      q.putNowait("data");
      const joinTask = createTask(() => q.join());
      const putTask = createTask(() => q.put("data2"));
      await tick();
      assert.ok(!putTask.done());
      q.shutdown(false);
      assert.equal(q.qsize(), 1);
      await tick();
      assert.ok(await rejection(putTask) instanceof QueueShutDown);
      assert.equal(await q.get(), "data");
      await tick();
      assert.ok(!joinTask.done());
      assert.ok(await rejection(q.put("data")) instanceof QueueShutDown);
      assert.ok(await rejection(q.get()) instanceof QueueShutDown);
      q.taskDone();
      await tick();
      assert.ok(joinTask.done());
      assert.throws(() => q.taskDone(), RangeError);
    });
  });

  Deno.test(`${name}.shutdown(true) drops the items and counts them done`, async () => {
    await inLoop(async () => {
      const q = make<string>();
      q.putNowait("data");
      const joinTask = createTask(() => q.join());
      q.shutdown(true);
      assert.equal(q.qsize(), 0);
      await tick();
      assert.ok(joinTask.done());
      assert.ok(await rejection(q.put("data")) instanceof QueueShutDown);
      assert.ok(await rejection(q.get()) instanceof QueueShutDown);
      assert.throws(() => q.getNowait(), QueueShutDown);
      assert.throws(() => q.taskDone(), RangeError);
    });
  });

  Deno.test(`${name}.shutdown(true) with an item already taken leaves it unfinished`, async () => {
    await inLoop(async () => {
      const q = make<string>();
      q.putNowait("data");
      q.putNowait("data");
      const joinTask = createTask(() => q.join());
      assert.equal(await q.get(), "data");
      q.shutdown(true);
      assert.equal(q.qsize(), 0);
      await tick();
      assert.ok(!joinTask.done());
      q.taskDone();
      assert.throws(() => q.taskDone(), RangeError);
      await tick();
      assert.ok(joinTask.done());
    });
  });

  Deno.test(`${name} is async-iterable until it is shut down`, async () => {
    await inLoop(async (loop) => {
      const q = make<number>();
      const seen: number[] = [];
      const consumer = createTask(async () => {
        for await (const item of q) seen.push(item);
        return "ended";
      });
      for (const i of [3, 1, 2]) {
        await q.put(i);
        await tick();
      }
      loop.callLater(1, () => q.shutdown());
      assert.equal(await consumer, "ended");
      assert.deepEqual(seen, [3, 1, 2]);
    });
  });
}

Deno.test("Queue.shutdown(true) drops an item promised to a getter that has not resumed", async () => {
  await inLoop(async () => {
    const q = new Queue<string>();
    const getter = createTask(() => q.get());
    await tick();
    q.putNowait("x"); // promised to getter
    q.shutdown(true);
    assert.ok(await rejection(getter) instanceof QueueShutDown);
    assert.throws(() => q.taskDone(), RangeError, "the dropped item counted as done");
  });
});

Deno.test("Queue.shutdown() after a slot was granted makes the woken putter fail, not put", async () => {
  await inLoop(async () => {
    const q = new Queue<string>({ maxsize: 1 });
    q.putNowait("a");
    const putter = createTask(() => q.put("b"));
    await tick();
    q.getNowait(); // grants the slot to putter
    q.shutdown();
    assert.ok(await rejection(putter) instanceof QueueShutDown);
    assert.equal(q.qsize(), 0);
  });
});

Deno.test("Queue iteration with break stops getting", async () => {
  await inLoop(async () => {
    const q = new Queue<number>();
    for (let i = 0; i < 5; i++) q.putNowait(i);
    const seen: number[] = [];
    for await (const item of q) {
      seen.push(item);
      if (item === 2) break;
    }
    assert.deepEqual(seen, [0, 1, 2]);
    assert.equal(q.qsize(), 2);
  });
});

Deno.test("Queue iteration cancelled while waiting throws CancelledError and loses nothing", async () => {
  await inLoop(async () => {
    const q = new Queue<number>();
    const consumer = createTask(async () => {
      for await (const _ of q) { /* consume */ }
    });
    await tick();
    q.putNowait(1); // promised to the waiting consumer
    consumer.cancel();
    assert.ok(await rejection(consumer) instanceof CancelledError);
    assert.equal(q.getNowait(), 1);
  });
});

Deno.test("Queue.get() awaited through gather() receives its item even without a task awaiting it", async () => {
  await inLoop(async () => {
    const q = new Queue<number>();
    const both = gather(q.get(), q.get());
    q.putNowait(1);
    q.putNowait(2);
    assert.deepEqual(await both, [1, 2]);
  });
});

Deno.test("Queue.put() of a thenable item is adopted by await, as with any promise", async () => {
  await inLoop(async () => {
    const q = new Queue<{ value: number } | Promise<number>>();
    q.putNowait(Promise.resolve(5));
    assert.equal(await q.get(), 5);
    q.putNowait({ value: 5 });
    assert.deepEqual(await q.get(), { value: 5 });
  });
});

Deno.test("Queue binds to the loop of its first wait", async () => {
  const q = new Queue<number>();
  await run(async () => {
    const getter = createTask(() => q.get());
    await sleep(0);
    q.putNowait(1);
    assert.equal(await getter, 1);
  });
  await run(async () => {
    q.putNowait(2); // no wait: no loop needed
    assert.equal(await q.get(), 2);
    assert.throws(() => q.get(), {
      name: "RuntimeError",
      message:
        "Cannot get from queue: <Queue maxsize=0 qsize=0 tasks=2> is bound to a different event loop",
    });
  });
  assert.throws(() => new Queue<number>().get(), RuntimeError);
});

Deno.test("Queue.toString() and statistics() show the state", async () => {
  await inLoop(async () => {
    const q = new Queue<number>();
    assert.equal(String(q), "<Queue maxsize=0 qsize=0>");
    const getter = createTask(() => q.get());
    await tick();
    assert.equal(String(q), "<Queue maxsize=0 qsize=0 getters=1>");
    q.putNowait(0);
    q.putNowait(1);
    assert.equal(String(q), "<Queue maxsize=0 qsize=1 tasks=2>");
    await getter;
    const full = new Queue<number>({ maxsize: 1 });
    full.putNowait(1);
    const putter = createTask(() => full.put(2));
    await tick();
    assert.deepEqual(full.statistics(), {
      qsize: 1,
      maxsize: 1,
      getters: 0,
      putters: 1,
      unfinishedTasks: 1,
      shutdown: false,
    });
    assert.equal(String(full), "<Queue maxsize=1 qsize=1 putters=1 tasks=1>");
    full.getNowait();
    await putter;
    await settle();
  });
});
