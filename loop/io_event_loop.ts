/**
 * `IoEventLoop`: the I/O methods the two concrete loops share.
 *
 * @module
 */
import type { AbstractEventLoop } from "./abstract_event_loop.ts";
import { BaseEventLoop, type BaseEventLoopOptions } from "./base_event_loop.ts";
import { debugFromEnvironment } from "./_debug_env.ts";
import type { IoDriver } from "./io_driver.ts";
import type { BaseProtocol } from "../transports/base_protocol.ts";
import {
  type AddrInfo,
  getaddrinfo,
  type GetaddrinfoOptions,
  getnameinfo,
} from "../transports/name_resolution.ts";
import {
  connectReadPipe,
  connectWritePipe,
  type ReadablePipe,
  type WritablePipe,
} from "../transports/pipes.ts";
import type { ProactorIo } from "../transports/proactor_io.ts";
import type { ReadTransport } from "../transports/read_transport.ts";
import type { Server } from "../transports/server.ts";
import { sendfile, type SendfileOptions, sockSendfile } from "../transports/sendfile.ts";
import type { MakeTransport } from "../transports/stream_transport.ts";
import type { Transport } from "../transports/transport.ts";
import {
  connectAcceptedSocket,
  type ConnectAcceptedSocketOptions,
  type CreateConnectionOptions,
  type CreateServerOptions,
  createTcpConnection,
  createTcpServer,
  denoOpener,
  type StreamOpener,
} from "../transports/tcp.ts";
import {
  createUnixConnection,
  type CreateUnixConnectionOptions,
  createUnixServer,
  type CreateUnixServerOptions,
} from "../transports/unix.ts";
import type { WriteTransport } from "../transports/write_transport.ts";

/** Makes the transports of a loop: the proactor's stream transports, or the selector's. */
export type TransportsFor = (loop: AbstractEventLoop, io: ProactorIo) => MakeTransport;

/** Makes how a loop opens stream connections: Deno's conns, or descriptors (epoll). */
export type OpenerFor = (loop: AbstractEventLoop, io: ProactorIo) => StreamOpener;

/**
 * The I/O methods `SelectorEventLoop` and `ProactorEventLoop` share: name
 * resolution, TCP and Unix connections and servers, pipes and `sendfile`.
 * The two loops differ only in their I/O driver and in the transport they
 * build (`transports`); the connect, listen and accept logic exists once
 * (`transports/tcp.ts`, `unix.ts`, `pipes.ts`). Python's counterparts are
 * `BaseSelectorEventLoop` and `BaseProactorEventLoop`. Debug mode starts on
 * when `ASYNCIO_DEBUG=1` is set and env access is granted.
 *
 * @example
 * ```ts
 * import { IoEventLoop, newEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = newEventLoop();
 * assert.ok(loop instanceof IoEventLoop);
 * loop.close();
 * ```
 */
export abstract class IoEventLoop extends BaseEventLoop {
  readonly #io: ProactorIo;
  readonly #make: MakeTransport;
  readonly #opener: StreamOpener;

  /**
   * Creates the loop on `io` (an `ioDriver` option is ignored), building its
   * transports with `transports` and opening connections with `opener`
   * (default: Deno's conns).
   */
  protected constructor(
    options: BaseEventLoopOptions | undefined,
    io: IoDriver & ProactorIo,
    transports: TransportsFor,
    opener: OpenerFor = denoOpener,
  ) {
    super({ ...options, ioDriver: io, debug: options?.debug ?? debugFromEnvironment() });
    this.#io = io;
    this.#make = transports(this, io);
    this.#opener = opener(this, io);
  }

  /**
   * Resolves `host` and `port` into `[family, type, proto, canonname,
   * [host, port]]` tuples. Equivalent to `loop.getaddrinfo()`; a numeric
   * host is not looked up, others go to `node:dns/promises` `lookup`.
   *
   * @throws {GaiError} The host does not resolve or the port is not numeric.
   */
  override getaddrinfo(
    host?: string | null,
    port?: string | number | null,
    options?: GetaddrinfoOptions,
  ): Promise<AddrInfo[]> {
    return getaddrinfo(host, port, options);
  }

  /**
   * Resolves `[host, port]` into `[host, service]`. Equivalent to
   * `loop.getnameinfo()`; `NI_NUMERICHOST | NI_NUMERICSERV` skips the lookup.
   *
   * @throws {GaiError} The host is not numeric or the lookup fails.
   */
  override getnameinfo(
    sockaddr?: [string, number],
    flags?: number,
  ): Promise<[string, string]> {
    return getnameinfo(sockaddr as [string, number], flags);
  }

