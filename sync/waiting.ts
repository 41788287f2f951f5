/**
 * The wait queue of `sync/_waiter_queue.ts`, for the layer-4 modules outside
 * `sync/` that DESIGN.md §7 puts on it: the queues of `queues/`. Private
 * files are imported only from their own folder, so this module is the one
 * sanctioned way in. It is not re-exported by any `mod.ts` and is not public
 * API.
 *
 * @module
 */
export { LoopBinding, Waiter, type WaiterHooks, WaiterQueue } from "./_waiter_queue.ts";
