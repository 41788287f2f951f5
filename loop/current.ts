/**
 * Which loop is running, and the scheduler state that tasks and the loop
 * share. One loop runs at a time per JavaScript realm (a Worker is another
 * realm), as asyncio allows one running loop per thread.
 *
 * @module
 */
import { RuntimeError } from "./exceptions.ts";
import type { AbstractEventLoop } from "./abstract_event_loop.ts";

let runningLoop: AbstractEventLoop | null = null;

/**
 * The running event loop. Equivalent to Python's `asyncio.get_running_loop()`.
 *
 * @returns The loop whose `runForever()`/`runUntilComplete()` is in progress.
 * @throws {RuntimeError} No loop is running.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   assert.ok(loop.isRunning());
 * });
 * ```
 */
export function getRunningLoop(): AbstractEventLoop {
  if (runningLoop === null) throw new RuntimeError("No running event loop");
  return runningLoop;
}

/** The running loop, or null (Python's `asyncio._get_running_loop()`). */
export function runningLoopOrNull(): AbstractEventLoop | null {
  return runningLoop;
}

/** Records the running loop; only loops call this, on entering and leaving `runForever`. */
export function setRunningLoop(loop: AbstractEventLoop | null): void {
  runningLoop = loop;
}

/**
 * The count the loop uses to know when every resumed task has suspended again.
 *
 * A task is "resumed" when a future it awaits hands it a result; it has
 * "suspended" once it awaits a pending loop future again or finishes. After
 * running a callback that resumed tasks, the loop drains microtasks until
 * `resumed` is back to zero, so a task's step runs to its next suspension
 * before the next callback runs, as in asyncio. A task that instead awaits a
 * foreign promise never suspends on a loop future; the loop then stops
 * waiting at its next host turn and bumps `generation`, which marks every
 * task still counted as resumed as no longer counted.
 */
export const steps: { resumed: number; generation: number } = {
  resumed: 0,
  generation: 0,
};
