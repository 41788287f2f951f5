/**
 * TLS for `createConnection` and `createServer`, on Deno's own TLS
 * (rustls): a client connects over TCP as usual, then `Deno.startTls`
 * upgrades the conn with the server name; a server listens with
 * `Deno.listenTls`. Either way the TLS conn is wrapped in the
 * {@linkcode ProactorStreamTransport} on every loop (its I/O driver
 * interface, `ProactorIo`, is what both loops' drivers implement), which
 * runs the handshake before `connectionMade`, bounded by
 * `sslHandshakeTimeout`, and sends TLS's close_notify before it closes,
 * bounded by `sslShutdownTimeout`.
 *
 * The epoll selector has no descriptor for Deno's TLS: a TLS request there
 * uses Deno's TLS conn (and says so in debug mode) until the
 * TLS-over-transport layer exists. For the same reason TLS runs over
 * Deno's own TCP conns only: not over a Unix socket, a `sock` option or
 * `connectAcceptedSocket`.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { NotImplementedError } from "../loop/exceptions.ts";
import { logger } from "../loop/logger.ts";
import { action, describe } from "./_create.ts";
import { watchUnclosed } from "./_unclosed.ts";
import type { ProactorIo } from "./proactor_io.ts";
import {
  type ClientTlsOptions,
  createDefaultContext,
  type ServerTlsOptions,
  SSLCertVerificationError,
  SSLContext,
  SSLError,
  SSLObject,
} from "./ssl_context.ts";
import {
  type MakeTransport,
  ProactorStreamTransport,
  type TlsHandshake,
} from "./stream_transport.ts";

/** asyncio's `SSL_HANDSHAKE_TIMEOUT`, in seconds. */
export const SSL_HANDSHAKE_TIMEOUT = 60;
/** asyncio's `SSL_SHUTDOWN_TIMEOUT`, in seconds. */
export const SSL_SHUTDOWN_TIMEOUT = 30;

/** The TLS options of `createConnection`. */
export interface TlsConnectionOptions {
  /** `true` (a default client context), an `SSLContext`, or nothing for plain TCP. */
  ssl?: SSLContext | boolean | null;
  /** The name to verify and send as SNI (default: `host`); only with `ssl`. */
  serverHostname?: string | null;
  /** Seconds the handshake may take (default 60); only with `ssl`. */
  sslHandshakeTimeout?: number | null;
  /** Seconds the TLS shutdown may take on close (default 30); only with `ssl`. */
  sslShutdownTimeout?: number | null;
}

/** The TLS options of `createServer`. */
export interface TlsServerOptions {
  /** A server `SSLContext`, or nothing for plain TCP. */
  ssl?: SSLContext | null;
  /** Seconds a client's handshake may take (default 60); only with `ssl`. */
  sslHandshakeTimeout?: number | null;
  /** Seconds the TLS shutdown may take on close (default 30); only with `ssl`. */
  sslShutdownTimeout?: number | null;
}

/** A checked TLS request of a client. */
export interface ClientTls {
  /** The context it came from. */
  context: SSLContext;
  /** What `Deno.startTls` receives. */
  options: ClientTlsOptions;
  /** Seconds. */
  handshakeTimeout: number;
  /** Seconds. */
  shutdownTimeout: number;
}

/** A checked TLS request of a server. */
export interface ServerTls {
  /** The context it came from. */
  context: SSLContext;
  /** What `Deno.listenTls` receives beside the address. */
  options: ServerTlsOptions;
  /** Seconds. */
  handshakeTimeout: number;
  /** Seconds. */
  shutdownTimeout: number;
}

/**
 * Checks the TLS options of a client `method` (Python's checks of
 * `create_connection`): null when `ssl` is not asked for.
 *
 * @throws {TypeError} `ssl` is not a boolean or an `SSLContext`,
 *   `serverHostname` or a timeout is given without `ssl`, or neither
 *   `serverHostname` nor `host` names the server.
 * @throws {RangeError} A timeout is not a positive number.
 * @throws {NotImplementedError} The context asks for what Deno's TLS client cannot do.
 */
