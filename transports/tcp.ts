/**
 * `createTcpConnection` and `createTcpServer`: the `createConnection` and
 * `createServer` of both loops. Connections are opened
 * by a {@linkcode StreamOpener}: Deno's conns (`Deno.connect`), or real
 * descriptors on the epoll selector (`fdOpener`). The loop methods call
 * these.
 *
 * `createConnection` resolves the host with {@linkcode getaddrinfo} and
 * tries every address in order; with `happyEyeballsDelay` the attempts are
 * staggered (RFC 8305, as Python's `staggered_race`): the next starts when
 * the previous fails or the delay passes, the first to connect wins and the
 * others are aborted. `createServer` listens once per resolved address of
 * each host.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { ExceptionGroup, NotImplementedError } from "../loop/exceptions.ts";
import type { TimerHandle } from "../loop/handle.ts";
import { logger } from "../loop/logger.ts";
import type { Future } from "../tasks/future.ts";
import {
  checkFactory,
  checkOptions,
  checkPort,
  checkSock,
  connected,
  describe,
  fdSocketNames,
  startServer,
  wrapConn,
  wrapSocket,
} from "./_create.ts";
import type { BaseProtocol } from "./base_protocol.ts";
import {
  EADDRNOTAVAIL,
  EAFNOSUPPORT,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  osError,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOL_SOCKET,
} from "./_libc.ts";
import { createFdSocket, FdSocket, type SockAddr } from "./fd_socket.ts";
import { getaddrinfo } from "./name_resolution.ts";
import type { ProactorIo } from "./proactor_io.ts";
import { denoListener, fdListener, type Server, type ServerListener } from "./server.ts";
import type { Socket } from "./socket.ts";
import { AF_INET6, AF_UNIX, AF_UNSPEC, AI_PASSIVE, SOCK_STREAM } from "./socket_constants.ts";
import { type MakeTransport, prepareSocket, type StreamConn } from "./stream_transport.ts";
import {
  checkClientTls,
  checkServerTls,
  noteDenoTls,
  refuseTls,
  startClientTls,
  type TlsConnectionOptions,
  tlsOverTransportError,
  type TlsServerOptions,
  tlsTransports,
} from "./tls.ts";
import type { Transport } from "./transport.ts";

/**
 * Options of `createConnection`. Equivalent to the keyword arguments of
 * Python's; the TLS ones (`ssl`, `serverHostname`, `sslHandshakeTimeout`,
 * `sslShutdownTimeout`) are {@linkcode TlsConnectionOptions}'.
 */
export interface CreateConnectionOptions extends TlsConnectionOptions {
  /** Extra information for the transport's `getExtraInfo`. */
  extra?: Record<string, unknown>;
  /** `AF_INET` or `AF_INET6` to keep only that family (default `AF_UNSPEC`). */
  family?: number;
  /** Passed to `getaddrinfo`. */
  proto?: number;
  /** `AI_*` flags passed to `getaddrinfo`. */
  flags?: number;
  /**
   * `[host, port]` to bind the local end to before connecting (port 0 picks
   * a free port). Resolved as the remote address is (`family`, `proto`,
   * `flags`); each attempt binds to the first local address of its own
   * family that binds. On `SelectorEventLoop` with the epoll selector only:
   * elsewhere `Deno.connect` cannot bind the local end, so this throws
   * `NotImplementedError`.
   */
  localAddr?: [string, number] | null;
  /**
   * Seconds to wait for an attempt before starting the next in parallel
   * (RFC 8305 happy eyeballs; 0.25 is the RFC's value). Default: one
   * attempt at a time.
   */
  happyEyeballsDelay?: number | null;
  /**
   * Reorders the addresses so the families alternate, the first family
   * taking this many first (default 1 with `happyEyeballsDelay`, else 0).
   */
  interleave?: number | null;
  /** Rejects with an `ExceptionGroup` of every attempt's error when none connects. */
  allErrors?: boolean;
  /**
   * A connected socket object (`createSocket()` + `sockConnect()`; on the
   * epoll selector also an `FdSocket`) to use instead of connecting; `host`
   * and `port` must then be null. The transport takes it over: closing the
   * transport closes it. Not with `ssl` (`NotImplementedError`: Deno's TLS
   * runs over its own TCP conns only).
   */
  sock?: Socket | FdSocket | null;
}

