/**
 * `SelectorEventLoop`: asyncio's readiness-based loop.
 *
 * @module
 */
import { BaseEventLoop, type BaseEventLoopOptions } from "./base_event_loop.ts";
import { debugFromEnvironment } from "./_debug_env.ts";

/**
 * The readiness-based event loop. Equivalent to Python's
 * `asyncio.SelectorEventLoop`.
 *
 * Its selector turns Deno's completions (or, with `--allow-ffi` on Linux,
 * epoll events) into readiness events; `addReader`/`addWriter` and the
 * `sock*` operations belong to it. Those land with the transports issue:
 * until then it is the platform-free loop with no I/O driver, and its I/O
 * methods throw `NotImplementedError` saying so. Debug mode starts on when
 * `ASYNCIO_DEBUG=1` is set and env access is granted.
 *
 * @example
 * ```ts
 * import { SelectorEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = new SelectorEventLoop();
 * const value = await loop.runUntilComplete(Promise.resolve(7));
 * loop.close();
 * assert.equal(value, 7);
 * ```
 */
export class SelectorEventLoop extends BaseEventLoop {
  /** Creates the loop. */
  constructor(options?: BaseEventLoopOptions) {
    super({ ...options, debug: options?.debug ?? debugFromEnvironment() });
  }
}
