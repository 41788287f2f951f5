/**
 * asyncio for Deno: Python's asyncio rebuilt in TypeScript. This module
 * exports everything but the testing helpers, like `import asyncio`; each
 * subsystem is also its own export (`@aio/asyncio/loop`, `@aio/asyncio/tasks`,
 * `@aio/asyncio/sync`, `@aio/asyncio/queues`, `@aio/asyncio/transports`,
 * `@aio/asyncio/streams`), and the testing helpers are `@aio/asyncio/testing`.
 *
 * ```ts
 * import { createTask, gather, run, sleep } from "@aio/asyncio";
 * import assert from "node:assert/strict";
 *
 * const results = await run(async () => {
 *   const a = createTask(async () => { await sleep(0.01); return "a"; });
 *   const b = createTask(async () => "b");
 *   return await gather(a, b);
 * });
 * assert.deepEqual(results, ["a", "b"]);
 * ```
 *
 * @module
 */
export * from "./loop/mod.ts";
export * from "./tasks/mod.ts";
export * from "./sync/mod.ts";
export * from "./queues/mod.ts";
export * from "./transports/mod.ts";
export * from "./streams/mod.ts";