/** Options of `connectAcceptedSocket`. */
export interface ConnectAcceptedSocketOptions {
  /** Extra information for the transport's `getExtraInfo`. */
  extra?: Record<string, unknown>;
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

/**
 * Options of `createServer`. Equivalent to the keyword arguments of
 * Python's; the TLS ones (`ssl`, `sslHandshakeTimeout`,
 * `sslShutdownTimeout`) are {@linkcode TlsServerOptions}'.
 */
export interface CreateServerOptions extends TlsServerOptions {
  /** The listen backlog (default 100, as asyncio). */
  backlog?: number;
  /** Whether to accept at once (default true). */
  startServing?: boolean;
  /**
   * `AF_INET` or `AF_INET6` to listen on that family only (default
   * `AF_UNSPEC`); where Deno listens, an IPv6 wildcard (`::`) also takes
   * IPv4 (Deno's listeners are dual-stack).
   */
  family?: number;
  /** `AI_*` flags passed to `getaddrinfo` (`AI_PASSIVE` is always added). */
  flags?: number;
  /**
   * `SO_REUSEADDR` on the listening sockets (default true, as Python's on
   * Linux). `false` leaves it off on `SelectorEventLoop` with the epoll
   * selector only; elsewhere Deno always sets it, so `false` throws
   * `NotImplementedError`.
   */
  reuseAddress?: boolean;
  /**
   * `SO_REUSEPORT`. Needs no flag on `SelectorEventLoop` with the epoll
   * selector (without `ssl`); elsewhere it needs Deno's `--unstable-net`
   * (checked before use).
   */
  reusePort?: boolean;
  /**
   * A bound or listening socket object to serve on instead of listening
   * (an `FdSocket` on the epoll selector); `host` and `port` must then be
   * null. The server takes it over: closing the server closes it.
   */
  sock?: Socket | FdSocket | null;
}

/**
 * How a loop opens stream connections and listeners, the seam of
 * `createTcpConnection`, `createTcpServer`, the Unix variants and
 * `staggeredConnect`: Deno's conns and listeners on both loops
 * ({@linkcode denoOpener}), real descriptors on the epoll selector
 * ({@linkcode fdOpener}).
 */
export interface StreamOpener {
  /** Whether the `sock` options (and `connectAcceptedSocket`) take an `FdSocket`. */
  readonly descriptors: boolean;
  /** Whether `connect` binds the local end (`localAddr`): `Deno.connect` cannot. */
  readonly localBind: boolean;
  /**
   * Listens on `address` of `family` (`[host, port]` with `SO_REUSEADDR`
   * unless `reuseAddress: false`, or a Unix path).
   */
  listen(family: number, address: SockAddr, options: ListenOptions): ServerListener;
  /** Serves on a bound (it listens first) or listening socket object (checked). */
  serve(sock: Socket | FdSocket, backlog: number): ServerListener;
  /**
   * Connects to `address` of `family` (`[host, port]`, or a Unix path),
   * bound first to the first of the `local` addresses of that family that
   * binds (only where `localBind`). Aborting `signal` ends the attempt where
   * it can (a connection that completes anyway is the caller's to close); a
   * failed attempt leaves nothing open.
   */
  connect(
    family: number,
    address: SockAddr,
    signal: AbortSignal,
    local?: readonly { family: number; address: SockAddr }[],
  ): Promise<StreamConn>;
  /** `sockname` and `peername` of a connection it made, as Python shows them. */
  names(conn: StreamConn): Record<string, unknown>;
}

/** How a {@linkcode StreamOpener} listens. */
export interface ListenOptions {
  /** The listen backlog (Deno's Unix listen takes none). */
  backlog: number;
  /** `SO_REUSEPORT` (TCP). */
  reusePort: boolean;
  /** `SO_REUSEADDR` (TCP; default true): Deno's listen cannot leave it off. */
  reuseAddress?: boolean;
}

/** Connections over `Deno.connect` (counted by `io` while in flight), listeners over `Deno.listen`. */
export function denoOpener(loop: AbstractEventLoop, io: ProactorIo): StreamOpener {
  return {
    descriptors: false,
    localBind: false,
    listen: (family, address, { backlog, reusePort, reuseAddress }) => {
      if (reuseAddress === false && family !== AF_UNIX) {
        throw new NotImplementedError(
          "Cannot create server with 'reuseAddress: false': Deno always sets SO_REUSEADDR (the epoll selector does not)",
        );
      }
      return denoListener(
        loop,
        io,
        family === AF_UNIX
          ? Deno.listen({ transport: "unix", path: address as string })
          : Deno.listen({
            hostname: address[0],
            port: address[1] as number,
            tcpBacklog: backlog,
            ...(reusePort ? { reusePort: true } : {}),
          }),
      );
    },
    serve: (sock, backlog) => denoListener(loop, io, (sock as Socket)._serverListener(backlog)),
    async connect(family, address, signal) {
      io.begin();
      try {
        // Deno cannot abort a Unix connect: the caller closes it when it arrives.
        return family === AF_UNIX
          ? await Deno.connect({ transport: "unix", path: address as string })
          : await Deno.connect({ hostname: address[0], port: address[1] as number, signal });
      } finally {
        io.end();
      }
    },
    // Also turns Nagle off, as asyncio does.
    names: (conn) => prepareSocket(conn as Deno.Conn),
  };
}

/**
 * Connections over non-blocking `FdSocket` descriptors (the epoll selector):
 * each attempt is the loop's `sockConnect` (settled with `SO_ERROR`), in an
 * eager task that an abort cancels; a failed or aborted attempt closes its
 * descriptor.
 */
export function fdOpener(loop: AbstractEventLoop, io: ProactorIo): StreamOpener {
  const deno = denoOpener(loop, io);
  return {
    descriptors: true,
    localBind: true,
    listen(family, address, { backlog, reusePort, reuseAddress }) {
      const sock = createFdSocket({ family });
      try {
        // As Deno and Python do: a restarted server rebinds a port in TIME_WAIT.
        if (family !== AF_UNIX && reuseAddress !== false) {
          sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
        }
        if (reusePort) sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
        // Python's create_server: an IPv6 listener leaves IPv4 to its own listener.
        if (family === AF_INET6) sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1);
        sock.bind(address);
        sock.listen(backlog);
        return fdListener(loop, sock);
      } catch (err) {
        sock.close();
        throw err;
      }
    },
    serve(sock, backlog) {
      if (!(sock instanceof FdSocket)) return deno.serve(sock, backlog);
      if (sock.state === "bound") sock.listen(backlog);
      if (sock.state !== "listening") {
        throw new TypeError(
          `Cannot serve on socket: socket is ${sock.state}, not bound or listening`,
        );
      }
      return fdListener(loop, sock);
    },
    async connect(family, address, signal, local) {
      const sock = createFdSocket({ family });
      try {
        if (local !== undefined) bindLocal(sock, local);
      } catch (err) {
        sock.close();
        throw err;
      }
      // Eager, so the connect starts now, as Deno.connect does: an abort
      // right after still leaves a connection the peer sees closed.
      const task = loop.createTask(() => loop.sockConnect(sock, address), { eagerStart: true });
      const abort = () => task.cancel();
      signal.addEventListener("abort", abort);
      try {
        await task;
        return sock;
      } catch (err) {
        sock.close();
        throw err;
      } finally {
        signal.removeEventListener("abort", abort);
      }
    },
    names: (conn) => fdSocketNames(conn as FdSocket),
  };
}

