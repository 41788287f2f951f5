/**
 * `BaseProtocol`: the callbacks every protocol has. Equivalent to Python's
 * `asyncio.BaseProtocol`.
 *
 * @module
 */
import type { BaseTransport } from "./base_transport.ts";

/**
 * The base of every protocol: connection made and lost, and write flow
 * control. Every method is a no-op; subclasses override what they need.
 * Equivalent to Python's `asyncio.BaseProtocol`.
 *
 * The loop calls these methods, always from its own callbacks (never from
 * a host promise directly): `connectionMade` first, `connectionLost` exactly
 * once, last; `pauseWriting`/`resumeWriting` in between, alternating.
 *
 * @example Count the connections a server has seen
 * ```ts
 * import { BaseProtocol, type BaseTransport } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * let open = 0;
 * class Counting extends BaseProtocol {
 *   override connectionMade(_transport: BaseTransport): void {
 *     open++;
 *   }
 *   override connectionLost(_err: unknown): void {
 *     open--;
 *   }
 * }
 * const p = new Counting();
 * p.connectionMade({} as BaseTransport);
 * assert.equal(open, 1);
 * p.connectionLost(null);
 * assert.equal(open, 0);
 * ```
 */
export class BaseProtocol {
  /** The connection is made; `transport` is its transport. Equivalent to `connection_made()`. */
  connectionMade(_transport: BaseTransport): void {}
  /**
   * The connection is lost or closed: `err` is null after a normal close or
   * end of file, else the error. Called exactly once. Equivalent to
   * `connection_lost()`.
   */
  connectionLost(_err: unknown | null): void {}
  /** The transport's write buffer went over its high-water mark. Equivalent to `pause_writing()`. */
  pauseWriting(): void {}
  /** The write buffer drained to its low-water mark. Equivalent to `resume_writing()`. */
  resumeWriting(): void {}
}
