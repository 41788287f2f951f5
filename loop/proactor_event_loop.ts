/**
 * `ProactorEventLoop`: asyncio's completion-based loop.
 *
 * @module
 */
import { BaseEventLoop, type BaseEventLoopOptions } from "./base_event_loop.ts";
import { debugFromEnvironment } from "./_debug_env.ts";
import { ProactorIoDriver } from "./proactor_io_driver.ts";
import type { BaseProtocol } from "../transports/base_protocol.ts";
import type { Server } from "../transports/server.ts";
import type { Transport } from "../transports/transport.ts";
import {
  type CreateConnectionOptions,
  type CreateServerOptions,
  createTcpConnection,
  createTcpServer,
} from "../transports/tcp.ts";

/**
 * The completion-based event loop. Equivalent to Python's
 * `asyncio.ProactorEventLoop` (Windows-only in CPython; here on every
 * platform, because Deno's own I/O is completion-based).
 *
 * Each transport keeps one read in flight and hands completions to the
 * protocol through the loop (`docs/architecture.md`, "Transports"). TCP
 * works (`createConnection`, `createServer`); the other I/O methods (Unix
 * sockets, pipes, `sock*`, name resolution) still throw
 * `NotImplementedError` naming issue 5. Debug mode starts on when
 * `ASYNCIO_DEBUG=1` is set and env access is granted.
 *
 * @example
 * ```ts
 * import { ProactorEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = new ProactorEventLoop();
 * const value = await loop.runUntilComplete(Promise.resolve("done"));
 * loop.close();
 * assert.equal(value, "done");
 * ```
 */
export class ProactorEventLoop extends BaseEventLoop {
  readonly #io: ProactorIoDriver;

  /** Creates the loop with its own I/O driver (an `ioDriver` option is ignored). */
  constructor(options?: BaseEventLoopOptions) {
    const io = new ProactorIoDriver();
    super({ ...options, ioDriver: io, debug: options?.debug ?? debugFromEnvironment() });
    this.#io = io;
  }

  /**
   * Opens a TCP connection to `host:port` and returns its transport and the
   * protocol `protocolFactory` made, once `connectionMade` ran. Equivalent
   * to `loop.create_connection()`; `host` goes to `Deno.connect` as given.
   *
   * @throws {TypeError} `protocolFactory` is not a function or returns no
   *   protocol, `host` is not a string, or an option is not supported yet.
   * @throws {RangeError} `port` is not an integer from 0 to 65535.
   */
  override createConnection<P extends BaseProtocol>(
    protocolFactory: () => P,
    host?: string | null,
    port?: number | null,
    options?: CreateConnectionOptions,
  ): Promise<[Transport, P]> {
    return createTcpConnection(this, this.#io, protocolFactory, host, port, options);
  }

  /**
   * Listens on `host:port` (`port: 0` picks a free port; a null host means
   * every interface) and returns the {@linkcode Server}, accepting at once
   * unless `startServing: false`. Equivalent to `loop.create_server()`.
   *
   * @throws {TypeError} `protocolFactory` is not a function, or an option is
   *   not supported yet.
   * @throws {RangeError} `port` is out of range.
   */
  override createServer(
    protocolFactory: () => BaseProtocol,
    host?: string | null,
    port?: number | null,
    options?: CreateServerOptions,
  ): Promise<Server> {
    return createTcpServer(this, this.#io, protocolFactory, host, port, options);
  }
}