// Python's _connect_sock: the first local address of the socket's family
// that binds; else the last bind error, or an error naming the family.
function bindLocal(sock: FdSocket, local: readonly ConnectAddress[]): void {
  let error: unknown = null;
  for (const { family, address } of local) {
    if (family !== sock.family) continue;
    try {
      sock.bind(address);
      return;
    } catch (err) {
      const errno = (err as { errno?: unknown }).errno;
      const where = typeof address === "string"
        ? address
        : `${family === AF_INET6 ? `[${address[0]}]` : address[0]}:${address[1]}`;
      error = typeof errno === "number" ? osError(errno, `bind to local address ${where}`) : err;
    }
  }
  throw error ?? new Error(
    `Cannot bind to local address: no matching local address with family=${
      sock.family === AF_INET6 ? "AF_INET6" : "AF_INET"
    } found`,
  );
}

const KNOWN_CONNECTION_OPTIONS = new Set([
  "extra",
  "family",
  "proto",
  "flags",
  "localAddr",
  "happyEyeballsDelay",
  "interleave",
  "allErrors",
  "sock",
  "ssl",
  "serverHostname",
  "sslHandshakeTimeout",
  "sslShutdownTimeout",
]);
const KNOWN_ACCEPTED_OPTIONS = new Set([
  "extra",
  "ssl",
  "sslHandshakeTimeout",
  "sslShutdownTimeout",
]);
const KNOWN_SERVER_OPTIONS = new Set([
  "backlog",
  "startServing",
  "family",
  "flags",
  "reuseAddress",
  "reusePort",
  "sock",
  "ssl",
  "sslHandshakeTimeout",
  "sslShutdownTimeout",
]);

