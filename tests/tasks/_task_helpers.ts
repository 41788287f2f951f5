/**
 * Shared helpers of the task tests: a run on the virtual clock that records
 * every report of the exception handler and fails the test on any report it
 * did not expect, plus small probes used across files.
 *
 * @module
 */
import assert from "node:assert/strict";
import v8 from "node:v8";
import vm from "node:vm";
import { type ExceptionContext, type Future, getRunningLoop, run, wrapFuture } from "../../mod.ts";
import { TestLoop } from "../../testing/mod.ts";

/** What a test body receives from {@linkcode inLoop}. */
export interface Harness {
  /** The running loop, on a virtual clock. */
  loop: TestLoop;
  /**
   * Every context the exception handler received. A test that expects
   * reports reads them and empties the array (`take(h.reports)`); whatever
   * is left when the loop has closed fails the test.
   */
  reports: ExceptionContext[];
}

/** Options of {@linkcode inLoop}. */
export interface InLoopOptions {
  /** Run the loop in debug mode. */
  debug?: boolean;
}

/**
 * Runs `body` as the main task of `run()` on a fresh {@linkcode TestLoop}
 * (time jumps to the next timer whenever the loop is idle), with an
 * exception handler that records reports. After the loop has closed, any
 * report the test did not take fails the test.
 */
export async function inLoop<T>(
  body: (h: Harness) => Promise<T> | T,
  options?: InLoopOptions,
): Promise<T> {
  const reports: ExceptionContext[] = [];
  let loop: TestLoop | null = null;
  const result = await run(() => body({ loop: loop!, reports }), {
    loopFactory: () => {
      loop = new TestLoop({ debug: options?.debug ?? false });
      loop.setExceptionHandler((_loop, context) => {
        reports.push(context);
      });
      return loop;
    },
  });
  assert.deepEqual(
    reports.map((r) => `${r.message}: ${String(r.exception)}`),
    [],
    "the exception handler received reports the test did not expect",
  );
  return result;
}

/** Empties `reports` and returns what it held. */
export function take(reports: ExceptionContext[]): ExceptionContext[] {
  return reports.splice(0, reports.length);
}

/** The current loop time. */
export function now(): number {
  return getRunningLoop().time();
}

/**
 * A pending future on the running loop that nothing completes unless the
 * test does.
 */
export function pending<T = unknown>(): Future<T> {
  return getRunningLoop().createFuture<T>();
}

/** A future on the running loop that is already done with `value`. */
export function resolved<T>(value: T): Future<T> {
  const fut = getRunningLoop().createFuture<T>();
  fut.setResult(value);
  return fut;
}

/**
 * Awaits `promise` (a rejection is returned, not thrown) and returns the
 * error it rejected with, or fails the test if it fulfilled.
 */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail("expected a rejection");
}

/**
 * Lets the host run one macrotask turn while the loop waits, through a loop
 * future (so the waiting task stays cancellable). Used only where something
 * outside the loop must happen (a finalizer, a host timer), never to wait
 * for loop work.
 */
export function hostTurn(): Future<void> {
  return wrapFuture(new Promise<void>((resolve) => setTimeout(resolve, 0)));
}

let gcFunction: (() => void) | null = null;

/**
 * A full garbage collection, without `--v8-flags`: V8 installs `gc` in
 * contexts created after `--expose-gc` is set at run time, so a fresh `vm`
 * context hands it over.
 */
export function collectGarbage(): void {
  if (gcFunction === null) {
    v8.setFlagsFromString("--expose-gc");
    gcFunction = vm.runInNewContext("gc") as () => void;
  }
  gcFunction();
}
