/**
 * `createUnixConnection` and `createUnixServer` of both loops. Connections
 * are opened by the loop's `StreamOpener` (`Deno.connect` with
 * `transport: "unix"`, or an `AF_UNIX` descriptor on the epoll selector);
 * the loop's `MakeTransport` hook wraps each conn in its kind of transport.
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
import type { FdSocket } from "./fd_socket.ts";
import type { ProactorIo } from "./proactor_io.ts";
import type { Server } from "./server.ts";
import type { Socket } from "./socket.ts";
import { AF_UNIX } from "./socket_constants.ts";
import { type MakeTransport, proactorTransports } from "./stream_transport.ts";
import { connectError, denoOpener, staggeredConnect, type StreamOpener } from "./tcp.ts";
import { refuseTls } from "./tls.ts";
import type { Transport } from "./transport.ts";

/** Options of `createUnixConnection`. */
export interface CreateUnixConnectionOptions {
  /** Extra information for the transport's `getExtraInfo`. */
  extra?: Record<string, unknown>;
  /**
   * A connected `AF_UNIX` socket object (on the epoll selector also an
   * `FdSocket`) to use instead of connecting; `path` must then be null. The
   * transport takes it over.
   */
  sock?: Socket | FdSocket | null;
  /**
   * Not supported: Deno's TLS runs over its own TCP conns only, so `ssl`
   * throws `NotImplementedError` until the TLS-over-transport layer lands.
   */
  ssl?: unknown;
  /** Only meaningful with `ssl`. */
  serverHostname?: string | null;
  /** Only meaningful with `ssl`. */
  sslHandshakeTimeout?: number | null;
  /** Only meaningful with `ssl`. */
  sslShutdownTimeout?: number | null;
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
   * listening (an `FdSocket` on the epoll selector); `path` must then be
   * null. The server takes it over.
   */
  sock?: Socket | FdSocket | null;
  /**
   * Not supported: Deno's TLS runs over its own TCP conns only, so `ssl`
   * throws `NotImplementedError` until the TLS-over-transport layer lands.
   */
  ssl?: unknown;
  /** Only meaningful with `ssl`. */
  sslHandshakeTimeout?: number | null;
  /** Only meaningful with `ssl`. */
  sslShutdownTimeout?: number | null;
}

const TLS_OPTIONS = ["ssl", "serverHostname", "sslHandshakeTimeout", "sslShutdownTimeout"];
const KNOWN_UNIX_CONNECTION_OPTIONS = new Set(["extra", "sock", ...TLS_OPTIONS]);
const KNOWN_UNIX_SERVER_OPTIONS = new Set([
  "startServing",
  "cleanupSocket",
  "sock",
  ...TLS_OPTIONS.filter((name) => name !== "serverHostname"),
]);

/** Connects to the Unix socket at `path`. */
export async function createUnixConnection<P extends BaseProtocol>(
  loop: AbstractEventLoop,
  io: ProactorIo,
  protocolFactory: () => P,
  path: string | null | undefined,
  options?: CreateUnixConnectionOptions,
  make: MakeTransport = proactorTransports(loop, io),
  opener: StreamOpener = denoOpener(loop, io),
): Promise<[Transport, P]> {
  checkFactory(protocolFactory, "createUnixConnection");
  checkOptions(options, KNOWN_UNIX_CONNECTION_OPTIONS, "createUnixConnection");
  refuseTls(options, "createUnixConnection", "a Unix socket");
  const sock = options?.sock ?? null;
  if (sock !== null) {
    checkSock(sock, "createUnixConnection", true, opener.descriptors, {
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
  // One attempt; a cancelled caller aborts it where the opener can, and a
  // conn that arrives anyway (Deno cannot abort a Unix connect) is closed.
  const { conn, errors } = await connected(
    staggeredConnect(loop, opener, [{ family: AF_UNIX, address: path! }], null),
    (result) => result.conn?.close(),
  );
  if (conn === null) throw connectError(errors, false);
  // Python shows the server's path as the client's peername.
  return await wrapConn(
    loop,
    io,
    conn,
    protocolFactory,
    "createUnixConnection",
    {
      ...options?.extra,
      ...opener.names(conn),
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
  opener: StreamOpener = denoOpener(loop, io),
): Promise<Server> {
  checkFactory(protocolFactory, "createUnixServer");
  checkOptions(options, KNOWN_UNIX_SERVER_OPTIONS, "createUnixServer");
  refuseTls(options, "createUnixServer", "a Unix socket");
  const sock = options?.sock ?? null;
  let listener;
  if (sock !== null) {
    checkSock(sock, "createUnixServer", true, opener.descriptors, {
      names: "'path'",
      given: (path ?? null) !== null,
    });
    // Deno's Unix listen takes no backlog; 100 is asyncio's.
    listener = opener.serve(sock, 100);
  } else {
    checkPath(path, "createUnixServer");
    removeStaleSocket(path!, options?.cleanupSocket ?? true);
    listener = opener.listen(AF_UNIX, path!, { backlog: 100, reusePort: false });
  }
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

// Deno and bind() report AddrInUse for any file at the path: a socket file
// left by an earlier server is removed (only a socket, never another kind of
// file); the abstract namespace ("\0…") has no file.
function removeStaleSocket(path: string, cleanup: boolean): void {
  if (!cleanup || path.startsWith("\0")) return;
  let stale = false;
  try {
    stale = Deno.lstatSync(path).isSocket === true;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (stale) Deno.removeSync(path);
}
