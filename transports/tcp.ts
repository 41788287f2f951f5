/**
 * `createConnection` and `createServer` of the completion-based loop, over
 * `Deno.connect` and `Deno.listen`. The loop methods of `ProactorEventLoop`
 * call these. Host names go to Deno as given (it resolves them); the
 * options of asyncio that need more (`localAddr`, happy eyeballs, several
 * hosts, `reusePort`) are not accepted yet.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import type { BaseProtocol } from "./base_protocol.ts";
import type { ProactorIo } from "./proactor_io.ts";
import { Server } from "./server.ts";
import { ProactorTcpTransport } from "./tcp_transport.ts";
import type { Transport } from "./transport.ts";

/** Options of `createConnection` accepted so far. */
export interface CreateConnectionOptions {
  /** Extra information for the transport's `getExtraInfo`. */
  extra?: Record<string, unknown>;
}

/** Options of `createServer` accepted so far. */
export interface CreateServerOptions {
  /** The listen backlog (default 100, as asyncio). */
  backlog?: number;
  /** Whether to accept at once (default true). */
  startServing?: boolean;
}

const KNOWN_CONNECTION_OPTIONS = new Set(["extra"]);
const KNOWN_SERVER_OPTIONS = new Set(["backlog", "startServing"]);

/** Connects to `host:port` and wraps the connection in a transport with a new protocol. */
export async function createTcpConnection<P extends BaseProtocol>(
  loop: AbstractEventLoop,
  io: ProactorIo,
  protocolFactory: () => P,
  host: string | null | undefined,
  port: number | null | undefined,
  options?: CreateConnectionOptions,
): Promise<[Transport, P]> {
  checkFactory(protocolFactory, "createConnection");
  checkOptions(options, KNOWN_CONNECTION_OPTIONS, "createConnection");
  if (typeof host !== "string" || host === "") {
    throw new TypeError(
      `Cannot create connection as 'host' must be a non-empty string: received ${describe(host)}`,
    );
  }
  checkPort(port, "createConnection", false);
  let conn: Deno.TcpConn;
  io.begin();
  try {
    conn = await Deno.connect({ hostname: host, port: port! });
  } finally {
    io.end();
  }
  let protocol: P;
  try {
    protocol = makeProtocol(protocolFactory, "createConnection");
  } catch (err) {
    conn.close();
    throw err;
  }
  const waiter = loop.createFuture<void>();
  const transport = new ProactorTcpTransport(loop, io, conn, protocol, {
    waiter,
    ...(options?.extra !== undefined ? { extra: options.extra } : {}),
  });
  try {
    await waiter;
  } catch (err) {
    transport.abort();
    throw err;
  }
  return [transport, protocol];
}

/** Listens on `host:port` (port 0 picks a free port) and returns the server. */
export async function createTcpServer(
  loop: AbstractEventLoop,
  io: ProactorIo,
  protocolFactory: () => BaseProtocol,
  host: string | null | undefined,
  port: number | null | undefined,
  options?: CreateServerOptions,
): Promise<Server> {
  checkFactory(protocolFactory, "createServer");
  checkOptions(options, KNOWN_SERVER_OPTIONS, "createServer");
  if (host !== null && host !== undefined && typeof host !== "string") {
    throw new TypeError(
      `Cannot create server as 'host' must be a string or null: received ${describe(host)}`,
    );
  }
  checkPort(port, "createServer", true);
  const backlog = options?.backlog ?? 100;
  if (!Number.isInteger(backlog) || backlog < 0) {
    throw new RangeError(
      `Cannot create server as 'backlog' must be a non-negative integer: received ${backlog}`,
    );
  }
  const listener = Deno.listen({
    // asyncio's null or "" host means every interface.
    hostname: host === null || host === undefined || host === "" ? "0.0.0.0" : host,
    port: port ?? 0,
    tcpBacklog: backlog,
  });
  const server = new Server({
    loop,
    io,
    listeners: [listener],
    protocolFactory: () => makeProtocol(protocolFactory, "createServer"),
  });
  if (options?.startServing ?? true) await server.startServing();
  return server;
}

function makeProtocol<P>(factory: () => P, method: string): P {
  const protocol = factory();
  if (protocol === null || typeof protocol !== "object") {
    throw new TypeError(
      `Cannot ${
        method.replace("create", "create ").toLowerCase()
      } as 'protocolFactory' must return a protocol: received ${describe(protocol)}`,
    );
  }
  return protocol;
}

function checkFactory(factory: unknown, method: string): void {
  if (typeof factory !== "function") {
    throw new TypeError(
      `Cannot ${
        method.replace("create", "create ").toLowerCase()
      } as 'protocolFactory' must be a function: received ${describe(factory)}`,
    );
  }
}

function checkPort(port: unknown, method: string, optional: boolean): void {
  if (optional && (port === null || port === undefined)) return;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot ${
        method.replace("create", "create ").toLowerCase()
      } as 'port' must be an integer from 0 to 65535: received ${describe(port)}`,
    );
  }
}

function checkOptions(options: object | undefined, known: Set<string>, method: string): void {
  if (options === undefined || options === null) return;
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !known.has(key)) {
      throw new TypeError(
        `Cannot ${
          method.replace("create", "create ").toLowerCase()
        } as option '${key}' is not supported yet (issue 5)`,
      );
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return String(value);
  return typeof value;
}
