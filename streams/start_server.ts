/**
 * {@linkcode startServer} and {@linkcode startUnixServer}: stream servers.
 * Equivalent to Python's `asyncio.start_server()` and
 * `asyncio.start_unix_server()`.
 *
 * @module
 */
import { getRunningLoop } from "../loop/current.ts";
import type { Server } from "../transports/server.ts";
import type { CreateServerOptions } from "../transports/tcp.ts";
import type { CreateUnixServerOptions } from "../transports/unix.ts";
import { StreamReader } from "./stream_reader.ts";
import { type ClientConnectedCallback, StreamReaderProtocol } from "./stream_reader_protocol.ts";

/** Options of {@linkcode startServer}: each reader's `limit` and those of `loop.createServer`. */
export interface StartServerOptions extends CreateServerOptions {
  /** Each connection's reader buffer limit in bytes (default 64 KiB). */
  limit?: number;
}

/** Options of {@linkcode startUnixServer}: each reader's `limit` and those of `loop.createUnixServer`. */
export interface StartUnixServerOptions extends CreateUnixServerOptions {
  /** Each connection's reader buffer limit in bytes (default 64 KiB). */
  limit?: number;
}

/**
 * Starts a TCP server calling `clientConnected(reader, writer)` for each
 * connection; an async callback runs as a task of its own, and an error it
 * raises is reported to the loop's exception handler and closes that
 * connection. Equivalent to `asyncio.start_server()`; the options are
 * `loop.createServer`'s plus `limit`, so `ssl` (a server `SSLContext`)
 * serves TLS (an example is in `open_connection.ts`).
 *
 * @throws {TypeError} `clientConnected` is not a function.
 * @throws {RangeError} `limit` is not a positive integer, or `port` is out of range.
 * @throws {Error} The address is in use (`Deno.errors.AddrInUse`).
 *
 * @example An echo server, and one client
 * ```ts
 * import { run } from "@aio/asyncio";
 * import { openConnection, startServer } from "@aio/asyncio/streams";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     for await (const line of reader) {
 *       writer.write(line);
 *       await writer.drain();
 *     }
 *     writer.close();
 *   }, "127.0.0.1", 0);
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *   const [reader, writer] = await openConnection("127.0.0.1", port);
 *   writer.write(new TextEncoder().encode("hello\n"));
 *   assert.equal(new TextDecoder().decode(await reader.readline()), "hello\n");
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export function startServer(
  clientConnected: ClientConnectedCallback,
  host?: string | string[] | null,
  port?: number | null,
  options?: StartServerOptions,
): Promise<Server> {
  const { limit, ...rest } = options ?? {};
  const [loop, factory] = protocolFactory(clientConnected, limit, "startServer");
  return loop.createServer(factory, host, port, rest) as Promise<Server>;
}

/**
 * Starts a Unix socket server at `path` calling `clientConnected(reader,
 * writer)` for each connection, as {@linkcode startServer} does.
 * Equivalent to `asyncio.start_unix_server()`.
 *
 * @throws {TypeError} `clientConnected` is not a function, or `path` is not a string.
 * @throws {RangeError} `limit` is not a positive integer.
 *
 * @example
 * ```ts ignore
 * import { run } from "@aio/asyncio";
 * import { startUnixServer } from "@aio/asyncio/streams";
 *
 * await run(async () => {
 *   const server = await startUnixServer(async (reader, writer) => {
 *     writer.write(await reader.readline());
 *     writer.close();
 *   }, "/tmp/echo.sock");
 *   await server.serveForever();
 * });
 * ```
 */
export function startUnixServer(
  clientConnected: ClientConnectedCallback,
  path?: string | null,
  options?: StartUnixServerOptions,
): Promise<Server> {
  const { limit, ...rest } = options ?? {};
  const [loop, factory] = protocolFactory(clientConnected, limit, "startUnixServer");
  return loop.createUnixServer(factory, path, rest) as Promise<Server>;
}

function protocolFactory(
  clientConnected: ClientConnectedCallback,
  limit: number | undefined,
  method: string,
): [ReturnType<typeof getRunningLoop>, () => StreamReaderProtocol] {
  if (typeof clientConnected !== "function") {
    throw new TypeError(
      `Cannot ${method}() as 'clientConnected' must be a function: received ${typeof clientConnected}`,
    );
  }
  const loop = getRunningLoop();
  // Checks `limit` now rather than at the first connection.
  new StreamReader({ limit, loop });
  return [
    loop,
    () => new StreamReaderProtocol(new StreamReader({ limit, loop }), clientConnected, { loop }),
  ];
}
