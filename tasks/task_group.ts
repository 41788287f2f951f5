/**
 * `TaskGroup`: structured concurrency, with Python 3.11+'s semantics.
 *
 * @module
 */
import { CancelledError, ExceptionGroup, RuntimeError } from "../loop/exceptions.ts";
import { getRunningLoop } from "../loop/current.ts";
import type { AbstractEventLoop, CoroutineFunction } from "../loop/abstract_event_loop.ts";
import { Future, onDone } from "./future.ts";
import { currentTask, type Task, type TaskOptions } from "./task.ts";

type GroupState = "created" | "entered" | "exiting" | "exited";

/**
 * A group of tasks that live and die together. Equivalent to Python's
 * `asyncio.TaskGroup`.
 *
 * `run(body)` enters the group (Python's `async with`): the body creates
 * tasks with {@linkcode TaskGroup.createTask}, and `run` returns only when
 * every task is done. The first task to fail cancels the others and the
 * body; `run` then throws an {@linkcode ExceptionGroup} holding every error
 * (cancellations excluded). If the body throws, the tasks are cancelled and
 * the body's error joins the group. {@linkcode TaskGroup.cancel} (Python
 * 3.15) stops the group: tasks and body are cancelled and `run` returns
 * without an error.
 *
 * The body is a function, not an `await using` block, because the group must
 * react to the body's exception, which a disposer cannot see.
 *
 * @example
 * ```ts
 * import { run, sleep, TaskGroup } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const [a, b] = await new TaskGroup().run(async (tg) => {
 *     const a = tg.createTask(async () => { await sleep(0.01); return 1; });
 *     const b = tg.createTask(async () => "two");
 *     return [a, b] as const;
 *   });
 *   assert.equal(a.result(), 1);
 *   assert.equal(b.result(), "two");
 * });
 * ```
 */
export class TaskGroup {
  #state: GroupState = "created";
  #aborting = false;
  #loop: AbstractEventLoop | null = null;
  #parent: Task<unknown> | null = null;
  #parentCancelRequested = false;
  #tasks = new Set<Task<unknown>>();
  #errors: unknown[] = [];
  #onCompleted: Future<void> | null = null;
  #cancelOnEnter = false;