/** Connects to `host:port` and wraps the connection in a transport with a new protocol. */
export async function createTcpConnection<P extends BaseProtocol>(
  loop: AbstractEventLoop,
  io: ProactorIo,
  make: MakeTransport,
  protocolFactory: () => P,
  host: string | null | undefined,
  port: number | null | undefined,
  options?: CreateConnectionOptions,
  opener: StreamOpener = denoOpener(loop, io),
): Promise<[Transport, P]> {
  checkFactory(protocolFactory, "createConnection");
  checkOptions(options, KNOWN_CONNECTION_OPTIONS, "createConnection");
  const tls = checkClientTls(options, host, "createConnection");
  const sock = options?.sock ?? null;
  if (sock !== null) {
    if (tls !== null) throw tlsOverTransportError("createConnection", "a socket object ('sock')");
    checkSock(sock, "createConnection", false, opener.descriptors, {
      names: "'host'/'port'",
      given: (host ?? null) !== null || (port ?? null) !== null,
    });
    return await wrapSocket(
      loop,
      io,
      make,
      sock,
      protocolFactory,
      "createConnection",
      options?.extra,
    );
  }
  if ((host ?? null) === null && (port ?? null) === null) {
    throw new TypeError("Cannot create connection as neither 'host'/'port' nor 'sock' was given");
  }
  if (typeof host !== "string" || host === "") {
    throw new TypeError(
      `Cannot create connection as 'host' must be a non-empty string: received ${describe(host)}`,
    );
  }
  checkPort(port, "createConnection", false);
  const localAddr = options?.localAddr ?? null;
  if (localAddr !== null) {
    checkLocalAddr(localAddr);
    if (!opener.localBind) {
      throw new NotImplementedError(
        "Cannot create connection with 'localAddr': Deno.connect() has no local bind (the epoll selector binds it)",
      );
    }
    if (tls !== null) {
      throw new NotImplementedError(
        "Cannot create connection with 'localAddr' and 'ssl': Deno's TLS runs over Deno.connect(), which has no local bind",
      );
    }
  }
  const delay = options?.happyEyeballsDelay ?? null;
  if (delay !== null && !(typeof delay === "number" && delay >= 0)) {
    throw new RangeError(
      `Cannot create connection as 'happyEyeballsDelay' must be a non-negative number: received ${
        describe(delay)
      }`,
    );
  }
  const hints = {
    family: options?.family ?? AF_UNSPEC,
    type: SOCK_STREAM,
    proto: options?.proto ?? 0,
    flags: options?.flags ?? 0,
  };
  const infos = await getaddrinfo(host, port, hints);
  // As Python: the local address is resolved with the remote's hints.
  const local = localAddr === null
    ? undefined
    : (await getaddrinfo(localAddr[0], localAddr[1], hints)).map((info) => ({
      family: info[0],
      address: info[4],
    }));
  let addresses: ConnectAddress[] = infos.map((info) => ({
    family: info[0],
    address: info[4],
    local,
  }));
  const interleave = options?.interleave ?? (delay !== null ? 1 : 0);
  if (interleave > 0) addresses = interleaveFamilies(addresses, interleave);
  // Deno's TLS upgrades Deno's own TCP conns: on the epoll selector too.
  if (tls !== null) noteDenoTls(loop, opener.descriptors, `TLS connection to ${host}:${port}`);
  const { conn, errors } = await connected(
    staggeredConnect(loop, tls === null ? opener : denoOpener(loop, io), addresses, delay),
    (result) => result.conn?.close(),
  );
  if (conn === null) throw connectError(errors, options?.allErrors ?? false);
  if (tls !== null) {
    const names = prepareSocket(conn as Deno.TcpConn);
    // Nothing reads the conn yet, as Deno.startTls requires; the handshake runs in the transport.
    const tlsConn = await startClientTls(conn as Deno.TcpConn, tls);
    return await wrapConn(
      loop,
      io,
      tlsConn,
      protocolFactory,
      "createConnection",
      { ...options?.extra, ...names },
      "duplex",
      tlsTransports(loop, io, tls, tls.options.hostname),
    );
  }
  return await wrapConn(
    loop,
    io,
    conn,
    protocolFactory,
    "createConnection",
    {
      ...options?.extra,
      ...opener.names(conn),
    },
    "duplex",
    make,
  );
}

