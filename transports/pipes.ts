/**
 * `connectReadPipe` and `connectWritePipe` of both loops, for
 * `Deno.FsFile`-like pipe ends (`Deno.stdin`, `Deno.stdout`, an opened
 * FIFO): anything with `read(buf)` or `write(buf)`, and `close()`.
 *
 * A write pipe cannot learn that its reader went away before it writes
 * (Python's write pipe transport reads from the fd to notice; a Deno write
 * end has no `read`): the next write fails and becomes
 * `connectionLost(err)`.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { checkFactory, describe, wrapConn } from "./_create.ts";
import type { BaseProtocol } from "./base_protocol.ts";
import type { ProactorIo } from "./proactor_io.ts";
import type { ReadTransport } from "./read_transport.ts";
import { type MakeTransport, proactorTransports, type StreamConn } from "./stream_transport.ts";
import type { Transport } from "./transport.ts";
import type { WriteTransport } from "./write_transport.ts";

/** A readable pipe end: `Deno.stdin`, a `Deno.FsFile` opened for reading. */
export interface ReadablePipe {
  /** Reads into `p`; `null` at end of file. */
  read(p: Uint8Array): Promise<number | null>;
  /** Closes the pipe end. */
  close(): void;
}

/** A writable pipe end: `Deno.stdout`, a `Deno.FsFile` opened for writing. */
export interface WritablePipe {
  /** Writes part or all of `p`. */
  write(p: Uint8Array): Promise<number>;
  /** Closes the pipe end. */
  close(): void;
}

/** Wraps the read end of a pipe in a read transport with a new protocol. */
export function connectReadPipe<P extends BaseProtocol>(
  loop: AbstractEventLoop,
  io: ProactorIo,
  protocolFactory: () => P,
  pipe: ReadablePipe,
  make: MakeTransport = proactorTransports(loop, io),
): Promise<[ReadTransport, P]> {
  return connectPipe(loop, io, protocolFactory, pipe, "read", make);
}

/** Wraps the write end of a pipe in a write transport (with flow control) and a new protocol. */
export function connectWritePipe<P extends BaseProtocol>(
  loop: AbstractEventLoop,
  io: ProactorIo,
  protocolFactory: () => P,
  pipe: WritablePipe,
  make: MakeTransport = proactorTransports(loop, io),
): Promise<[WriteTransport, P]> {
  return connectPipe(loop, io, protocolFactory, pipe, "write", make);
}

async function connectPipe<P extends BaseProtocol>(
  loop: AbstractEventLoop,
  io: ProactorIo,
  protocolFactory: () => P,
  pipe: ReadablePipe | WritablePipe,
  mode: "read" | "write",
  make: MakeTransport,
): Promise<[Transport, P]> {
  const method = mode === "read" ? "connectReadPipe" : "connectWritePipe";
  checkFactory(protocolFactory, method);
  checkPipe(pipe, mode, method);
  // Only the one direction is bound, so the transport never calls the other.
  const conn: StreamConn = mode === "read"
    ? { read: (p) => (pipe as ReadablePipe).read(p), close: () => pipe.close() }
    : { write: (p) => (pipe as WritablePipe).write(p), close: () => pipe.close() };
  return await wrapConn(loop, io, conn, protocolFactory, method, { pipe }, mode, make);
}

function checkPipe(pipe: unknown, method: "read" | "write", caller: string): void {
  const target = pipe as Record<string, unknown> | null;
  if (
    target === null || typeof target !== "object" || typeof target[method] !== "function" ||
    typeof target.close !== "function"
  ) {
    throw new TypeError(
      `Cannot ${
        caller.replace(/[A-Z]/g, (c) => " " + c.toLowerCase())
      } as 'pipe' must have ${method}() and close() methods: received ${describe(pipe)}`,
    );
  }
}