export function checkClientTls(
  options: TlsConnectionOptions | undefined,
  host: string | null | undefined,
  method: string,
): ClientTls | null {
  const ssl = options?.ssl ?? null;
  if (ssl !== null && typeof ssl !== "boolean" && !(ssl instanceof SSLContext)) {
    throw new TypeError(
      `Cannot ${action(method)} as 'ssl' must be a boolean or an SSLContext: received ${
        describe(ssl)
      }`,
    );
  }
  const serverHostname = options?.serverHostname ?? null;
  if (ssl === null || ssl === false) {
    onlyWithSsl(options, ["serverHostname", "sslHandshakeTimeout", "sslShutdownTimeout"], method);
    return null;
  }
  if (serverHostname !== null && (typeof serverHostname !== "string" || serverHostname === "")) {
    throw new TypeError(
      `Cannot ${action(method)} as 'serverHostname' must be a non-empty string: received ${
        describe(serverHostname)
      }`,
    );
  }
  const name = serverHostname ?? (host || null);
  if (name === null) {
    throw new TypeError(
      `Cannot ${action(method)} with 'ssl' as 'serverHostname' must be given when 'host' is not`,
    );
  }
  const context = ssl === true ? createDefaultContext() : ssl;
  return {
    context,
    options: context._clientOptions(name),
    ...timeouts(options, method),
  };
}

// The handshake and shutdown timeouts (seconds), checked, with asyncio's defaults.
function timeouts(
  options: TlsServerOptions | TlsConnectionOptions | undefined,
  method: string,
): { handshakeTimeout: number; shutdownTimeout: number } {
  return {
    handshakeTimeout: timeout(
      options?.sslHandshakeTimeout,
      SSL_HANDSHAKE_TIMEOUT,
      "sslHandshakeTimeout",
      method,
    ),
    shutdownTimeout: timeout(
      options?.sslShutdownTimeout,
      SSL_SHUTDOWN_TIMEOUT,
      "sslShutdownTimeout",
      method,
    ),
  };
}

/**
 * Checks the TLS options of a server `method`: null when `ssl` is not
 * asked for.
 *
 * @throws {TypeError} `ssl` is not an `SSLContext` (a boolean neither, as
 *   Python), is a client context or has no certificate chain, or a timeout is
 *   given without `ssl`.
 * @throws {RangeError} A timeout is not a positive number.
 * @throws {NotImplementedError} The context asks for client certificates.
 */
export function checkServerTls(
  options: TlsServerOptions | undefined,
  method: string,
): ServerTls | null {
  const ssl = options?.ssl ?? null;
  if (ssl === null) {
    onlyWithSsl(options, ["sslHandshakeTimeout", "sslShutdownTimeout"], method);
    return null;
  }
  if (!(ssl instanceof SSLContext)) {
    throw new TypeError(
      `Cannot ${action(method)} as 'ssl' must be an SSLContext: received ${describe(ssl)}`,
    );
  }
  return {
    context: ssl,
    options: ssl._serverOptions(),
    ...timeouts(options, method),
  };
}

/**
 * The error of a method given `ssl` where Deno's TLS cannot run: over a
 * Unix socket, a socket object (`sock`), or `connectAcceptedSocket`.
 */
export function tlsOverTransportError(method: string, over: string): NotImplementedError {
  return new NotImplementedError(
    `Cannot ${
      action(method)
    } with 'ssl' over ${over}: Deno's TLS runs over its own TCP conns only; TLS over any transport lands with the TLS-over-transport layer`,
  );
}

/**
 * Refuses `ssl` where Deno's TLS cannot run (`over` says where), and the
 * TLS timeouts without it.
 *
 * @throws {NotImplementedError} `ssl` is given.
 * @throws {TypeError} A TLS option is given without `ssl`.
 */
