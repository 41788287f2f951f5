/**
 * Transports and protocols: asyncio's callback layer for I/O. Equivalent to
 * Python's `asyncio.transports`, `asyncio.protocols` and `asyncio.Server`.
 *
 * A protocol is a set of callbacks; the loop makes a transport for each
 * connection and calls the protocol from its own iterations:
 * `connectionMade`, `dataReceived`*, `eofReceived`, `connectionLost`.
 * `ProactorEventLoop` makes TCP and Unix socket transports
 * (`createConnection`, `createServer`, `createUnixConnection`,
 * `createUnixServer`), pipe transports (`connectReadPipe`,
 * `connectWritePipe`) and resolves names (`getaddrinfo`, `getnameinfo`);
 * `SelectorEventLoop` makes the same over its selector (on real descriptors
 * with the epoll selector), and has `addReader`/`addWriter`; UDP lands
 * later.
 *
 * ```ts
 * import { Protocol, type BaseTransport, type Transport } from "@aio/asyncio/transports";
 *
 * class Echo extends Protocol {
 *   #transport: Transport | null = null;
 *   override connectionMade(transport: BaseTransport): void {
 *     this.#transport = transport as Transport;
 *   }
 *   override dataReceived(data: Uint8Array): void {
 *     this.#transport!.write(data);
 *   }
 * }
 * new Echo();
 * ```
 *
 * @module
 */
export type { BaseTransport } from "./base_transport.ts";
export type { ReadTransport } from "./read_transport.ts";
export type { WriteBufferLimits, WriteTransport } from "./write_transport.ts";
export type { Transport } from "./transport.ts";
export type { DatagramTransport } from "./datagram_transport.ts";
export type { SubprocessTransport } from "./subprocess_transport.ts";
export { BaseProtocol } from "./base_protocol.ts";
export { Protocol } from "./protocol.ts";
export { BufferedProtocol } from "./buffered_protocol.ts";
export { DatagramProtocol } from "./datagram_protocol.ts";
export { SubprocessProtocol } from "./subprocess_protocol.ts";
export type { Closable, ProactorIo } from "./proactor_io.ts";
export type {
  MakeTransport,
  MakeTransportOptions,
  ServerLink,
  StreamConn,
  StreamMode,
} from "./stream_transport.ts";
export {
  type ListenerEvents,
  Server,
  type ServerInit,
  type ServerListener,
  TransportSocket,
} from "./server.ts";
export type {
  ConnectAcceptedSocketOptions,
  CreateConnectionOptions,
  CreateServerOptions,
  ListenOptions,
  StreamOpener,
} from "./tcp.ts";
export type { SendfileOptions, SendfileSource } from "./sendfile.ts";
export type { CreateUnixConnectionOptions, CreateUnixServerOptions } from "./unix.ts";
export type { ReadablePipe, WritablePipe } from "./pipes.ts";
export {
  type AddrInfo,
  GaiError,
  getaddrinfo,
  type GetaddrinfoOptions,
  getnameinfo,
} from "./name_resolution.ts";
export {
  DenoSelector,
  EVENT_READ,
  EVENT_WRITE,
  type Selector,
  type SelectorKey,
} from "./selector.ts";
export {
  createSocket,
  type CreateSocketOptions,
  Socket,
  type SocketAddress,
  type SocketState,
} from "./socket.ts";
export * from "./socket_constants.ts";
export { type EpollSelectable, EpollSelector } from "./epoll_selector.ts";
export {
  createFdSocket,
  type CreateFdSocketOptions,
  FdSocket,
  type SockAddr,
} from "./fd_socket.ts";
export { ffiUnavailableReason } from "./ffi.ts";
export {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  type CertChainPem,
  type ClientTlsOptions,
  createDefaultContext,
  type CreateDefaultContextOptions,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
  type ServerTlsOptions,
  SSLCertVerificationError,
  SSLContext,
  SSLError,
  SSLObject,
} from "./ssl_context.ts";
export type { TlsConnectionOptions, TlsServerOptions } from "./tls.ts";
