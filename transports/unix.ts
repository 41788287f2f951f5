/**
 * `createUnixConnection` and `createUnixServer` of both loops, over
 * `Deno.connect`/`Deno.listen` with `transport: "unix"`; the loop's
 * `MakeTransport` hook wraps each conn in its kind of transport.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import {
  checkFactory,
  checkOptions,
  checkPath,
  checkSock,
  connected,
  startServer,
  wrapConn,
  wrapSocket,
} from "./_create.ts";
import type { BaseProtocol } from "./base_protocol.ts";
import type { ProactorIo } from "./proactor_io.ts";
import type { Server } from "./server.ts";
import type { Socket } from "./socket.ts";
import { type MakeTransport, prepareSocket, proactorTransports } from "./stream_transport.ts";
import type { Transport } from "./transport.ts";

/** Options of `createUnixConnection`. */
export interface CreateUnixConnectionOptions {
  /** Extra information for the transport's `getExtraInfo`. */
  extra?: Record<string, unknown>;
  /**
   * A connected `AF_UNIX` socket object to use instead of connecting; `path`
   * must then be null. The transport takes it over.
   */
  sock?: Socket | null;
}

/** Options of `createUnixServer`. */
export interface CreateUnixServerOptions {
  /** Whether to accept at once (default true). */
  startServing?: boolean;
  /**
   * Whether to unlink a stale socket file at `path` first (default true,
   * as Python 3.13's `cleanup_socket`; only a socket is unlinked).
   */
  cleanupSocket?: boolean;
  /**
   * A bound or listening `AF_UNIX` socket object to serve on instead of
   * listening; `path` must then be null. The server takes it over.
   */
  sock?: Socket | null;
}

const KNOWN_UNIX_CONNECTION_OPTIONS = new Set(["extra", "sock"]);
const KNOWN_UNIX_SERVER_OPTIONS = new Set(["startServing", "cleanupSocket", "sock"]);

/** Connects to the Unix socket at `path`. */
export async function createUnixConnection<P extends BaseProtocol>(
  loop: AbstractEventLoop,
  io: ProactorIo,
  protocolFactory: () => P,
  path: string | null | undefined,
  options?: CreateUnixConnectionOptions,
  make: MakeTransport = proactorTransports(loop, io),
): Promise<[Transport, P]> {
  checkFactory(protocolFactory, "createUnixConnection");
  checkOptions(options, KNOWN_UNIX_CONNECTION_OPTIONS, "createUnixConnection");
  const sock = options?.sock ?? null;
  if (sock !== null) {
    checkSock(sock, "createUnixConnection", true, {
      names: "'path'",
      given: (path ?? null) !== null,
    });
    return await wrapSocket(
      loop,
      io,
      make,
      sock,
      protocolFactory,
      "createUnixConnection",
      options?.extra,
    );
  }
  checkPath(path, "createUnixConnection");
  // Deno cannot abort a Unix connect: a cancelled caller stops waiting, and
  // the conn is closed when it arrives.
  const fut = loop.createFuture<Deno.UnixConn>();
  io.begin();
  Deno.connect({ transport: "unix", path: path! }).then(
    (conn) => {
      io.end();
      if (fut.done() || loop.isClosed()) conn.close();
      else fut.setResult(conn);
    },
    (err) => {
      io.end();
      if (!fut.done() && !loop.isClosed()) fut.setException(err);
    },
  );
  const conn = await connected(fut, (c) => c.close());
  // Python shows the server's path as the client's peername.
  return await wrapConn(
    loop,
    io,
    conn,
    protocolFactory,
    "createUnixConnection",
    {
      ...options?.extra,
      ...prepareSocket(conn),
      peername: path,
    },
    "duplex",
    make,
  );
}

/**
 * Listens on the Unix socket `path`. A stale socket file there is unlinked
 * first (only if it is a socket, as asyncio); the listener unlinks `path`
 * when it closes.
 */
export async function createUnixServer(
  loop: AbstractEventLoop,
  io: ProactorIo,
  protocolFactory: () => BaseProtocol,
  path: string | null | undefined,
  options?: CreateUnixServerOptions,
  make: MakeTransport = proactorTransports(loop, io),
): Promise<Server> {
  checkFactory(protocolFactory, "createUnixServer");
  checkOptions(options, KNOWN_UNIX_SERVER_OPTIONS, "createUnixServer");
  const sock = options?.sock ?? null;
  if (sock !== null) {
    checkSock(sock, "createUnixServer", true, { names: "'path'", given: (path ?? null) !== null });
    // Deno's Unix listen takes no backlog.
    const listener = sock._serverListener(100);
    return await startServer(
      loop,
      io,
      [listener],
      protocolFactory,
      "createUnixServer",
      options,
      make,
    );
  }
  checkPath(path, "createUnixServer");
  // Deno reports AddrInUse for any file at the path; the abstract namespace ("\0…") has no file.
  if ((options?.cleanupSocket ?? true) && !path!.startsWith("\0")) {
    let stale = false;
    try {
      stale = Deno.lstatSync(path!).isSocket === true;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    if (stale) Deno.removeSync(path!);
  }
  const listener = Deno.listen({ transport: "unix", path: path! });
  return await startServer(
    loop,
    io,
    [listener],
    protocolFactory,
    "createUnixServer",
    options,
    make,
  );
}
