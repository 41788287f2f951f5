/**
 * `wait`: wait for a set of futures until all, the first, or the first
 * failing one completes.
 *
 * @module
 */
import { runningLoopOrNull } from "../loop/current.ts";
import { RuntimeError } from "../loop/exceptions.ts";
import type { TimerHandle } from "../loop/handle.ts";
import { Future, onDone } from "./future.ts";

/** `wait` returns when any future finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** `wait` returns when any future finishes with an exception, or all finish. */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** `wait` returns when all futures finish or are cancelled. */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** When {@linkcode wait} returns. Equivalent to Python's `return_when` constants. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options of {@linkcode wait}. */
export interface WaitOptions {
  /** Seconds to wait at most (default: no limit). On timeout, `wait` returns; it does not throw. */
  timeout?: number | null;
  /** When to return (default {@linkcode ALL_COMPLETED}). */
  returnWhen?: ReturnWhen;
}

/**
 * Waits for `futures` (futures or tasks) and resolves to `[done, pending]`,
 * two Sets. Equivalent to Python's `asyncio.wait`; the futures are neither
 * cancelled nor awaited, and a timeout returns instead of throwing.
 *
 * This is the safe way to wait for the first of several futures: unlike
 * `Promise.race`, it leaves no callback on the futures that did not win, so a
 * later cancellation of the waiting task cannot reach them.
 *
 * @throws {TypeError} An element is not a future (wrap promises with `ensureFuture`, run functions with `createTask`).
 * @throws {RangeError} `futures` is empty, `timeout` is NaN, or `returnWhen` is unknown.
 *
 * @example
 * ```ts
 * import { createTask, FIRST_COMPLETED, run, sleep, wait } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const fast = createTask(() => sleep(0.001, "fast"));
 *   const slow = createTask(() => sleep(10, "slow"));
 *   const [done, pending] = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
 *   assert.ok(done.has(fast) && pending.has(slow));
 *   slow.cancel();
 * });
 * ```
 */
export async function wait<F extends Future<unknown>>(
  futures: Iterable<F>,
  options?: WaitOptions,
): Promise<[Set<F>, Set<F>]> {
  const fs = new Set<F>();
  for (const f of futures) {
    if (!(f instanceof Future)) {
      throw new TypeError(
        `Cannot wait as every element of 'futures' must be a Future or Task: received ${
          typeof f === "function" ? "a function (run it with createTask)" : typeof f
        }`,
      );
    }
    fs.add(f);
  }
  if (fs.size === 0) throw new RangeError("Cannot wait as 'futures' must not be empty");
  const returnWhen = options?.returnWhen ?? ALL_COMPLETED;
  if (
    returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION && returnWhen !== ALL_COMPLETED
  ) {
    throw new RangeError(
      `Cannot wait as 'returnWhen' must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED: received ${
        String(returnWhen)
      }`,
    );
  }
  const timeout = options?.timeout ?? null;
  if (timeout !== null && (typeof timeout !== "number" || Number.isNaN(timeout))) {
    throw new RangeError(
      `Cannot wait as 'timeout' must be a number of seconds or null: received ${String(timeout)}`,
    );
  }
  const loop = runningLoopOrNull();
  if (loop === null) throw new RuntimeError("Cannot wait: no running event loop");
  await waitInto(fs, timeout, returnWhen);
  const done = new Set<F>();
  const pending = new Set<F>();
  for (const f of fs) (f.done() ? done : pending).add(f);
  return [done, pending];
}

/**
 * Waits on one internal future until `returnWhen` holds for `fs` or
 * `timeout` passes, then removes the callbacks it added to `fs` (internal:
 * shared with `asCompleted`).
 */
export async function waitInto(
  fs: Set<Future<unknown>>,
  timeout: number | null,
  returnWhen: ReturnWhen,
): Promise<void> {
  const loop = runningLoopOrNull()!;
  let counter = 0;
  for (const f of fs) if (!f.done()) counter++;
  if (counter === 0) return;
  if (returnWhen !== ALL_COMPLETED) {
    for (const f of fs) {
      if (!f.done()) continue;
      if (returnWhen === FIRST_COMPLETED) return;
      if (!f.cancelled() && f.exception() !== undefined) return;
    }
  }
  const waiter = new Future<void>({ loop });
  let timer: TimerHandle | null = null;
  if (timeout !== null && timeout !== Infinity) {
    timer = loop.callLater(Math.max(timeout, 0), () => {
      if (!waiter.done()) waiter.setResult();
    });
  }
  const onCompletion = (f: Future<unknown>): void => {
    if (waiter.done()) return;
    counter--;
    if (
      counter <= 0 || returnWhen === FIRST_COMPLETED ||
      (returnWhen === FIRST_EXCEPTION && !f.cancelled() && f.exception() !== undefined)
    ) {
      timer?.cancel();
      waiter.setResult();
    }
  };
  for (const f of fs) if (!f.done()) onDone(f, onCompletion);
  try {
    await waiter;
  } finally {
    timer?.cancel();
    // Leave nothing registered on the futures, whether the wait finished,
    // timed out or was cancelled with the waiting task.
    for (const f of fs) f.removeDoneCallback(onCompletion);
  }
}
