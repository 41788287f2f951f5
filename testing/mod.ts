/**
 * Testing helpers: a virtual clock and a loop that runs on it, so tests of
 * timeouts, sleeps and timers finish at once and deterministically.
 *
 * ```ts
 * import { TestLoop } from "@aio/asyncio/testing";
 * import { run, sleep, waitFor, TimeoutError } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   await assert.rejects(waitFor(() => sleep(60), 1), TimeoutError);
 * }, { loopFactory: () => new TestLoop() });
 * ```
 *
 * @module
 */
export * from "./virtual_clock.ts";
export * from "./test_loop.ts";
