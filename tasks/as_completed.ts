/**
 * `asCompleted`: take results in the order they complete.
 *
 * @module
 */
import { TimeoutError } from "../loop/exceptions.ts";
import { getRunningLoop } from "../loop/current.ts";
import type { TimerHandle } from "../loop/handle.ts";
import { Future, onDone } from "./future.ts";
import { ensureFuture } from "./ensure_future.ts";
import type { Awaitable, ResultOf } from "./gather.ts";

/** Options of {@linkcode asCompleted}. */
export interface AsCompletedOptions {
  /** Seconds after which the remaining steps throw `TimeoutError` (default: no limit). */
  timeout?: number | null;
}

/**
 * What {@linkcode asCompleted} returns: iterate it with `for` to get one
 * awaitable step per input, each resolving to the next result to complete; or with
 * `for await` to get the inputs themselves (tasks for functions) in
 * completion order.
 */
export interface AsCompletedIterator<T, A> {
  /** The next step of the sync form (Python's `__next__`), or done. */
  next(): IteratorResult<PromiseLike<T>, undefined>;
  /** The sync form: one awaitable step per input, in completion order of their results. */
  [Symbol.iterator](): Iterator<PromiseLike<T>, undefined>;
  /** The async form: the inputs themselves (tasks for functions), as they complete. */
  [Symbol.asyncIterator](): AsyncIterator<A, undefined>;
}

// A step of the sync form. Like asyncio's, whose steps are coroutines, it
// starts waiting only when awaited, inside the awaiting task: cancelling that
// task stops the wait and hands a result that arrives later to the next step.
class Step implements PromiseLike<unknown> {
  #promise: Promise<unknown> | null = null;

  constructor(readonly start: () => Promise<{ future: Future<unknown> | null }>) {}

  then<R1 = unknown, R2 = never>(
    onFulfilled?: ((value: unknown) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    this.#promise ??= this.start().then((box) => box.future!.result());
    return this.#promise.then(onFulfilled, onRejected);
  }
}

/**
 * Runs awaitables concurrently and yields them as they complete.
 * Equivalent to Python 3.13's `asyncio.as_completed`, in both forms:
 *
 * - `for (const next of asCompleted(aws)) { const result = await next; }`:
 *   one awaitable step per input, resolving to (or throwing) the next
 *   outcome; a step starts waiting when awaited, in the awaiting task;
 * - `for await (const done of asCompleted(aws)) { done.result(); }`: the
 *   inputs themselves (a future or promise as given, a function as the task
 *   running it), each done.
 *
 * With a timeout, the steps still pending when it passes throw
 * `TimeoutError`. Functions are run as tasks; promises are wrapped.
 *
 * TypeScript types the variable of a `for await` loop as the awaited value
 * of what the iterator yields, so in the async form it sees a result type
 * although the value is the done future itself. `await done` is right
 * either way; to call `done.result()` or compare `done` with a task, declare
 * its type (`const task = done as unknown as Task<T>`).
 *
 * @throws {RangeError} `timeout` is NaN or not a number.
 *
 * @example
 * ```ts
 * import { asCompleted, run, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const order: string[] = [];
 *   for (const next of asCompleted([() => sleep(0.02, "slow"), () => sleep(0.01, "fast")])) {
 *     order.push(await next);
 *   }
 *   assert.deepEqual(order, ["fast", "slow"]);
 * });
 * ```
 */
export function asCompleted<A extends Awaitable<unknown>>(
  aws: Iterable<A>,
  options?: AsCompletedOptions,
): AsCompletedIterator<
  ResultOf<A>,
  A extends Future<unknown> | PromiseLike<unknown> ? A : Future<ResultOf<A>>
> {
  const timeout = options?.timeout ?? null;
  if (timeout !== null && (typeof timeout !== "number" || Number.isNaN(timeout))) {
    throw new RangeError(
      `Cannot iterate as completed as 'timeout' must be a number of seconds or null: received ${
        String(timeout)
      }`,
    );
  }
  const loop = getRunningLoop();
  // Each input's future, and what the async form yields for it.
  const origin = new Map<Future<unknown>, unknown>();
  for (const aw of new Set(aws)) {
    const fut = ensureFuture(aw as Awaitable<unknown>, { loop });
    origin.set(fut, typeof aw === "function" ? fut : aw);
  }
  const todo = new Set(origin.keys());
  let left = todo.size;
  // Completed futures not yet taken (null: the timeout passed), and steps
  // waiting for one. Futures travel boxed: a future resolved with a future,
  // or an async function returning one, would adopt it (JavaScript unwraps
  // thenables) and hand over its result instead.
  type Box = { future: Future<unknown> | null };
  const done: Box[] = [];
  const waiters: Future<Box>[] = [];
  let timer: TimerHandle | null = null;
  const deliver = (future: Future<unknown> | null): void => {
    const waiter = waiters.shift();
    if (waiter !== undefined) waiter.setResult({ future });
    else done.push({ future });
  };
  const onCompletion = (f: Future<unknown>): void => {
    if (!todo.delete(f)) return;
    deliver(f);
    if (todo.size === 0) timer?.cancel();
  };
  for (const f of todo) onDone(f, onCompletion);
  if (todo.size > 0 && timeout !== null && timeout !== Infinity) {
    timer = loop.callLater(Math.max(timeout, 0), () => {
      for (const f of todo) {
        f.removeDoneCallback(onCompletion);
        deliver(null);
      }
      todo.clear();
    });
  }
  const nextDone = async (): Promise<Box> => {
    let box: Box;
    if (done.length > 0) box = done.shift()!;
    else {
      const waiter = new Future<Box>({ loop });
      waiters.push(waiter);
      try {
        box = await waiter;
      } catch (err) {
        // Cancelled while waiting: hand a result that arrives later to the next step.
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        else if (!waiter.cancelled()) done.unshift(waiter.result());
        throw err;
      }
    }
    if (box.future === null) throw new TimeoutError("The timeout of asCompleted() expired");
    return box;
  };
  const iterator = {
    next(): IteratorResult<PromiseLike<ResultOf<A>>, undefined> {
      if (left === 0) return { done: true, value: undefined };
      left--;
      return { done: false, value: new Step(() => nextDone()) as PromiseLike<ResultOf<A>> };
    },
    [Symbol.iterator]() {
      return this;
    },
    // Written by hand, not as an async generator: `yield` in an async
    // generator awaits a thenable, which would hand over a future's result
    // instead of the future.
    [Symbol.asyncIterator]() {
      return {
        next: async (): Promise<IteratorResult<unknown, undefined>> => {
          if (left === 0) return { done: true, value: undefined };
          left--;
          return { done: false, value: origin.get((await nextDone()).future!) };
        },
      };
    },
  };
  return iterator as unknown as AsCompletedIterator<
    ResultOf<A>,
    A extends Future<unknown> | PromiseLike<unknown> ? A : Future<ResultOf<A>>
  >;
}
