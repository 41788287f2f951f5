/**
 * Scheduled callbacks: {@linkcode Handle} (from `callSoon`) and
 * {@linkcode TimerHandle} (from `callLater`/`callAt`).
 *
 * @module
 */
import {
  type Context,
  contextOf,
  currentVars,
  enterCallbackContext,
  exitCallbackContext,
} from "./context.ts";
import type { AbstractEventLoop } from "./abstract_event_loop.ts";

/** The loop method key for scheduling a ready-made handle (internal). */
export const SCHEDULE: unique symbol = Symbol("asyncio.schedule");

/**
 * What the ready queue holds: a {@linkcode Handle}, or the leaner internal
 * work items of futures and tasks (reactions, done callbacks, task steps),
 * which catch their own errors.
 */
export interface Runnable {
  /** Whether the item was cancelled (the loop skips it). */
  cancelled(): boolean;
  /** Runs the item; only the loop calls this. */
  _run(): void;
}

/** Any callback a handle can run. */
// deno-lint-ignore no-explicit-any
export type AnyCallback = (...args: any[]) => void;
type VarMap = ReturnType<typeof currentVars>;

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/** The name of a callback for messages: `name()` or `<anonymous>()`. */
export function describeCallback(callback: unknown): string {
  const name = typeof callback === "function" && callback.name ? callback.name : "<anonymous>";
  return `${name}()`;
}

/**
 * A callback scheduled on a loop. Equivalent to Python's `asyncio.Handle`.
 *
 * @example Cancel a scheduled callback
 * ```ts
 * import { run, getRunningLoop } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const calls: string[] = [];
 *   const loop = getRunningLoop();
 *   const handle = loop.callSoon(() => calls.push("never"));
 *   handle.cancel();
 *   assert.ok(handle.cancelled());
 *   await new Promise<void>((resolve) => loop.callSoon(resolve));
 *   assert.deepEqual(calls, []);
 * });
 * ```
 */
export class Handle implements Runnable {
  #callback: AnyCallback | null;
  #args: readonly unknown[];
  #loop: AbstractEventLoop;
  #context: Context | null;
  #vars: VarMap | null;
  #cancelled = false;
  #sourceTraceback: string | undefined;

  /**
   * Creates a handle that calls `callback(...args)` in `context` (by default,
   * a snapshot of the current context). Loops create handles; user code
   * rarely needs to.
   */
  constructor(
    callback: AnyCallback,
    args: readonly unknown[],
    loop: AbstractEventLoop,
    context?: Context,
  ) {
    this.#callback = callback;
    this.#args = args.length === 0 ? NO_ARGS : args;
    this.#loop = loop;
    if (context === undefined) {
      this.#context = null;
      this.#vars = currentVars();
    } else {
      this.#context = context;
      this.#vars = null;
    }
    if (loop.getDebug()) this.#sourceTraceback = new Error().stack;
  }

  /** Prevents the callback from running; does nothing if it already ran. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    if (!this.#loop.getDebug()) {
      // Drop references so a cancelled handle left in a queue holds no memory.
      this.#callback = null;
      this.#args = NO_ARGS;
    }
  }

  /** Whether the handle was cancelled. */
  cancelled(): boolean {
    return this.#cancelled;
  }

  /** The context the callback runs in. Equivalent to `Handle.get_context()`. */
  getContext(): Context {
    if (this.#context === null) this.#context = contextOf(this.#vars!);
    return this.#context;
  }

  /** The stack where the handle was created (debug mode only). */
  get sourceTraceback(): string | undefined {
    return this.#sourceTraceback;
  }

  /**
   * Runs the callback now, in the handle's context, and reports an error it
   * throws to the loop's exception handler. Only the loop calls this.
   */
  _run(): void {
    const callback = this.#callback;
    if (callback === null) return;
    try {
      enterCallbackContext(this.#context, this.#vars);
      const args = this.#args;
      if (args.length === 0) callback();
      else callback(...args);
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: `Exception in callback ${this.describe()}`,
        exception,
        handle: this,
        sourceTraceback: this.#sourceTraceback,
      });
    } finally {
      exitCallbackContext();
    }
  }

  /** The callback's description, such as `tick()`, for messages. */
  describe(): string {
    return describeCallback(this.#callback);
  }

  /** A readable form, such as `<Handle tick()>` or `<Handle cancelled>`. */
  toString(): string {
    return `<Handle${this._details("")}>`;
  }

  /**
   * The part of `toString()` after the class name: `cancelled`, then
   * `extra` (a timer's `when=`), then the callback while the handle still
   * holds it (a cancelled handle drops it outside debug mode, as asyncio's).
   */
  protected _details(extra: string): string {
    let out = this.#cancelled ? " cancelled" : "";
    if (extra !== "") out += ` ${extra}`;
    if (this.#callback !== null) out += ` ${this.describe()}`;
    return out;
  }
}

/** What a loop that keeps timers implements, so a cancelled timer can tell it. */
export interface TimerOwner {
  /** Called once when a scheduled timer is cancelled (for lazy heap cleanup). */
  _timerHandleCancelled(handle: TimerHandle): void;
}

/**
 * A callback scheduled for a time. Equivalent to Python's `asyncio.TimerHandle`.
 *
 * @example
 * ```ts
 * import { run, getRunningLoop } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   const loop = getRunningLoop();
 *   const timer = loop.callLater(60, () => {});
 *   assert.ok(timer.when() >= loop.time() + 59);
 *   timer.cancel();
 * });
 * ```
 */
export class TimerHandle extends Handle {
  readonly #when: number;
  readonly #owner: TimerOwner | null;
  /** Whether the handle sits in its loop's timer heap (internal, as in Python). */
  _scheduled = false;

  /** Creates a handle for loop time `when` (seconds); loops create these. */
  constructor(
    when: number,
    callback: AnyCallback,
    args: readonly unknown[],
    loop: AbstractEventLoop,
    context?: Context,
  ) {
    super(callback, args, loop, context);
    this.#when = when;
    const owner = loop as Partial<TimerOwner>;
    this.#owner = typeof owner._timerHandleCancelled === "function" ? owner as TimerOwner : null;
  }

  /** The loop time (seconds) the callback is scheduled for. */
  when(): number {
    return this.#when;
  }

  /** Prevents the callback from running and tells the loop, which drops it lazily. */
  override cancel(): void {
    if (!this.cancelled() && this._scheduled) this.#owner?._timerHandleCancelled(this);
    super.cancel();
  }

  /** A readable form, such as `<TimerHandle when=1.5 tick()>`. */
  override toString(): string {
    return `<TimerHandle${this._details(`when=${this.#when}`)}>`;
  }
}