/** Listens on `host:port` (port 0 picks a free port; a list of hosts, one listener per address). */
export async function createTcpServer(
  loop: AbstractEventLoop,
  io: ProactorIo,
  make: MakeTransport,
  protocolFactory: () => BaseProtocol,
  host: string | readonly string[] | null | undefined,
  port: number | null | undefined,
  options?: CreateServerOptions,
  opener: StreamOpener = denoOpener(loop, io),
): Promise<Server> {
  checkFactory(protocolFactory, "createServer");
  checkOptions(options, KNOWN_SERVER_OPTIONS, "createServer");
  const tls = checkServerTls(options, "createServer");
  const sock = options?.sock ?? null;
  if (sock !== null) {
    if (tls !== null) throw tlsOverTransportError("createServer", "a socket object ('sock')");
    checkSock(sock, "createServer", false, opener.descriptors, {
      names: "'host'/'port'",
      given: (host ?? null) !== null || (port ?? null) !== null,
    });
    const listener = opener.serve(sock, options?.backlog ?? 100);
    return await startServer(loop, io, [listener], protocolFactory, "createServer", options, make);
  }
  const hosts = typeof host === "string" || host === null || host === undefined ? [host] : host;
  if (
    !Array.isArray(hosts) ||
    !hosts.every((h) => h === null || h === undefined || typeof h === "string")
  ) {
    throw new TypeError(
      `Cannot create server as 'host' must be a string, a list of strings or null: received ${
        describe(host)
      }`,
    );
  }
  checkPort(port, "createServer", true);
  for (const name of ["reuseAddress", "reusePort"] as const) {
    const value = options?.[name];
    if (value !== undefined && value !== null && typeof value !== "boolean") {
      throw new TypeError(
        `Cannot create server as '${name}' must be a boolean: received ${describe(value)}`,
      );
    }
  }
  const backlog = options?.backlog ?? 100;
  if (!Number.isInteger(backlog) || backlog < 0) {
    throw new RangeError(
      `Cannot create server as 'backlog' must be a non-negative integer: received ${backlog}`,
    );
  }
  const reusePort = options?.reusePort === true;
  // Passing reusePort to Deno without --unstable-net kills the process,
  // uncatchably; listenDatagram exists exactly when that flag is on. A TLS
  // listener is Deno's on every loop.
  if (
    reusePort && (tls !== null || !opener.descriptors) &&
    typeof (Deno as { listenDatagram?: unknown }).listenDatagram !== "function"
  ) {
    throw new NotImplementedError(
      "Cannot create server with 'reusePort': Deno needs the --unstable-net flag for it",
    );
  }
  // One listener per distinct address. A null or "" host is every interface:
  // `0.0.0.0` and `::` (AI_PASSIVE), each its own listener (the IPv6 one
  // IPv6-only), as Python's. Deno's `::` listener is dual-stack and takes the
  // port from `0.0.0.0`, so where Deno listens a null host is `0.0.0.0` alone
  // (or a dual-stack `::` with `family: AF_INET6`).
  const descriptors = tls === null && opener.descriptors;
  const addresses = new Map<string, number>();
  for (const h of hosts) {
    const wildcard = h === null || h === undefined || h === "";
    const infos = await getaddrinfo(wildcard ? null : h, port ?? 0, {
      family: options?.family ?? AF_UNSPEC,
      type: SOCK_STREAM,
      flags: (options?.flags ?? 0) | AI_PASSIVE,
    });
    for (const info of infos) {
      if (wildcard && !descriptors && info[0] === AF_INET6 && infos.length > 1) continue;
      addresses.set(info[4][0], info[0]);
    }
  }
  if (tls !== null && options?.reuseAddress === false) {
    throw new NotImplementedError(
      "Cannot create server with 'reuseAddress: false' and 'ssl': Deno.listenTls() always sets SO_REUSEADDR",
    );
  }
  const listeners: ServerListener[] = [];
  try {
    const skipped: unknown[] = [];
    for (const [hostname, family] of addresses) {
      try {
        listeners.push(
          tls === null
            ? opener.listen(family, [hostname, port ?? 0], {
              backlog,
              reusePort,
              reuseAddress: options?.reuseAddress,
            })
            : denoListener(
              loop,
              io,
              Deno.listenTls({
                hostname,
                port: port ?? 0,
                tcpBacklog: backlog,
                ...(reusePort ? { reusePort: true } : {}),
                ...tls.options,
              }),
            ),
        );
      } catch (err) {
        // An address this host cannot have (no IPv6, say) is skipped, as
        // Python's create_server skips it (bpo-30945).
        if (!addressUnavailable(err)) throw err;
        skipped.push(err);
        if (loop.getDebug()) logger.warn(`createServer(): skipped ${hostname}: ${err}`);
      }
    }
    if (listeners.length === 0) {
      throw new Deno.errors.AddrNotAvailable(
        `Cannot create server: could not bind on any address out of ${
          [...addresses.keys()].join(", ")
        }`,
        { cause: skipped.at(-1) },
      );
    }
  } catch (err) {
    for (const listener of listeners) listener.close();
    throw err;
  }
  if (tls === null) {
    return await startServer(loop, io, listeners, protocolFactory, "createServer", options, make);
  }
  const server = await startServer(
    loop,
    io,
    listeners,
    protocolFactory,
    "createServer",
    options,
    tlsTransports(loop, io, tls, null),
  );
  // Deno's TLS listener, on the epoll selector too.
  noteDenoTls(loop, opener.descriptors, `TLS server ${server}`);
  return server;
}

