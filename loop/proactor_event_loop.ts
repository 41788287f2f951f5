/**
 * `ProactorEventLoop`: asyncio's completion-based loop.
 *
 * @module
 */
import { BaseEventLoop, type BaseEventLoopOptions } from "./base_event_loop.ts";
import { debugFromEnvironment } from "./_debug_env.ts";

/**
 * The completion-based event loop. Equivalent to Python's
 * `asyncio.ProactorEventLoop` (Windows-only in CPython; here on every
 * platform, because Deno's own I/O is completion-based).
 *
 * Each transport keeps one read in flight and hands completions to the
 * protocol through the loop. Transports land with the transports issue:
 * until then it is the platform-free loop with no I/O driver, and its I/O
 * methods throw `NotImplementedError` saying so. Debug mode starts on when
 * `ASYNCIO_DEBUG=1` is set and env access is granted.
 *
 * @example
 * ```ts
 * import { ProactorEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = new ProactorEventLoop();
 * const value = await loop.runUntilComplete(Promise.resolve("done"));
 * loop.close();
 * assert.equal(value, "done");
 * ```
 */
export class ProactorEventLoop extends BaseEventLoop {
  /** Creates the loop. */
  constructor(options?: BaseEventLoopOptions) {
    super({ ...options, debug: options?.debug ?? debugFromEnvironment() });
  }
}
