/**
 * Helpers of the sync and queue tests, on top of the task tests' harness: a
 * run on the virtual clock whose exception handler fails the test on any
 * report, and small probes.
 *
 * @module
 */
import { sleep } from "../../mod.ts";
import type { TestLoop } from "../../testing/mod.ts";
import { inLoop as inTaskLoop } from "../tasks/_task_helpers.ts";

export { now, rejection } from "../tasks/_task_helpers.ts";

/**
 * Runs `body` as the main task of `run()` on a fresh {@linkcode TestLoop}
 * (time jumps to the next timer whenever the loop is idle). Any report of
 * the loop's exception handler fails the test.
 */
export function inLoop<T>(body: (loop: TestLoop) => Promise<T> | T): Promise<T> {
  return inTaskLoop((h) => body(h.loop));
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