// A listen that failed because the address cannot exist here: EADDRNOTAVAIL
// from bind, EAFNOSUPPORT from socket() (descriptors carry `errno`; Deno's
// errors are classes and codes).
function addressUnavailable(err: unknown): boolean {
  const { errno, code } = err as { errno?: unknown; code?: unknown };
  return err instanceof Deno.errors.AddrNotAvailable || errno === EADDRNOTAVAIL ||
    errno === EAFNOSUPPORT || code === "EAFNOSUPPORT";
}

/**
 * Checks what `connectAcceptedSocket` takes beside the socket (each loop checks the socket).
 *
 * @throws {TypeError} `protocolFactory` is not a function, an option is not
 *   supported, or a TLS timeout is given without `ssl`.
 * @throws {NotImplementedError} `ssl` is given: Deno's TLS runs over its
 *   own TCP conns only (TLS over any transport lands with the
 *   TLS-over-transport layer).
 */
export function checkAcceptedSocketArgs(
  protocolFactory: unknown,
  options: ConnectAcceptedSocketOptions | undefined,
): void {
  checkFactory(protocolFactory, "connectAcceptedSocket");
  checkOptions(options, KNOWN_ACCEPTED_OPTIONS, "connectAcceptedSocket");
  refuseTls(options, "connectAcceptedSocket", "an accepted socket");
}

