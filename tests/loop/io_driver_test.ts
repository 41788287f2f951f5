/**
 * The base loop's side of `IoDriver.poll`: a driver that polls I/O itself
 * (the epoll selector's) is asked once per iteration, with 0 while
 * callbacks are ready and with the time to the next timer when the loop
 * would otherwise sleep; what the poll schedules runs in the next pass.
 */
import assert from "node:assert/strict";
import { BaseEventLoop, type IoDriver } from "../../loop/mod.ts";

class PollingDriver implements IoDriver {
  readonly timeouts: number[] = [];
  inFlight = 0;
  // Called by the loop's idle poll, as a driver's readiness would be.
  onIdle: (() => void) | null = null;

  readonly poll = (timeout: number): void => {
    this.timeouts.push(timeout);
    if (timeout > 0 && this.onIdle !== null) this.onIdle();
  };

  close(): void {}
}

Deno.test("BaseEventLoop polls a self-polling driver with 0 while callbacks are ready", async () => {
  const driver = new PollingDriver();
  const loop = new BaseEventLoop({ ioDriver: driver });
  const polledBefore: number[] = [];
  await loop.runUntilComplete(async () => {
    const done = loop.createFuture<void>();
    // A chain of callbacks, one per iteration: each sees the polls made so far.
    const step = (i: number): void => {
      polledBefore.push(driver.timeouts.length);
      if (i < 5) loop.callSoon(step, i + 1);
      else done.setResult(undefined);
    };
    loop.callSoon(step, 0);
    await done;
  });
  loop.close();
  for (let i = 1; i < polledBefore.length; i++) {
    const polls = driver.timeouts.slice(polledBefore[i - 1], polledBefore[i]);
    assert.deepEqual(polls, [0], `one non-blocking poll per busy iteration: ${polls}`);
  }
});

Deno.test("BaseEventLoop's idle poll gets the time to its next timer, or Infinity", async () => {
  const driver = new PollingDriver();
  const loop = new BaseEventLoop({ ioDriver: driver });
  await loop.runUntilComplete(async () => {
    await new Promise<void>((resolve) => loop.callLater(0.05, resolve));
  });
  const idle = driver.timeouts.find((t) => t > 0);
  assert.ok(idle !== undefined && idle <= 0.05, `bounded by the timer: ${driver.timeouts}`);
  driver.timeouts.length = 0;
  // With no timer at all, the bound is Infinity; what the poll schedules runs.
  const ran = await loop.runUntilComplete(async () => {
    const fut = loop.createFuture<string>();
    driver.onIdle = () => {
      driver.onIdle = null;
      loop.callSoon(() => fut.setResult("from the poll"));
    };
    return await fut;
  });
  loop.close();
  assert.equal(ran, "from the poll");
  assert.ok(driver.timeouts.includes(Infinity), `polls: ${driver.timeouts}`);
});
