/**
 * What the loop's connection and server functions share: argument checks,
 * making the protocol, wrapping a conn in a transport, starting a server.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import type { Future } from "../tasks/future.ts";
import type { BaseProtocol } from "./base_protocol.ts";
import type { ProactorIo } from "./proactor_io.ts";
import { Server } from "./server.ts";
import {
  type MakeTransport,
  proactorTransports,
  type StreamConn,
  type StreamMode,
} from "./stream_transport.ts";
import type { Transport } from "./transport.ts";

/** Makes the protocol, wraps `conn` and waits for `connectionMade`; closes `conn` on failure. */
export async function wrapConn<P extends BaseProtocol>(
  loop: AbstractEventLoop,
  io: ProactorIo,
  conn: StreamConn,
  protocolFactory: () => P,
  method: string,
  extra: Record<string, unknown>,
  mode: StreamMode = "duplex",
  make: MakeTransport = proactorTransports(loop, io),
): Promise<[Transport, P]> {
  let protocol: P;
  try {
    protocol = makeProtocol(protocolFactory, method);
  } catch (err) {
    conn.close();
    throw err;
  }
  const waiter = loop.createFuture<void>();
  let transport: Transport;
  try {
    transport = make(conn, protocol, { waiter, extra, mode });
  } catch (err) {
    conn.close();
    throw err;
  }
  try {
    await waiter;
  } catch (err) {
    transport.abort();
    throw err;
  }
  return [transport, protocol];
}

/**
 * Awaits `fut`, a connect's future; when the caller is cancelled after the
 * connect completed (the result was set but the task gets the
 * `CancelledError` instead), `release` closes what nobody will receive.
 */
export async function connected<T>(fut: Future<T>, release: (result: T) => void): Promise<T> {
  try {
    return await fut;
  } catch (err) {
    if (fut.done() && !fut.cancelled() && fut.exception() === undefined) release(fut.result());
    throw err;
  }
}

/** Wraps bound listeners in a `Server` and starts serving unless told not to. */
export async function startServer(
  loop: AbstractEventLoop,
  io: ProactorIo,
  listeners: Deno.Listener[],
  protocolFactory: () => BaseProtocol,
  method: string,
  options: { startServing?: boolean } | undefined,
  make: MakeTransport = proactorTransports(loop, io),
): Promise<Server> {
  const server = new Server({
    loop,
    io,
    listeners,
    makeTransport: make,
    protocolFactory: () => makeProtocol(protocolFactory, method),
  });
  if (options?.startServing ?? true) await server.startServing();
  return server;
}

export function makeProtocol<P>(factory: () => P, method: string): P {
  const protocol = factory();
  if (protocol === null || typeof protocol !== "object") {
    throw new TypeError(
      `Cannot ${action(method)} as 'protocolFactory' must return a protocol: received ${
        describe(protocol)
      }`,
    );
  }
  return protocol;
}

/** "createUnixServer" → "create unix server", "connectReadPipe" → "connect read pipe". */
function action(method: string): string {
  return method.replace(/[A-Z]/g, (c) => " " + c.toLowerCase());
}

export function checkFactory(factory: unknown, method: string): void {
  if (typeof factory !== "function") {
    throw new TypeError(
      `Cannot ${action(method)} as 'protocolFactory' must be a function: received ${
        describe(factory)
      }`,
    );
  }
}

export function checkPort(port: unknown, method: string, optional: boolean): void {
  if (optional && (port === null || port === undefined)) return;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot ${action(method)} as 'port' must be an integer from 0 to 65535: received ${
        describe(port)
      }`,
    );
  }
}

export function checkPath(path: unknown, method: string): void {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `Cannot ${action(method)} as 'path' must be a non-empty string: received ${describe(path)}`,
    );
  }
}

export function checkOptions(
  options: object | undefined,
  known: Set<string>,
  method: string,
): void {
  if (options === undefined || options === null) return;
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !known.has(key)) {
      throw new TypeError(`Cannot ${action(method)} as option '${key}' is not supported yet`);
    }
  }
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return String(value);
  return typeof value;
}