/**
 * Wraps an accepted (or otherwise connected) socket object in a transport
 * with a new protocol: the loops' `connectAcceptedSocket()`. The transport
 * takes the socket over; what the socket buffered already is delivered
 * first.
 *
 * @example Serve a socket accepted with sockAccept()
 * ```ts
 * import { ProactorEventLoop } from "@aio/asyncio/loop";
 * import { createSocket, Protocol, type Transport } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const loop = new ProactorEventLoop();
 * const got = await loop.runUntilComplete(async () => {
 *   const server = createSocket();
 *   server.bind(["127.0.0.1", 0]);
 *   server.listen();
 *   const client = createSocket();
 *   const accepting = loop.sockAccept(server);
 *   await loop.sockConnect(client, server.getsockname());
 *   const [conn] = await accepting;
 *   const received = loop.createFuture<string>();
 *   const [transport] = await loop.connectAcceptedSocket(() =>
 *     new (class extends Protocol {
 *       override dataReceived(data: Uint8Array): void {
 *         received.setResult(new TextDecoder().decode(data));
 *       }
 *     })(), conn);
 *   await loop.sockSendall(client, new TextEncoder().encode("hello"));
 *   const text = await received;
 *   (transport as Transport).close();
 *   client.close();
 *   server.close();
 *   return text;
 * });
 * loop.close();
 * assert.equal(got, "hello");
 * ```
 */
export async function connectAcceptedSocket<P extends BaseProtocol>(
  loop: AbstractEventLoop,
  io: ProactorIo,
  make: MakeTransport,
  protocolFactory: () => P,
  sock: unknown,
  options?: ConnectAcceptedSocketOptions,
  descriptors = false,
): Promise<[Transport, P]> {
  checkAcceptedSocketArgs(protocolFactory, options);
  checkSock(sock, "connectAcceptedSocket", false, descriptors);
  return await wrapSocket(
    loop,
    io,
    make,
    sock,
    protocolFactory,
    "connectAcceptedSocket",
    options?.extra,
  );
}

function checkLocalAddr(localAddr: unknown): asserts localAddr is [string, number] {
  if (!Array.isArray(localAddr) || localAddr.length !== 2 || typeof localAddr[0] !== "string") {
    throw new TypeError(
      `Cannot create connection as 'localAddr' must be a [host, port] pair: received ${
        Array.isArray(localAddr) ? JSON.stringify(localAddr) : describe(localAddr)
      }`,
    );
  }
  const port = localAddr[1];
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    const Class = typeof port === "number" ? RangeError : TypeError;
    throw new Class(
      `Cannot create connection as the port of 'localAddr' must be an integer from 0 to 65535: received ${
        describe(port)
      }`,
    );
  }
}

