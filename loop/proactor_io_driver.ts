/**
 * The I/O driver of `ProactorEventLoop`: counts the Deno operations in
 * flight (the base loop yields to the host more often while any are) and
 * closes the conns and listeners still open when the loop closes.
 *
 * @module
 */
import type { IoDriver } from "./io_driver.ts";
import type { Closable, ProactorIo } from "../transports/proactor_io.ts";

/**
 * The completion-model I/O driver. Transports report each operation they
 * start (`begin`) and see settle (`end`), and each resource they open
 * (`track`) and close (`untrack`).
 *
 * @example
 * ```ts
 * import { ProactorIoDriver } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const driver = new ProactorIoDriver();
 * let closed = false;
 * driver.track({ close: () => { closed = true; } });
 * driver.begin();
 * assert.equal(driver.inFlight, 1);
 * driver.end();
 * driver.close();
 * assert.equal(closed, true);
 * ```
 */
export class ProactorIoDriver implements IoDriver, ProactorIo {
  #inFlight = 0;
  readonly #open = new Set<Closable>();

  /** The number of operations in flight. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** An operation started. */
  begin(): void {
    this.#inFlight++;
  }

  /** An operation settled. */
  end(): void {
    this.#inFlight--;
  }

  /** `resource` is open: close it if the loop closes first. */
  track(resource: Closable): void {
    this.#open.add(resource);
  }

  /** `resource` was closed by its owner. */
  untrack(resource: Closable): void {
    this.#open.delete(resource);
  }

  /** Whether `resource` is tracked (open, and not closed by `close()`). */
  isTracked(resource: Closable): boolean {
    return this.#open.has(resource);
  }

  /**
   * Closes every tracked resource (their pending operations reject, and the
   * transports drop those rejections since the loop is closed).
   */
  close(): void {
    for (const resource of this.#open) {
      try {
        resource.close();
      } catch {
        // Closed already: nothing to release.
      }
    }
    this.#open.clear();
  }
}
