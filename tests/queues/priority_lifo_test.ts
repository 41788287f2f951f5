/**
 * PriorityQueue and LifoQueue: their order (CPython's test_queues.py order
 * tests), the default comparator's Python semantics, a custom comparator,
 * and the heap's exception safety; plus the ring buffer behind Queue.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { compareItems, createTask, LifoQueue, PriorityQueue, Queue } from "../../mod.ts";
import { Heap, RingBuffer } from "../../queues/_stores.ts";
import { inLoop, tick } from "../sync/_helpers.ts";

Deno.test("LifoQueue.get() returns the newest item first", async () => {
  await inLoop(async () => {
    const q = new LifoQueue<number>();
    for (const i of [1, 3, 2]) await q.put(i);
    const items = [await q.get(), await q.get(), await q.get()];
    assert.deepEqual(items, [2, 3, 1]);
    assert.ok(q instanceof Queue);
  });
});

Deno.test("PriorityQueue.get() returns the smallest item first", async () => {
  await inLoop(async () => {
    const q = new PriorityQueue<number>();
    for (const i of [1, 3, 2]) await q.put(i);
    assert.deepEqual([await q.get(), await q.get(), await q.get()], [1, 2, 3]);
    assert.ok(q instanceof Queue);
  });
});

Deno.test("PriorityQueue orders [priority, data] tuples like Python", () => {
  const q = new PriorityQueue<[number, string]>();
  q.putNowait([2, "b"]);
  q.putNowait([1, "z"]);
  q.putNowait([2, "a"]);
  q.putNowait([1, "y"]);
  const out = [q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()];
  assert.deepEqual(out, [[1, "y"], [1, "z"], [2, "a"], [2, "b"]]);
});

Deno.test("PriorityQueue({ compare }) uses the given order", () => {
  const q = new PriorityQueue<{ due: number }>({ compare: (a, b) => b.due - a.due });
  for (const due of [5, 9, 1]) q.putNowait({ due });
  assert.deepEqual([q.getNowait().due, q.getNowait().due, q.getNowait().due], [9, 5, 1]);
  assert.throws(
    () => new PriorityQueue({ compare: "desc" as unknown as () => number }),
    {
      name: "TypeError",
      message: "Cannot create PriorityQueue as 'compare' must be a function: received string",
    },
  );
});

Deno.test("PriorityQueue.putNowait() of an item the order cannot compare throws and changes nothing", () => {
  const q = new PriorityQueue<unknown>();
  q.putNowait(2);
  q.putNowait(1);
  assert.throws(() => q.putNowait("a"), {
    name: "TypeError",
    message:
      "Cannot order PriorityQueue items as the default order needs two numbers, two strings or two arrays: received string and number; pass a 'compare' function",
  });
  assert.equal(q.qsize(), 2);
  assert.throws(() => q.putNowait(null), TypeError);
  assert.deepEqual([q.getNowait(), q.getNowait()], [1, 2]);
  assert.equal(q.statistics().unfinishedTasks, 2, "the refused items were not counted");
});

Deno.test("PriorityQueue.put() of an item the order cannot compare rejects", async () => {
  await inLoop(async () => {
    const q = new PriorityQueue<unknown>();
    await q.put(1);
    await assert.rejects(Promise.resolve(q.put({})), TypeError);
    assert.equal(q.qsize(), 1);
  });
});

Deno.test("PriorityQueue hands an item to a waiting getter without comparing", async () => {
  await inLoop(async () => {
    const q = new PriorityQueue<number>();
    const getter = createTask(() => q.get());
    await tick();
    q.putNowait(7);
    assert.equal(await getter, 7);
  });
});

Deno.test("compareItems() compares numbers, strings and arrays as Python does", () => {
  assert.ok(compareItems(1, 2) < 0);
  assert.ok(compareItems(2, 1) > 0);
  assert.equal(compareItems(1, 1), 0);
  assert.ok(compareItems(1n, 2) < 0);
  assert.ok(compareItems(false, 1) < 0);
  assert.ok(compareItems("a", "b") < 0);
  assert.ok(compareItems([1, "b"], [1, "a"]) > 0);
  assert.ok(compareItems([1], [1, 0]) < 0);
  assert.equal(compareItems([1, [2, 3]], [1, [2, 3]]), 0);
  assert.ok(compareItems([1, "a"], [2, 3]) < 0, "decided before the incomparable elements");
  assert.throws(() => compareItems([1, "a"], [1, 3]), TypeError);
  assert.throws(() => compareItems(1, "1"), TypeError);
  assert.throws(() => compareItems({}, {}), TypeError);
});

Deno.test("Heap take() of items ordered by compareItems yields them sorted (property)", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 200 }), (items) => {
      const heap = new Heap<number>(compareItems);
      for (const item of items) heap.put(item);
      const out: number[] = [];
      while (heap.length > 0) out.push(heap.take());
      assert.deepEqual(out, [...items].sort((a, b) => a - b));
    }),
  );
});

Deno.test("Heap put() with a throwing comparator leaves the heap intact (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 100 }),
      fc.integer({ min: 0, max: 50 }),
      (items, failAt) => {
        let calls = 0;
        let armed = false;
        const heap = new Heap<number>((a, b) => {
          if (armed && calls++ === failAt) throw new Error("compare failed");
          return a - b;
        });
        for (const item of items) heap.put(item);
        armed = true;
        try {
          heap.put(-1);
        } catch {
          // The heap must be exactly as before.
        }
        armed = false;
        const out: number[] = [];
        while (heap.length > 0) out.push(heap.take());
        const expected = [...items];
        if (out.length > items.length) expected.push(-1);
        assert.deepEqual(out, expected.sort((a, b) => a - b));
      },
    ),
  );
});

Deno.test("RingBuffer keeps FIFO order across growth, put-backs and shrinking (property)", () => {
  type Op = { put: number } | { take: true } | { back: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.integer().map((put) => ({ put })),
    fc.constant({ take: true as const }),
    fc.integer().map((back) => ({ back })),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
      const ring = new RingBuffer<number>();
      const model: number[] = [];
      for (const o of ops) {
        if ("put" in o) {
          ring.put(o.put);
          model.push(o.put);
        } else if ("back" in o) {
          ring.putBack(o.back);
          model.unshift(o.back);
        } else if (model.length > 0) {
          assert.equal(ring.take(), model.shift());
        }
        assert.equal(ring.length, model.length);
      }
      const rest: number[] = [];
      while (ring.length > 0) rest.push(ring.take());
      assert.deepEqual(rest, model);
    }),
  );
});
