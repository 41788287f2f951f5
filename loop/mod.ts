/**
 * The event loop: handles, the loop interface, the platform-free base loop,
 * the selector and proactor loops, policies, runners, contexts and the
 * asyncio exceptions. Equivalent to Python's `asyncio.events`,
 * `asyncio.base_events`, `asyncio.runners`, `asyncio.exceptions` and
 * `contextvars`.
 *
 * ```ts
 * import { newEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = newEventLoop();
 * const order: number[] = [];
 * loop.callLater(0.002, () => { order.push(2); loop.stop(); });
 * loop.callSoon(() => order.push(1));
 * await loop.runForever();
 * loop.close();
 * assert.deepEqual(order, [1, 2]);
 * ```
 *
 * @module
 */
export * from "./exceptions.ts";
export { Context, ContextVar, type ContextVarOptions, copyContext, Token } from "./context.ts";
export { getRunningLoop } from "./current.ts";
export { Handle, type Runnable, SCHEDULE, TimerHandle, type TimerOwner } from "./handle.ts";
export type {
  AbstractEventLoop,
  CoroutineFunction,
  ExceptionContext,
  ExceptionHandler,
  TaskFactory,
} from "./abstract_event_loop.ts";
export { type Clock, RealClock } from "./clock.ts";
export { type IoDriver, NullIoDriver } from "./io_driver.ts";
export { type Logger, setLogger } from "./logger.ts";
export { BaseEventLoop, type BaseEventLoopOptions } from "./base_event_loop.ts";
export { IoEventLoop, type OpenerFor, type TransportsFor } from "./io_event_loop.ts";
export {
  type SelectorChoice,
  SelectorEventLoop,
  type SelectorEventLoopOptions,
  type SelectorSocket,
} from "./selector_event_loop.ts";
export { ProactorEventLoop } from "./proactor_event_loop.ts";
export { ProactorIoDriver } from "./proactor_io_driver.ts";
export { SelectorIoDriver } from "./selector_io_driver.ts";
export * from "./policies.ts";
export * from "./runners.ts";
