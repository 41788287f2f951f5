/**
 * `run` and `Runner`: the entry points of a program. Equivalent to Python's
 * `asyncio.runners` (3.12 semantics).
 *
 * @module
 */
import { type Context, copyContext } from "./context.ts";
import { RuntimeError } from "./exceptions.ts";
import { runningLoopOrNull } from "./current.ts";
import type { AbstractEventLoop, CoroutineFunction } from "./abstract_event_loop.ts";
import { newEventLoop, setEventLoop } from "./policies.ts";
import { allTasks } from "../tasks/task.ts";
import { gather } from "../tasks/gather.ts";
import { SelectorEventLoop } from "./selector_event_loop.ts";
import { EpollSelector } from "../transports/epoll_selector.ts";

/** Options of {@linkcode run} and {@linkcode Runner}. */
export interface RunnerOptions {
  /** Set the loop's debug mode (default: leave it as the loop starts). */
  debug?: boolean;
  /** Makes the loop (default: `newEventLoop()`, which is then also set as current). */
  loopFactory?: () => AbstractEventLoop;
}

/** Options of {@linkcode Runner.run}. */
export interface RunnerRunOptions {
  /** The context the main task runs in (default: the runner's context). */
  context?: Context;
}

type RunnerState = "created" | "initialized" | "closed";

/**
 * Runs several top-level coroutines on one loop, then shuts it down.
 * Equivalent to Python's `asyncio.Runner`; `await using` closes it.
 *
 * Closing cancels every task still pending and waits for them, shuts down
 * async generators and the default executor, then closes the loop.
 *
 * @example
 * ```ts
 * import { Runner, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await using runner = new Runner();
 * const a = await runner.run(async () => { await sleep(0); return 1; });
 * const b = await runner.run(async () => 2);
 * assert.equal(a + b, 3);
 * ```
 */
export class Runner {
  #state: RunnerState = "created";
  #debug: boolean | undefined;
  #loopFactory: (() => AbstractEventLoop) | undefined;
  #loop: AbstractEventLoop | null = null;
  #context: Context | null = null;
  #setEventLoop = false;

  /** Creates a runner; the loop is made on first use. */
  constructor(options?: RunnerOptions) {
    this.#debug = options?.debug;
    this.#loopFactory = options?.loopFactory;
  }

  /**
   * Runs `main` as a task on the runner's loop and returns its result.
   *
   * @throws {RuntimeError} Called from a running loop, or the runner is closed.
   * @throws {TypeError} `main` is not a function.
   */
  async run<T>(main: CoroutineFunction<T>, options?: RunnerRunOptions): Promise<T> {
    if (typeof main !== "function") {
      throw new TypeError(
        `Cannot run as 'main' must be an async function: received ${
          main === null ? "null" : typeof main
        }; pass the function, not the promise it returns`,
      );
    }
    if (runningLoopOrNull() !== null) {
      throw new RuntimeError("Runner.run() cannot be called from a running event loop");
    }
    const loop = this.#lazyInit();
    const task = loop.createTask(main, { context: options?.context ?? this.#context! });
    return await loop.runUntilComplete(task);
  }

  /**
   * Shuts down: cancels and awaits every pending task, shuts down async
   * generators and the default executor, and closes the loop. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#state !== "initialized") {
      this.#state = "closed";
      return;
    }
    const loop = this.#loop!;
    try {
      await cancelAllTasks(loop);
      await loop.runUntilComplete(loop.shutdownAsyncgens());
      await loop.runUntilComplete(loop.shutdownDefaultExecutor());
    } finally {
      if (this.#setEventLoop) setEventLoop(null);
      loop.close();
      this.#loop = null;
      this.#state = "closed";
    }
    // An epoll selector's parked wait returns once woken: leave no FFI call behind.
    if (loop instanceof SelectorEventLoop && loop.selector instanceof EpollSelector) {
      await loop.selector.closed;
    }
  }

  /**
   * The runner's loop, made now if needed.
   *
   * @throws {RuntimeError} The runner is closed.
   */
  getLoop(): AbstractEventLoop {
    return this.#lazyInit();
  }

  /** Closes the runner (`await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #lazyInit(): AbstractEventLoop {
    if (this.#state === "closed") throw new RuntimeError("Runner is closed");
    if (this.#state === "initialized") return this.#loop!;
    if (this.#loopFactory === undefined) {
      this.#loop = newEventLoop();
      setEventLoop(this.#loop);
      this.#setEventLoop = true;
    } else {
      this.#loop = this.#loopFactory();
    }
    if (this.#debug !== undefined) this.#loop.setDebug(this.#debug);
    this.#context = copyContext();
    this.#state = "initialized";
    return this.#loop;
  }
}

async function cancelAllTasks(loop: AbstractEventLoop): Promise<void> {
  const toCancel = allTasks(loop);
  if (toCancel.size === 0) return;
  for (const task of toCancel) task.cancel();
  await loop.runUntilComplete(gather(...toCancel, { returnExceptions: true }));
  for (const task of toCancel) {
    if (task.cancelled()) continue;
    if (task.exception() !== undefined) {
      loop.callExceptionHandler({
        message: "unhandled exception during run() shutdown",
        exception: task.exception(),
        task,
      });
    }
  }
}

/**
 * Runs `main` on a new loop and returns its result; then cancels what is
 * left, shuts down and closes the loop. The entry point of a program.
 * Equivalent to Python's `asyncio.run`.
 *
 * @throws {RuntimeError} Called while a loop is running.
 * @throws {TypeError} `main` is not a function.
 *
 * @example
 * ```ts
 * import { run, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const result = await run(async () => {
 *   await sleep(0.001);
 *   return "hello";
 * });
 * assert.equal(result, "hello");
 * ```
 */
export async function run<T>(main: CoroutineFunction<T>, options?: RunnerOptions): Promise<T> {
  if (runningLoopOrNull() !== null) {
    throw new RuntimeError("run() cannot be called from a running event loop");
  }
  await using runner = new Runner(options);
  return await runner.run(main);
}
