/**
 * Helpers of the sync and queue tests: a run on the virtual clock whose
 * exception handler fails the test on any report, and small probes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type ExceptionContext, getRunningLoop, run, sleep } from "../../mod.ts";
import { TestLoop } from "../../testing/mod.ts";

/**
 * Runs `body` as the main task of `run()` on a fresh {@linkcode TestLoop}
 * (time jumps to the next timer whenever the loop is idle). Any report of
 * the loop's exception handler fails the test.
 */
export async function inLoop<T>(body: (loop: TestLoop) => Promise<T> | T): Promise<T> {
  const reports: ExceptionContext[] = [];
  let loop: TestLoop | null = null;
  const result = await run(() => body(loop!), {
    loopFactory: () => {
      loop = new TestLoop();
      loop.setExceptionHandler((_loop, context) => {
        reports.push(context);
      });
      return loop;
    },
  });
  assert.deepEqual(
    reports.map((r) => `${r.message}: ${String(r.exception)}`),
    [],
    "the exception handler received reports",
  );
  return result;
}

/** Lets `n` loop iterations pass (asyncio's `await asyncio.sleep(0)` n times). */
export async function tick(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await sleep(0);
}

/**
 * Runs the loop until nothing but later timers are left: on the virtual
 * clock, a sleep returns only once every task is blocked or done.
 */
export async function settle(): Promise<void> {
  await sleep(1e-9);
}

/** The current loop time. */
export function now(): number {
  return getRunningLoop().time();
}

/** Awaits `promise` and returns what it rejected with; fails the test if it fulfilled. */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail("expected a rejection");
}
