/**
 * An HTTP/1.1 "hello" server on streams, good enough for `curl`, browsers and load tools: it
 * answers `GET` and `HEAD` on any path with `Hello, world!`, keeps connections alive (HTTP/1.1 by
 * default, HTTP/1.0 with `Connection: keep-alive`), answers pipelined requests in order, and
 * closes after a response to `Connection: close`.
 *
 *   deno run --allow-net=127.0.0.1 examples/http_server.ts [HOST] [PORT] [--loop=selector|proactor]
 *
 * HOST defaults to 127.0.0.1 and PORT to 8080 (0 picks a free port). It prints the address it
 * listens on; Ctrl-C closes the server and its connections and exits. Try
 * `curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/again` (one connection, two requests)
 * or `wrk -c 10 -d 5 http://127.0.0.1:8080/`.
 *
 * Errors: a malformed request line or header gets `400 Bad Request`, a request head over 8 KiB
 * or with more than 100 header lines `431 Request Header Fields Too Large`, a body over 1 MiB
 * `413 Content Too Large`, a chunked body `501 Not Implemented`, another HTTP version `505 HTTP
 * Version Not Supported`, another method `405 Method Not Allowed` (its body is read and dropped;
 * the connection stays open). Each error but 405 closes the connection. There is no idle
 * timeout: a keep-alive connection stays open until the client closes it.
 *
 * @module
 */
import {
  IncompleteReadError,
  LimitOverrunError,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "../streams/mod.ts";
import { formatAddress, interrupted, parseCommandLine, parsePort, runSample } from "./_cli.ts";

const USAGE =
  "usage: deno run --allow-net=127.0.0.1 examples/http_server.ts [HOST] [PORT] [--loop=selector|proactor]";
/** The largest request head (request line and headers); the reader's limit. */
const MAX_HEAD = 8192;
const MAX_HEADERS = 100;
const MAX_BODY = 1024 * 1024;
const BODY = "Hello, world!\n";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/(\d)\.(\d)$/;
const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/;

/** The `Date` header's value, made at most once a second. */
let date = "";
let dateSecond = -1;
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    date = new Date(second * 1000).toUTCString();
    responses.clear();
  }
  return date;
}

/** Encoded responses by key, valid for the current `Date` value. */
const responses = new Map<string, Uint8Array>();

/** An encoded response; those without a body of their own are cached for the current second. */
function response(status: string, keepAlive: boolean, withBody: boolean, extra = ""): Uint8Array {
  const now = httpDate();
  const key = `${status}|${keepAlive}|${withBody}|${extra}`;
  let bytes = responses.get(key);
  if (bytes === undefined) {
    const body = status === "200 OK" ? BODY : `${status}\n`;
    bytes = encoder.encode(
      `HTTP/1.1 ${status}\r\nDate: ${now}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${encoder.encode(body).length}\r\n${extra}` +
        `Connection: ${keepAlive ? "keep-alive" : "close"}\r\n\r\n${withBody ? body : ""}`,
    );
    responses.set(key, bytes);
  }
  return bytes;
}

/** Why a request cannot be served: the status to answer with before closing. */
class HttpError extends Error {
  constructor(readonly status: string) {
    super(status);
    this.name = "HttpError";
  }
}

/** A parsed request head. */
interface Request {
  method: string;
  keepAlive: boolean;
  contentLength: number;
}

/** Parses a request head (up to and including its empty line). */
function parseHead(head: Uint8Array): Request {
  const lines = decoder.decode(head.subarray(0, head.length - 4)).split("\r\n");
  const match = REQUEST_LINE.exec(lines[0]);
  if (match === null) throw new HttpError("400 Bad Request");
  const [, method, , major, minor] = match;
  if (major !== "1" || (minor !== "0" && minor !== "1")) {
    throw new HttpError("505 HTTP Version Not Supported");
  }
  if (lines.length - 1 > MAX_HEADERS) throw new HttpError("431 Request Header Fields Too Large");
  let connection = "";
  let contentLength = 0;
  for (let i = 1; i < lines.length; i++) {
    const header = HEADER.exec(lines[i]);
    if (header === null) throw new HttpError("400 Bad Request");
    const name = header[1].toLowerCase();
    if (name === "connection") connection += "," + header[2].toLowerCase();
    else if (name === "transfer-encoding") throw new HttpError("501 Not Implemented");
    else if (name === "content-length") {
      if (!/^\d+$/.test(header[2])) throw new HttpError("400 Bad Request");
      contentLength = Number(header[2]);
      if (contentLength > MAX_BODY) throw new HttpError("413 Content Too Large");
    }
  }
  const tokens = connection.split(",").map((t) => t.trim());
  const keepAlive = minor === "1" ? !tokens.includes("close") : tokens.includes("keep-alive");
  return { method, keepAlive, contentLength };
}

/** Serves the requests of one connection until it closes or a request asks to. */
async function serve(reader: StreamReader, writer: StreamWriter): Promise<void> {
  try {
    for (;;) {
      let head: Uint8Array;
      try {
        head = await reader.readuntil("\r\n\r\n");
      } catch (err) {
        // The client closed between requests (nothing read), or in the middle of one.
        if (err instanceof IncompleteReadError) return;
        if (err instanceof LimitOverrunError) {
          throw new HttpError("431 Request Header Fields Too Large");
        }
        throw err;
      }
      const request = parseHead(head);
      if (request.contentLength > 0) await reader.readexactly(request.contentLength);
      const known = request.method === "GET" || request.method === "HEAD";
      writer.write(
        known
          ? response("200 OK", request.keepAlive, request.method === "GET")
          : response("405 Method Not Allowed", request.keepAlive, true, "Allow: GET, HEAD\r\n"),
      );
      if (!request.keepAlive) return;
      // Pipelined requests already here are answered before waiting for the peer to read.
      if (reader.buffered === 0) await writer.drain();
    }
  } catch (err) {
    if (err instanceof HttpError) writer.write(response(err.status, false, true));
    else if (!(err instanceof IncompleteReadError || isConnectionError(err))) throw err;
  } finally {
    writer.close();
  }
}

/** Whether `err` says the peer is gone (reset, broken pipe). */
function isConnectionError(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe;
}

const cli = parseCommandLine(Deno.args, USAGE, [], 2);
const host = cli.args[0] ?? "127.0.0.1";
const port = parsePort(cli.args[1] ?? "8080", "PORT", USAGE);

await runSample(cli, USAGE, async () => {
  const server = await startServer(serve, host, port, { limit: MAX_HEAD });
  const where = server.sockets.map((s) => formatAddress(s.getsockname())).join(", ");
  console.log(`http server listening on http://${where}/`);
  await interrupted();
  server.close();
  server.closeClients();
  await server.waitClosed();
  console.log("http server closed");
});
