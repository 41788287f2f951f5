/**
 * `SubprocessProtocol`: the callbacks of a child process. Equivalent to
 * Python's `asyncio.SubprocessProtocol`.
 *
 * @module
 */
import { BaseProtocol } from "./base_protocol.ts";

/**
 * A child-process protocol. Every method is a no-op. Equivalent to Python's
 * `asyncio.SubprocessProtocol`.
 *
 * @example Collect a child's standard output
 * ```ts
 * import { SubprocessProtocol } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * class Output extends SubprocessProtocol {
 *   out = "";
 *   override pipeDataReceived(fd: number, data: Uint8Array): void {
 *     if (fd === 1) this.out += new TextDecoder().decode(data);
 *   }
 * }
 * const p = new Output();
 * p.pipeDataReceived(1, new TextEncoder().encode("ok"));
 * assert.equal(p.out, "ok");
 * ```
 */
export class SubprocessProtocol extends BaseProtocol {
  /** The child wrote `data` to pipe `fd` (1 or 2). Equivalent to `pipe_data_received()`. */
  pipeDataReceived(_fd: number, _data: Uint8Array): void {}
  /** Pipe `fd` closed, with `err` or null. Equivalent to `pipe_connection_lost()`. */
  pipeConnectionLost(_fd: number, _err: unknown | null): void {}
  /** The child exited. Equivalent to `process_exited()`. */
  processExited(): void {}
}