  /**
   * Enters the group, runs `body(group)` in the current task, waits for
   * every task of the group, and returns the body's result.
   *
   * @throws {ExceptionGroup} Tasks (or the body) failed; it holds every error.
   * @throws {CancelledError} The current task was cancelled from outside.
   * @throws {RuntimeError} The group was already entered, or there is no current task.
   */
  async run<R>(body: (group: TaskGroup) => PromiseLike<R> | R): Promise<R> {
    if (typeof body !== "function") {
      throw new TypeError(
        `Cannot run task group as 'body' must be a function: received ${typeof body}`,
      );
    }
    if (this.#state !== "created") {
      throw new RuntimeError(`Cannot enter ${this}: it has already been entered`);
    }
    const parent = currentTask();
    if (parent === undefined) {
      throw new RuntimeError(`Cannot enter ${this}: it cannot determine the parent task`);
    }
    this.#loop = getRunningLoop();
    this.#parent = parent;
    this.#state = "entered";
    if (this.#cancelOnEnter) this.cancel();
    let result: R | undefined;
    let failed = false;
    let error: unknown;
    try {
      result = await body(this);
    } catch (err) {
      failed = true;
      error = err;
    }
    await this.#exit(failed, error);
    return result as R;
  }

  /**
   * Runs `fn` as a task of the group.
   *
   * @throws {RuntimeError} The group is not entered, is finished, or is shutting down.
   * @throws {TypeError} `fn` is not a function.
   */
  createTask<T>(fn: CoroutineFunction<T>, options?: TaskOptions): Task<T> {
    if (this.#state === "created") {
      throw new RuntimeError(`Cannot create task: ${this} has not been entered`);
    }
    if (this.#state === "exited" || (this.#state === "exiting" && this.#tasks.size === 0)) {
      throw new RuntimeError(`Cannot create task: ${this} is finished`);
    }
    if (this.#aborting) throw new RuntimeError(`Cannot create task: ${this} is shutting down`);
    const task = this.#loop!.createTask(fn, options);
    // Always through the done callback, even for a task that finished
    // eagerly, so a failure cancels the parent at the right time (as asyncio).
    this.#tasks.add(task as Task<unknown>);
    onDone(task, this.#onTaskDone as (f: Future<T>) => void);
    // An eager task may have cancelled the group before it joined.
    if (this.#aborting && !task.done()) task.cancel();
    return task;
  }

  /**
   * Stops the group: cancels its tasks and the body; `run` then returns
   * normally (without `CancelledError`) once they are done. Before `run`,
   * the group is cancelled as soon as it is entered (so a group can be
   * handed out to stop whatever runs in it); after the group finished, it
   * does nothing. Equivalent to Python 3.15's `TaskGroup.cancel()`.
   */
  cancel(): void {
    if (this.#state === "created") {
      this.#cancelOnEnter = true;
      return;
    }
    if (this.#state === "exited" || (this.#state === "exiting" && this.#tasks.size === 0)) return;
    if (this.#aborting) return;
    this.#abort();
    if (!this.#parentCancelRequested) {
      this.#parentCancelRequested = true;
      this.#parent!.cancel();
    }
  }

  /** A readable form, such as `<TaskGroup tasks=2 errors=0 entered>`. */
  toString(): string {
    const flags = [this.#state, this.#aborting ? "cancelling" : ""].filter(Boolean).join(" ");
    return `<TaskGroup tasks=${this.#tasks.size} errors=${this.#errors.length} ${flags}>`;
  }

  async #exit(failed: boolean, error: unknown): Promise<void> {
    this.#state = "exiting";
    const parent = this.#parent!;
    let propagateCancellation: CancelledError | null = failed && error instanceof CancelledError
      ? error
      : null;
    if (failed && !this.#aborting) this.#abort();
    // A loop, because the wait can be cancelled several times while the
    // parent is cancelled repeatedly.
    let pendingCancellation: CancelledError | null = null;
    while (this.#tasks.size > 0) {
      this.#onCompleted ??= new Future<void>({ loop: this.#loop! });
      try {
        await this.#onCompleted;
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
        pendingCancellation = err;
        if (!this.#aborting) {
          propagateCancellation = err;
          this.#abort();
        }
      }
      this.#onCompleted = null;
    }
    this.#state = "exited";
    if (this.#parentCancelRequested) {
      // The group cancelled the parent itself: take that request back. A
      // cancellation left over is someone else's: keep it.
      if (parent.uncancel() === 0) propagateCancellation = null;
      else propagateCancellation ??= pendingCancellation;
    }
    if (propagateCancellation !== null && this.#errors.length === 0) throw propagateCancellation;
    if (failed && !(error instanceof CancelledError)) this.#errors.push(error);
    if (this.#errors.length > 0) {
      const errors = this.#errors;
      this.#errors = [];
      // A cancellation of the parent from outside stays pending, with its count unchanged.
      if (parent.cancelling() > 0) {
        parent.uncancel();
        parent.cancel();
      }
      throw new ExceptionGroup("unhandled errors in a TaskGroup", errors);
    }
  }

  #abort(): void {
    this.#aborting = true;
    for (const t of this.#tasks) if (!t.done()) t.cancel();
  }

  #onTaskDone = (task: Task<unknown>): void => {
    this.#tasks.delete(task);
    if (this.#onCompleted !== null && this.#tasks.size === 0 && !this.#onCompleted.done()) {
      this.#onCompleted.setResult();
    }
    if (task.cancelled()) return;
    const exc = task.exception();
    if (exc === undefined) return;
    this.#errors.push(exc);
    const parent = this.#parent!;
    if (parent.done()) {
      this.#loop!.callExceptionHandler({
        message: `Task ${task} has errored out but its parent task ${parent} is already completed`,
        exception: exc,
        task,
      });
      return;
    }
    if (!this.#aborting && !this.#parentCancelRequested) {
      // Abort what the body is doing: cancel the tasks and the parent.
      this.#abort();
      this.#parentCancelRequested = true;
      parent.cancel();
    }
  };
}
