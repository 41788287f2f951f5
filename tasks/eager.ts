/**
 * The eager task factory: tasks that run their first step at once.
 *
 * @module
 */
import type {
  AbstractEventLoop,
  CoroutineFunction,
  TaskFactory,
} from "../loop/abstract_event_loop.ts";
import { Task, type TaskOptions } from "./task.ts";

/** A task class (or subclass) the eager factory can construct. */
export type TaskConstructor = new <T>(
  fn: CoroutineFunction<T>,
  options?: TaskOptions & { loop?: AbstractEventLoop },
) => Task<T>;

/**
 * Makes a task factory whose tasks start eagerly: the first step runs
 * synchronously inside `createTask`, and the task is never scheduled for it.
 * Equivalent to Python's `asyncio.create_eager_task_factory`.
 *
 * A plain function that returns a value yields a task that is already done.
 * An async function that finishes without suspending completes in the
 * microtasks right after `createTask` returns (JavaScript settles an async
 * function's promise in a microtask), still before any loop iteration.
 *
 * @throws {TypeError} `taskConstructor` is not a function.
 *
 * @example
 * ```ts
 * import { createEagerTaskFactory, createTask, getRunningLoop, run, Task } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   getRunningLoop().setTaskFactory(createEagerTaskFactory(Task));
 *   const task = createTask(() => 1);
 *   assert.ok(task.done());
 *   assert.equal(task.result(), 1);
 * });
 * ```
 */
export function createEagerTaskFactory(taskConstructor: TaskConstructor): TaskFactory {
  if (typeof taskConstructor !== "function") {
    throw new TypeError(
      `Cannot create eager task factory as 'taskConstructor' must be a Task class: received ${typeof taskConstructor}`,
    );
  }
  return <T>(loop: AbstractEventLoop, fn: CoroutineFunction<T>, options?: TaskOptions) =>
    new taskConstructor(fn, { ...options, loop, eagerStart: true });
}

/**
 * The eager task factory for {@linkcode Task}: install it with
 * `loop.setTaskFactory(eagerTaskFactory)`. Equivalent to Python's
 * `asyncio.eager_task_factory`.
 *
 * @example
 * ```ts
 * import { createTask, eagerTaskFactory, getRunningLoop, run } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   getRunningLoop().setTaskFactory(eagerTaskFactory);
 *   const order: string[] = [];
 *   createTask(async () => { order.push("task"); });
 *   order.push("caller");
 *   assert.deepEqual(order, ["task", "caller"]);
 * });
 * ```
 */
export const eagerTaskFactory: TaskFactory = createEagerTaskFactory(Task);
