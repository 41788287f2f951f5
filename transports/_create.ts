/**
 * What the loop's connection and server functions share: argument checks,
 * making the protocol, wrapping a conn in a transport, starting a server.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import type { Future } from "../tasks/future.ts";
import type { BaseProtocol } from "./base_protocol.ts";
import { FdSocket } from "./fd_socket.ts";
import type { ProactorIo } from "./proactor_io.ts";
import { checkSocket } from "./selector.ts";
import { checkSocketFree } from "./socket_owners.ts";
import { Server, type ServerListener } from "./server.ts";
import type { Socket, SocketStreamConn } from "./socket.ts";
import { AF_UNIX, SOCK_STREAM } from "./socket_constants.ts";
import {
  type MakeTransport,
  prepareSocket,
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

/**
 * Checks the `sock` option (or argument) of `method`: the project's stream
 * socket (also an `FdSocket` when `descriptors`: the epoll selector),
 * `AF_UNIX` when `unix`, and not given together with an address.
 *
 * @throws {TypeError} Any of these does not hold (Python's `ValueError`).
 */
export function checkSock(
  sock: unknown,
  method: string,
  unix: boolean,
  descriptors: boolean,
  address?: { names: string; given: boolean },
): asserts sock is Socket | FdSocket {
  if (address?.given) {
    throw new TypeError(
      `Cannot ${action(method)} as ${address.names} and 'sock' must not both be given`,
    );
  }
  if (!(descriptors && sock instanceof FdSocket)) checkSocket(sock, action(method));
  const { family, type } = sock as Socket | FdSocket;
  if (type !== SOCK_STREAM || (unix && family !== AF_UNIX)) {
    throw new TypeError(
      `Cannot ${action(method)} as 'sock' must be ${
        unix ? "an AF_UNIX" : "a"
      } SOCK_STREAM socket: received family ${family}, type ${type}`,
    );
  }
}

/** `sockname` and `peername` of a connected `FdSocket`, as Python shows them. */
export function fdSocketNames(sock: FdSocket): Record<string, unknown> {
  return { sockname: sock.getsockname(), peername: sock.getpeername() };
}

/**
 * Wraps the connected socket `sock` (checked) in a transport with a new
 * protocol; a Deno-ops socket's own buffered data is delivered first. A
 * factory that fails leaves the socket open, as in asyncio.
 *
 * @throws {TypeError} An `FdSocket` is not connected.
 * @throws {RuntimeError} `sock` is a live transport's.
 */
export async function wrapSocket<P extends BaseProtocol>(
  loop: AbstractEventLoop,
  io: ProactorIo,
  make: MakeTransport,
  sock: Socket | FdSocket,
  protocolFactory: () => P,
  method: string,
  extra: Record<string, unknown> | undefined,
): Promise<[Transport, P]> {
  // Before anything is wrapped: a failed wrap closes the socket.
  checkSocketFree(sock, `take over the socket in ${method}()`);
  let conn: StreamConn;
  let names: Record<string, unknown>;
  if (sock instanceof FdSocket) {
    if (sock.state !== "connected") {
      throw new TypeError(`Cannot take over socket: socket is ${sock.state}, not connected`);
    }
    conn = sock;
    names = fdSocketNames(sock);
  } else {
    const stream = sock._streamConn() as SocketStreamConn;
    conn = stream;
    names = prepareSocket(stream.conn);
  }
  const protocol = makeProtocol(protocolFactory, method);
  return await wrapConn(
    loop,
    io,
    conn,
    () => protocol,
    method,
    { ...extra, ...names },
    "duplex",
    make,
  );
}

/** Wraps bound listeners in a `Server` and starts serving unless told not to. */
export async function startServer(
  loop: AbstractEventLoop,
  io: ProactorIo,
  listeners: ServerListener[],
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
export function action(method: string): string {
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
  if (typeof port !== "number") {
    throw new TypeError(
      `Cannot ${action(method)} as 'port' must be an integer from 0 to 65535: received ${
        describe(port)
      }`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
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