/** Python's `_interleave_addrinfos`: families alternate, the first taking `first` turns. */
export function interleaveFamilies<T extends { family: number }>(items: T[], first: number): T[] {
  const byFamily = new Map<number, T[]>();
  for (const item of items) {
    const list = byFamily.get(item.family);
    if (list === undefined) byFamily.set(item.family, [item]);
    else list.push(item);
  }
  const lists = [...byFamily.values()];
  const result: T[] = lists[0].splice(0, first - 1);
  while (lists.some((l) => l.length > 0)) {
    for (const list of lists) if (list.length > 0) result.push(list.shift()!);
  }
  return result;
}

/** One address to connect to: an `AddrInfo`'s family and address. */
export interface ConnectAddress {
  /** `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  family: number;
  /** `[host, port]`, or a Unix path. */
  address: SockAddr;
  /** The local addresses to bind to first (`localAddr`), those of another family skipped. */
  local?: readonly ConnectAddress[];
}

/**
 * Connects to each address in order, one at a time when `delay` is null;
 * otherwise the next attempt also starts when `delay` seconds pass. The
 * first conn wins; the attempts still running are aborted and a conn that
 * completes after the winner is closed. Cancelling the returned future
 * aborts every attempt (a conn that completes anyway is closed), so a
 * cancelled `createConnection` leaves no connection behind.
 */
export function staggeredConnect(
  loop: AbstractEventLoop,
  opener: StreamOpener,
  addresses: ConnectAddress[],
  delay: number | null,
): Future<{ conn: StreamConn | null; errors: unknown[] }> {
  const fut = loop.createFuture<{ conn: StreamConn | null; errors: unknown[] }>();
  const errors: unknown[] = [];
  const controllers = new Set<AbortController>();
  let next = 0;
  let running = 0;
  let settled = false;
  let timer: TimerHandle | null = null;
  const stop = () => {
    settled = true;
    timer?.cancel();
    for (const controller of controllers) controller.abort();
  };
  const finish = (conn: StreamConn | null) => {
    stop();
    fut.setResult({ conn, errors });
  };
  fut.addDoneCallback(() => {
    if (fut.cancelled()) stop();
  });
  const startNext = () => {
    timer?.cancel();
    timer = null;
    if (settled) return;
    if (next >= addresses.length) {
      if (running === 0) finish(null);
      return;
    }
    const { family, address, local } = addresses[next++];
    const controller = new AbortController();
    controllers.add(controller);
    running++;
    opener.connect(family, address, controller.signal, local).then(
      (conn) => {
        running--;
        controllers.delete(controller);
        if (settled || fut.done() || loop.isClosed()) conn.close();
        else finish(conn);
      },
      (err) => {
        running--;
        controllers.delete(controller);
        if (settled || fut.done() || loop.isClosed()) return;
        errors.push(err);
        startNext();
      },
    );
    if (delay !== null && next < addresses.length) timer = loop.callLater(delay, startNext);
  };
  startNext();
  return fut;
}

/**
 * Python's error when no attempt connected: an `ExceptionGroup` with
 * `allErrors`, else the one error (the first if all say the same), else
 * `Error("Multiple exceptions: ...")`.
 */
export function connectError(errors: unknown[], allErrors: boolean): unknown {
  if (allErrors) return new ExceptionGroup("createConnection failed", errors);
  if (errors.length === 1) return errors[0];
  const messages = errors.map((e) => String((e as Error)?.message ?? e));
  if (messages.every((m) => m === messages[0])) return errors[0];
  // Python raises OSError("Multiple exceptions: ..."); the errors stay in `cause`.
  return new Error(`Multiple exceptions: ${messages.join(", ")}`, { cause: errors });
}