  /**
   * Opens a TCP connection to `host:port` and returns its transport and the
   * protocol `protocolFactory` made, once `connectionMade` ran. Equivalent
   * to `loop.create_connection()`: every address `getaddrinfo` returns is
   * tried in order (staggered with `happyEyeballsDelay`); `allErrors`
   * rejects with an `ExceptionGroup` of every attempt's error. With the
   * `sock` option (a connected socket object) nothing is connected: the
   * transport takes the socket over. `localAddr` binds the local end first
   * (`SelectorEventLoop` on the epoll selector only).
   *
   * With `ssl` (an `SSLContext`, or `true` for `createDefaultContext()`)
   * the TCP connection is upgraded with Deno's own TLS (`Deno.startTls`,
   * verifying `serverHostname`, which defaults to `host`), on every loop
   * (on the epoll selector too, where it is a Deno conn, not a
   * descriptor); the handshake completes before `connectionMade`, within
   * `sslHandshakeTimeout` seconds (default 60). See `transports/tls.ts`.
   *
   * @throws {TypeError} `protocolFactory` is not a function or returns no
   *   protocol, `host` is not a string, `localAddr` is not a `[host, port]`
   *   pair, `sock` is given with `host`/`port` or with neither, an option is
   *   not supported, or a TLS option is given without `ssl` or does not fit.
   * @throws {RangeError} `port` (or the port of `localAddr`) is not an
   *   integer from 0 to 65535, or a TLS timeout is not a positive number.
   * @throws {NotImplementedError} `localAddr` is given on a loop that
   *   connects through Deno (`Deno.connect` cannot bind a connecting
   *   socket; the epoll selector's descriptors can) or with `ssl` (Deno's
   *   TLS connects through `Deno.connect`), `ssl` with `sock`, or an
   *   `SSLContext` asking what Deno's TLS client cannot do
   *   (`verifyMode = CERT_NONE`, a client certificate).
   * @throws {GaiError} The host does not resolve.
   * @throws {SSLError} The handshake fails (`SSLCertVerificationError` for
   *   the server's certificate).
   * @throws {Deno.errors.ConnectionAborted} The handshake took longer than
   *   `sslHandshakeTimeout`.
   */
  override createConnection<P extends BaseProtocol>(
    protocolFactory: () => P,
    host?: string | null,
    port?: number | null,
    options?: CreateConnectionOptions,
  ): Promise<[Transport, P]> {
    return createTcpConnection(
      this,
      this.#io,
      this.#make,
      protocolFactory,
      host,
      port,
      options,
      this.#opener,
    );
  }

  /**
   * Listens on `host:port` (`port: 0` picks a free port; a null host means
   * every interface: `0.0.0.0` and `::` on the epoll selector without
   * `ssl`, `0.0.0.0` where Deno listens; a list of hosts, or a name with
   * several addresses, gives one listener per address, skipping an address
   * the host cannot have, such as IPv6 where it has none) and returns the {@linkcode Server},
   * accepting at once unless `startServing: false`. Equivalent to
   * `loop.create_server()`. With the `sock` option (a bound or listening
   * socket object) the server serves on that socket and closes it on close.
   *
   * With `ssl` (a server `SSLContext` with a certificate chain) each
   * listener is `Deno.listenTls` and each client's handshake completes
   * before its `connectionMade`; a client whose handshake fails or takes
   * longer than `sslHandshakeTimeout` is closed (reported to the exception
   * handler in debug mode, as asyncio) and serving goes on.
   *
   * @throws {TypeError} `protocolFactory` is not a function, `sock` is given
   *   with `host`/`port` or is not bound, an option is not supported, or
   *   `ssl` is not a server `SSLContext` with a certificate chain.
   * @throws {RangeError} `port` is out of range, or a TLS timeout is not a
   *   positive number.
   * @throws {NotImplementedError} `reuseAddress: false` on a loop that
   *   listens through Deno or with `ssl` (Deno always sets `SO_REUSEADDR`;
   *   the epoll selector's descriptors leave it off), `reusePort` without
   *   Deno's `--unstable-net` (except on the epoll selector without `ssl`),
   *   `ssl` with `sock`, or a context that asks for
   *   client certificates.
   * @throws {Deno.errors.AddrNotAvailable} No address could be bound
   *   ("could not bind on any address out of …").
   */
  override createServer(
    protocolFactory: () => BaseProtocol,
    host?: string | readonly string[] | null,
    port?: number | null,
    options?: CreateServerOptions,
  ): Promise<Server> {
    return createTcpServer(
      this,
      this.#io,
      this.#make,
      protocolFactory,
      host,
      port,
      options,
      this.#opener,
    );
  }

