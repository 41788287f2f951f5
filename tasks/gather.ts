/**
 * `gather`: run awaitables concurrently and collect their results in order.
 *
 * @module
 */
import { CancelledError } from "../loop/exceptions.ts";
import { runningLoopOrNull } from "../loop/current.ts";
import type { AbstractEventLoop, CoroutineFunction } from "../loop/abstract_event_loop.ts";
import { Future, onDone } from "./future.ts";
import { ensureFuture } from "./ensure_future.ts";

/** Anything `gather`, `wait` and friends accept: a future, a promise or thenable, or an async function (run as a task). */
export type Awaitable<T> = Future<T> | PromiseLike<T> | CoroutineFunction<T>;

/** The result type of an {@linkcode Awaitable}. */
export type ResultOf<A> = A extends CoroutineFunction<infer R> ? Awaited<R> : Awaited<A>;

/** The typed tuple of results of a `gather` call. */
export type GatherResults<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: ResultOf<A[K]>;
};

/**
 * The results of `gather(..., { returnExceptions: true })`: each slot holds a
 * result or the error its awaitable failed with (typed as `Error`; a thrown
 * non-Error value is returned as it was thrown).
 */
export type GatherSettledResults<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: ResultOf<A[K]> | Error;
};

/** Options of {@linkcode gather}, passed as its last argument. */
export interface GatherOptions {
  /**
   * Return failures in place of results instead of failing the gather at the
   * first error (Python's `return_exceptions=True`). A cancelled child's slot
   * holds a `CancelledError`.
   */
  returnExceptions: boolean;
}

// The future gather returns: cancelling it cancels the children, and it
// finishes with CancelledError only once they are done.
class GatheringFuture<T> extends Future<T> {
  cancelRequested = false;

  constructor(readonly children: Future<unknown>[], loop: AbstractEventLoop) {
    super({ loop });
  }

  override cancel(msg?: string): boolean {
    if (this.done()) return false;
    let cancelled = false;
    for (const child of this.children) if (child.cancel(msg)) cancelled = true;
    if (cancelled) this.cancelRequested = true;
    return cancelled;
  }
}

function isOptions(value: unknown): value is GatherOptions {
  return value !== null && typeof value === "object" &&
    typeof (value as PromiseLike<unknown>).then !== "function" && "returnExceptions" in value;
}

function cancelledErrorOf(fut: Future<unknown>): CancelledError {
  try {
    fut.result();
  } catch (err) {
    if (err instanceof CancelledError) return err;
  }
  return new CancelledError();
}

/**
 * Runs awaitables concurrently and resolves to their results, in argument
 * order, as a typed tuple. Equivalent to Python's `asyncio.gather`.
 *
 * Functions are run as tasks. The first failure fails the gather (the
 * others keep running), unless the last argument is
 * `{ returnExceptions: true }`, which puts failures in the results instead.
 * Cancelling the gather cancels every child that is not done. A child's
 * cancellation fails the gather with `CancelledError` (or, with
 * `returnExceptions`, fills its slot).
 *
 * @throws {TypeError} An argument is not awaitable.
 * @throws {RuntimeError} No loop is running (and no argument is a future).
 *
 * @example
 * ```ts
 * import { gather, run, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const [a, b] = await gather(
 *     async () => { await sleep(0.01); return 1; },
 *     async () => "two",
 *   );
 *   assert.equal(a + 1, 2);
 *   assert.equal(b.length, 3);
 *
 *   const settled = await gather(
 *     async () => { throw new Error("boom"); },
 *     async () => 3,
 *     { returnExceptions: true },
 *   );
 *   assert.ok(settled[0] instanceof Error);
 *   assert.equal(settled[1], 3);
 * });
 * ```
 */
export function gather<A extends readonly Awaitable<unknown>[]>(
  ...aws: A
): Future<GatherResults<A>>;
/** `gather(a, b, { returnExceptions: false })`: the same as without options. */
export function gather<A extends readonly Awaitable<unknown>[]>(
  ...args: [...A, GatherOptions & { returnExceptions: false }]
): Future<GatherResults<A>>;
/** `gather(a, b, { returnExceptions: true })`: failures take their slots in the results. */
export function gather<A extends readonly Awaitable<unknown>[]>(
  ...args: [...A, GatherOptions & { returnExceptions: true }]
): Future<GatherSettledResults<A>>;
export function gather(...args: unknown[]): Future<unknown[]> {
  let returnExceptions = false;
  if (args.length > 0 && isOptions(args[args.length - 1])) {
    returnExceptions = Boolean((args.pop() as GatherOptions).returnExceptions);
  }
  let loop: AbstractEventLoop | null = null;
  for (const arg of args) {
    if (arg instanceof Future) {
      loop = arg.getLoop();
      break;
    }
  }
  loop ??= runningLoopOrNull();
  if (args.length === 0) {
    const outer = new Future<unknown[]>(loop === null ? undefined : { loop });
    outer.setResult([]);
    return outer;
  }
  // A future passed twice is one child with two slots: it gets a callback per
  // slot, so counting callbacks still reaches the total. A function passed
  // twice runs twice (each function argument is a coroutine to run).
  const children: Future<unknown>[] = new Array(args.length);
  for (let i = 0; i < args.length; i++) {
    const fut = ensureFuture(args[i] as Awaitable<unknown>, loop === null ? undefined : { loop });
    loop ??= fut.getLoop();
    children[i] = fut;
  }
  const outer = new GatheringFuture<unknown[]>(children, loop!);
  const total = children.length;
  let finished = 0;
  const onChildDone = (child: Future<unknown>): void => {
    finished++;
    if (outer.done()) {
      // Mark the exception retrieved: the gather already failed.
      if (!child.cancelled()) child.exception();
      return;
    }
    if (!returnExceptions) {
      if (child.cancelled()) {
        outer.setException(cancelledErrorOf(child));
        return;
      }
      const exc = child.exception();
      if (exc !== undefined) {
        outer.setException(exc);
        return;
      }
    }
    if (finished < total) return;
    const results = new Array(total);
    for (let i = 0; i < total; i++) {
      const c = children[i];
      results[i] = c.cancelled()
        ? cancelledErrorOf(c)
        : c.exception() !== undefined
        ? c.exception()
        : c.result();
    }
    if (outer.cancelRequested) outer.setException(cancelledErrorOf(child));
    else outer.setResult(results);
  };
  for (let i = 0; i < total; i++) onDone(children[i], onChildDone);
  return outer;
}
