/**
 * `SubprocessTransport`: the transport of a child process. Equivalent to
 * Python's `asyncio.SubprocessTransport`.
 *
 * @module
 */
import type { BaseTransport } from "./base_transport.ts";

/**
 * A child process seen as a transport. Equivalent to Python's
 * `asyncio.SubprocessTransport`. No loop makes one yet (the subprocess work).
 *
 * @example Stop a child politely
 * ```ts
 * import type { SubprocessTransport } from "@aio/asyncio/transports";
 *
 * function stop(transport: SubprocessTransport): void {
 *   if (transport.getReturncode() === null) transport.terminate();
 * }
 * ```
 */
export interface SubprocessTransport extends BaseTransport {
  /** The child's process id. Equivalent to `get_pid()`. */
  getPid(): number;
  /** The exit code, or null while running. Equivalent to `get_returncode()`. */
  getReturncode(): number | null;
  /** The transport of pipe `fd` (0, 1 or 2), or null. Equivalent to `get_pipe_transport()`. */
  getPipeTransport(fd: number): BaseTransport | null;
  /** Sends a signal to the child. Equivalent to `send_signal()`. */
  sendSignal(signal: Deno.Signal): void;
  /** Sends SIGTERM. Equivalent to `terminate()`. */
  terminate(): void;
  /** Sends SIGKILL. Equivalent to `kill()`. */
  kill(): void;
}