  /**
   * Connects to the Unix socket at `path` (or takes over the connected
   * `AF_UNIX` socket object of the `sock` option). Equivalent to
   * `loop.create_unix_connection()`.
   *
   * @throws {TypeError} `protocolFactory` is not a function, `path` is not
   *   a non-empty string, or `sock` is given with `path` or is not a
   *   connected `AF_UNIX` socket.
   */
  override createUnixConnection<P extends BaseProtocol>(
    protocolFactory: () => P,
    path?: string | null,
    options?: CreateUnixConnectionOptions,
  ): Promise<[Transport, P]> {
    return createUnixConnection(
      this,
      this.#io,
      protocolFactory,
      path,
      options,
      this.#make,
      this.#opener,
    );
  }

  /**
   * Listens on the Unix socket `path`. Equivalent to
   * `loop.create_unix_server()`: a stale socket file at `path` is unlinked
   * first (only a socket), and the path is unlinked when the server closes.
   * The `sock` option serves on a bound or listening `AF_UNIX` socket
   * object instead.
   *
   * @throws {TypeError} `protocolFactory` is not a function, `path` is not
   *   a non-empty string, or `sock` is given with `path` or is not an
   *   `AF_UNIX` socket.
   */
  override createUnixServer(
    protocolFactory: () => BaseProtocol,
    path?: string | null,
    options?: CreateUnixServerOptions,
  ): Promise<Server> {
    return createUnixServer(
      this,
      this.#io,
      protocolFactory,
      path,
      options,
      this.#make,
      this.#opener,
    );
  }

  /**
   * Wraps a connected socket object (from `sockAccept()`, or `sockConnect()`)
   * in a transport with a new protocol and returns both once
   * `connectionMade` ran. Equivalent to `loop.connect_accepted_socket()`.
   * The transport takes the socket over (closing it closes the socket);
   * data the socket already read is delivered first (an example is in
   * `transports/tcp.ts`).
   *
   * @throws {TypeError} `protocolFactory` is not a function or returns no
   *   protocol, or `sock` is not a connected stream socket object.
   */
  override connectAcceptedSocket<P extends BaseProtocol>(
    protocolFactory: () => P,
    sock: unknown,
    options?: ConnectAcceptedSocketOptions,
  ): Promise<[Transport, P]> {
    return connectAcceptedSocket(
      this,
      this.#io,
      this.#make,
      protocolFactory,
      sock,
      options,
      this.#opener.descriptors,
    );
  }

  /**
   * Wraps a readable pipe end (`Deno.stdin`, a FIFO opened with `Deno.open`)
   * in a read transport. Equivalent to `loop.connect_read_pipe()`.
   *
   * @throws {TypeError} `pipe` has no `read()` and `close()`.
   */
  override connectReadPipe<P extends BaseProtocol>(
    protocolFactory: () => P,
    pipe: ReadablePipe,
  ): Promise<[ReadTransport, P]> {
    return connectReadPipe(this, this.#io, protocolFactory, pipe, this.#make);
  }

  /**
   * Wraps a writable pipe end (`Deno.stdout`, a FIFO opened for writing) in
   * a write transport with flow control. Equivalent to
   * `loop.connect_write_pipe()`.
   *
   * @throws {TypeError} `pipe` has no `write()` and `close()`.
   */
  override connectWritePipe<P extends BaseProtocol>(
    protocolFactory: () => P,
    pipe: WritablePipe,
  ): Promise<[WriteTransport, P]> {
    return connectWritePipe(this, this.#io, protocolFactory, pipe, this.#make);
  }

  /**
   * Sends `count` bytes of `file` (a `Deno.FsFile`) from `offset` over a
   * stream transport with its flow control; returns the bytes sent.
   * Equivalent to `loop.sendfile()`: Deno has no zero-copy path, so this is
   * asyncio's chunked fallback (`transports/sendfile.ts`).
   *
   * @throws {SendfileNotAvailableError} `fallback: false`.
   * @throws {RuntimeError} The transport is closing or not a stream transport.
   */
  override sendfile(
    transport?: unknown,
    file?: unknown,
    offset?: number,
    count?: number | null,
    options?: SendfileOptions,
  ): Promise<number> {
    return sendfile(this, transport, file, offset, count, options);
  }

  /**
   * Sends `count` bytes of `file` from `offset` over a socket object with
   * `sockSendall`, block by block. Equivalent to `loop.sock_sendfile()`'s
   * fallback (Deno has no zero-copy path).
   *
   * @throws {SendfileNotAvailableError} `fallback: false`.
   */
  override sockSendfile(
    sock?: unknown,
    file?: unknown,
    offset?: number,
    count?: number | null,
    options?: SendfileOptions,
  ): Promise<number> {
    return sockSendfile(sock, file, offset, count, options, (b) => this.sockSendall(sock, b));
  }
}
