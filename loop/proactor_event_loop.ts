/**
 * `ProactorEventLoop`: asyncio's completion-based loop.
 *
 * @module
 */
import type { BaseEventLoopOptions } from "./base_event_loop.ts";
import { IoEventLoop } from "./io_event_loop.ts";
import { ProactorIoDriver } from "./proactor_io_driver.ts";
import { proactorTransports } from "../transports/stream_transport.ts";

/**
 * The completion-based event loop. Equivalent to Python's
 * `asyncio.ProactorEventLoop` (Windows-only in CPython; here on every
 * platform, because Deno's own I/O is completion-based).
 *
 * Each transport keeps one read in flight and hands completions to the
 * protocol through the loop (`docs/architecture.md`, "Transports"). TCP,
 * Unix sockets, pipes, name resolution and `sendfile` work; `sock*` and
 * UDP still throw `NotImplementedError` naming their issue. Debug mode starts on when
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
export class ProactorEventLoop extends IoEventLoop {
  /** Creates the loop with its own I/O driver (an `ioDriver` option is ignored). */
  constructor(options?: BaseEventLoopOptions) {
    super(options, new ProactorIoDriver(), proactorTransports);
  }
}
