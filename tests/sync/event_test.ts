/**
 * Event: the behaviours of CPython's test_locks.py EventTests.
 */
import assert from "node:assert/strict";
import { CancelledError, createTask, Event, gather } from "../../mod.ts";
import { inLoop, rejection, tick } from "./_helpers.ts";

Deno.test("Event.set() wakes every waiter, in the order they waited", async () => {
  await inLoop(async () => {
    const ev = new Event();
    assert.ok(!ev.isSet());
    const result: number[] = [];
    const c = (id: number) => async () => {
      if (await ev.wait()) result.push(id);
    };
    const t1 = createTask(c(1));
    const t2 = createTask(c(2));
    await tick();
    assert.deepEqual(result, []);
    const t3 = createTask(c(3));
    ev.set();
    await tick();
    // t3 started after set(): it did not wait, so it ran first.
    assert.deepEqual(result, [3, 1, 2]);
    await gather(t1, t2, t3);
    assert.equal(ev.statistics().waiters, 0);
  });
});

Deno.test("Event.wait() on a set event resolves to true at once", async () => {
  await inLoop(async () => {
    const ev = new Event();
    ev.set();
    ev.set();
    assert.equal(await ev.wait(), true);
  });
});

Deno.test("Event.wait() cancelled leaves the queue", async () => {
  await inLoop(async (loop) => {
    const ev = new Event();
    const wait = createTask(() => ev.wait());
    loop.callSoon(() => wait.cancel());
    assert.ok(await rejection(wait) instanceof CancelledError);
    assert.equal(ev.statistics().waiters, 0);
  });
});

Deno.test("Event.clear() resets the flag; tasks already woken stay woken", async () => {
  await inLoop(async () => {
    const ev = new Event();
    ev.set();
    ev.clear();
    assert.ok(!ev.isSet());
    const t = createTask(() => ev.wait());
    await tick();
    ev.set();
    ev.clear();
    assert.ok(!ev.isSet());
    assert.equal(await t, true);
    const later = createTask(() => ev.wait());
    await tick();
    assert.ok(!later.done());
    ev.set();
    assert.equal(await later, true);
  });
});

Deno.test("Event.set() woken waiter cancelled before it resumes does not affect the others", async () => {
  await inLoop(async () => {
    const ev = new Event();
    const a = createTask(() => ev.wait());
    const b = createTask(() => ev.wait());
    await tick();
    ev.set();
    a.cancel();
    assert.ok(await rejection(a) instanceof CancelledError);
    assert.equal(await b, true);
    assert.ok(ev.isSet());
  });
});

Deno.test("Event.toString() and statistics() show the flag and the waiters", async () => {
  await inLoop(async () => {
    const ev = new Event();
    assert.equal(String(ev), "<Event [unset]>");
    const t = createTask(() => ev.wait());
    await tick();
    assert.equal(String(ev), "<Event [unset, waiters:1]>");
    assert.deepEqual(ev.statistics(), { set: false, waiters: 1 });
    ev.set();
    assert.equal(String(ev), "<Event [set]>");
    await t;
  });
});
