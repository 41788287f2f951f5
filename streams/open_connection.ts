/**
 * {@linkcode openConnection} and {@linkcode openUnixConnection}: stream
 * clients. Equivalent to Python's `asyncio.open_connection()` and
 * `asyncio.open_unix_connection()`.
 *
 * @module
 */
import { getRunningLoop } from "../loop/current.ts";
import type { CreateConnectionOptions } from "../transports/tcp.ts";
import type { Transport } from "../transports/transport.ts";
import type { CreateUnixConnectionOptions } from "../transports/unix.ts";
import { StreamReader } from "./stream_reader.ts";
import { StreamReaderProtocol } from "./stream_reader_protocol.ts";
import { StreamWriter } from "./stream_writer.ts";

/** Options of {@linkcode openConnection}: the reader's `limit` and those of `loop.createConnection`. */
export interface OpenConnectionOptions extends CreateConnectionOptions {
  /** The reader's buffer limit in bytes (default 64 KiB). */
  limit?: number;
}

/** Options of {@linkcode openUnixConnection}: the reader's `limit` and those of `loop.createUnixConnection`. */
export interface OpenUnixConnectionOptions extends CreateUnixConnectionOptions {
  /** The reader's buffer limit in bytes (default 64 KiB). */
  limit?: number;
}

/**
 * Connects to `host:port` over TCP and resolves to the connection's reader
 * and writer. Equivalent to `asyncio.open_connection()`; the options are
 * `loop.createConnection`'s plus `limit`. Must run on a loop with I/O.
 *
 * With `ssl` (an `SSLContext`, or `true` for the default client context)
 * the connection is TLS, on Deno's own TLS; `serverHostname`,
 * `sslHandshakeTimeout` and `sslShutdownTimeout` are passed on as well.
 *
 * @throws {RangeError} `limit` is not a positive integer, or `port` is out of range.
 * @throws {GaiError} The host does not resolve.
 * @throws {Error} The connection is refused (`Deno.errors.ConnectionRefused`) or fails.
 * @throws {SSLCertVerificationError} The server's certificate does not verify.
 *
 * @example Over TLS, with a server of the test fixtures' certificate
 * ```ts
 * import { run } from "@aio/asyncio";
 * import { openConnection, startServer } from "@aio/asyncio/streams";
 * import { createDefaultContext, Purpose } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const fixtures = new URL("../tests/transports/fixtures/", import.meta.url).pathname;
 * await run(async () => {
 *   const serverSsl = createDefaultContext({ purpose: Purpose.CLIENT_AUTH });
 *   serverSsl.loadCertChain(`${fixtures}cert.pem`, `${fixtures}key.pem`);
 *   await using server = await startServer(async (reader, writer) => {
 *     writer.write(await reader.readline());
 *     writer.close();
 *     await writer.waitClosed();
 *   }, "127.0.0.1", 0, { ssl: serverSsl });
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *
 *   const ssl = createDefaultContext({ cafile: `${fixtures}ca.pem` });
 *   const [reader, writer] = await openConnection("localhost", port, { ssl });
 *   writer.write(new TextEncoder().encode("secret\n"));
 *   assert.equal(new TextDecoder().decode(await reader.readline()), "secret\n");
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 *
 * @example A request and its reply
 * ```ts ignore
 * import { run } from "@aio/asyncio";
 * import { openConnection } from "@aio/asyncio/streams";
 *
 * await run(async () => {
 *   const [reader, writer] = await openConnection("127.0.0.1", 8888);
 *   writer.write(new TextEncoder().encode("ping\n"));
 *   const reply = await reader.readline();
 *   console.log(new TextDecoder().decode(reply));
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export async function openConnection(
  host?: string | null,
  port?: number | null,
  options?: OpenConnectionOptions,
): Promise<[StreamReader, StreamWriter]> {
  const { limit, ...rest } = options ?? {};
  const loop = getRunningLoop();
  const reader = new StreamReader({ limit, loop });
  const protocol = new StreamReaderProtocol(reader, null, { loop });
  const [transport] = await loop.createConnection(() => protocol, host, port, rest) as [
    Transport,
    StreamReaderProtocol,
  ];
  return [reader, new StreamWriter(transport, protocol, reader, { loop })];
}

/**
 * Connects to the Unix socket at `path` and resolves to the connection's
 * reader and writer. Equivalent to `asyncio.open_unix_connection()`.
 *
 * @throws {RangeError} `limit` is not a positive integer.
 * @throws {TypeError} `path` is not a string.
 * @throws {Error} Nothing listens at `path` (`Deno.errors.NotFound`,
 *   `ConnectionRefused`).
 *
 * @example
 * ```ts ignore
 * import { run } from "@aio/asyncio";
 * import { openUnixConnection } from "@aio/asyncio/streams";
 *
 * await run(async () => {
 *   const [reader, writer] = await openUnixConnection("/tmp/app.sock");
 *   writer.write(new TextEncoder().encode("status\n"));
 *   console.log(new TextDecoder().decode(await reader.readline()));
 *   writer.close();
 * });
 * ```
 */
export async function openUnixConnection(
  path?: string | null,
  options?: OpenUnixConnectionOptions,
): Promise<[StreamReader, StreamWriter]> {
  const { limit, ...rest } = options ?? {};
  const loop = getRunningLoop();
  const reader = new StreamReader({ limit, loop });
  const protocol = new StreamReaderProtocol(reader, null, { loop });
  const [transport] = await loop.createUnixConnection(() => protocol, path, rest) as [
    Transport,
    StreamReaderProtocol,
  ];
  return [reader, new StreamWriter(transport, protocol, reader, { loop })];
}
