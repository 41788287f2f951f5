/**
 * Streams: the coroutine-style networking API of asyncio
 * (`openConnection`, `startServer`, `StreamReader`, `StreamWriter`), over
 * the transports of `./transports`. Equivalent to Python's `asyncio.streams`.
 *
 * Readers are async-iterable by line and adapt to web `ReadableStream`s;
 * writers adapt to `WritableStream`s.
 *
 * @example A line echo server and a client
 * ```ts
 * import { run } from "@aio/asyncio";
 * import { openConnection, startServer } from "@aio/asyncio/streams";
 * import assert from "node:assert/strict";
 *
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     for await (const line of reader) writer.write(line);
 *     writer.close();
 *   }, "127.0.0.1", 0);
 *   const [, port] = server.sockets[0].getsockname() as [string, number];
 *   const [reader, writer] = await openConnection("127.0.0.1", port);
 *   writer.write(new TextEncoder().encode("one\ntwo\n"));
 *   writer.writeEof();
 *   const lines = [];
 *   for await (const line of reader) lines.push(new TextDecoder().decode(line));
 *   assert.deepEqual(lines, ["one\n", "two\n"]);
 *   writer.close();
 * });
 * ```
 *
 * @module
 */
export {
  DEFAULT_LIMIT,
  type Separator,
  StreamReader,
  type StreamReaderOptions,
} from "./stream_reader.ts";
export {
  type ClientConnectedCallback,
  StreamReaderProtocol,
  type StreamReaderProtocolOptions,
} from "./stream_reader_protocol.ts";
export { StreamWriter, type StreamWriterOptions } from "./stream_writer.ts";
export {
  openConnection,
  type OpenConnectionOptions,
  openUnixConnection,
  type OpenUnixConnectionOptions,
} from "./open_connection.ts";
export {
  startServer,
  type StartServerOptions,
  startUnixServer,
  type StartUnixServerOptions,
} from "./start_server.ts";
export { IncompleteReadError, LimitOverrunError } from "../loop/exceptions.ts";