export function refuseTls(
  options: { ssl?: unknown } | undefined,
  method: string,
  over: string,
): void {
  const ssl = options?.ssl ?? null;
  if (ssl !== null && ssl !== false) throw tlsOverTransportError(method, over);
  onlyWithSsl(options, ["serverHostname", "sslHandshakeTimeout", "sslShutdownTimeout"], method);
}

/**
 * Says once, in debug mode, that a TLS request on a loop whose connections
 * are descriptors (the epoll selector) uses Deno's TLS conn instead.
 */
export function noteDenoTls(loop: AbstractEventLoop, descriptors: boolean, what: string): void {
  if (!descriptors || !loop.getDebug()) return;
  logger.debug(
    `${loop} ${what} uses Deno's own TLS connection, not a descriptor on the epoll selector: the TLS-over-transport layer does not exist yet`,
  );
}

/**
 * Upgrades the client TCP `conn` (no read pending) with `Deno.startTls`;
 * closes it if the upgrade cannot start. The handshake runs in the transport.
 */
export async function startClientTls(conn: Deno.TcpConn, tls: ClientTls): Promise<Deno.TlsConn> {
  try {
    return await Deno.startTls(conn, tls.options);
  } catch (err) {
    try {
      conn.close();
    } catch {
      // Consumed by startTls already.
    }
    throw err;
  }
}

/**
 * The transports of TLS conns, on any loop: a `ProactorStreamTransport`
 * that runs the handshake first, with `"sslcontext"`, `"ssl_object"` and
 * `"peercert"` (null: Deno does not show it) in its extra information.
 * The project's socket object (`"socket"`) is not given: Deno shows no
 * socket under its TLS conn, and one over the TLS conn would read the
 * transport's data behind its back.
 */
export function tlsTransports(
  loop: AbstractEventLoop,
  io: ProactorIo,
  tls: ClientTls | ServerTls,
  serverHostname: string | null,
): MakeTransport {
  const serverSide = serverHostname === null;
  return (conn, protocol, options) => {
    const sslObject = new SSLObject({ serverSide, serverHostname });
    const tlsConn = conn as Deno.TlsConn;
    const handshake: TlsHandshake = {
      async run() {
        try {
          const info = await tlsConn.handshake();
          sslObject._handshakeDone(info.alpnProtocol);
        } catch (err) {
          throw sslError(err);
        }
      },
      handshakeTimeout: tls.handshakeTimeout,
      shutdownTimeout: tls.shutdownTimeout,
    };
    const transport = new ProactorStreamTransport(loop, io, conn, protocol, {
      ...options,
      extra: {
        ...options.extra,
        sslcontext: tls.context,
        ssl_object: sslObject,
        peercert: null,
      },
      tls: handshake,
    });
    watchUnclosed(transport, `transport ${transport}`, loop, io, [conn]);
    return transport;
  };
}

// Deno's handshake errors are InvalidData with rustls' text: the peer's
// certificate ("invalid peer certificate: ...") or any other TLS failure.
function sslError(err: unknown): unknown {
  if (!(err instanceof Deno.errors.InvalidData)) return err;
  const message = err.message;
  return message.startsWith("invalid peer certificate")
    ? new SSLCertVerificationError(`certificate verify failed: ${message}`, { cause: err })
    : new SSLError(message, { cause: err });
}

function onlyWithSsl(options: object | undefined, names: string[], method: string): void {
  for (const name of names) {
    const value = (options as Record<string, unknown> | undefined)?.[name];
    if (value !== undefined && value !== null) {
      throw new TypeError(`Cannot ${action(method)} as '${name}' is only meaningful with 'ssl'`);
    }
  }
}

function timeout(value: unknown, fallback: number, name: string, method: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot ${action(method)} as '${name}' must be a positive number of seconds: received ${
        describe(value)
      }`,
    );
  }
  if (!(value > 0 && Number.isFinite(value))) {
    throw new RangeError(
      `Cannot ${
        action(method)
      } as '${name}' must be a positive number of seconds: received ${value}`,
    );
  }
  return value;
}
