/**
 * What the completion-model transports need from their loop's I/O driver:
 * counting operations in flight and closing what is still open when the loop
 * closes. `ProactorIoDriver` (in `loop/`) implements it; transports see only
 * this interface, so they import nothing from the layer above.
 *
 * @module
 */

/** A resource the driver closes when the loop closes. */
export interface Closable {
  /** Releases the resource; may throw if it is already closed (the driver ignores that). */
  close(): void;
}

/**
 * The I/O driver of a completion-based loop, as the transports see it.
 *
 * @example A driver that only counts
 * ```ts
 * import type { Closable, ProactorIo } from "@aio/asyncio/transports";
 *
 * class Counting implements ProactorIo {
 *   inFlight = 0;
 *   readonly open = new Set<Closable>();
 *   begin(): void { this.inFlight++; }
 *   end(): void { this.inFlight--; }
 *   track(resource: Closable): void { this.open.add(resource); }
 *   untrack(resource: Closable): void { this.open.delete(resource); }
 *   isTracked(resource: Closable): boolean { return this.open.has(resource); }
 * }
 * new Counting();
 * ```
 */
export interface ProactorIo {
  /** An operation (read, write, accept, connect) started. */
  begin(): void;
  /** An operation settled. */
  end(): void;
  /** `resource` is open: close it if the loop closes first. */
  track(resource: Closable): void;
  /** `resource` was closed by its owner. */
  untrack(resource: Closable): void;
  /** Whether `resource` is tracked: open, and the loop has not closed it. */
  isTracked(resource: Closable): boolean;
}
