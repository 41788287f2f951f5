/**
 * A line-based chat server on streams. Each client first sends its name, then lines; every line
 * goes to all the other clients as `NAME: line`. Joins and departures are announced as
 * `* NAME joined` and `* NAME left`; `/quit` leaves.
 *
 *   deno run --allow-net=127.0.0.1 examples/chat_server.ts [HOST] [PORT] [--drain-timeout=SECONDS] [--loop=selector|proactor]
 *
 * HOST defaults to 127.0.0.1 and PORT to 8889 (0 picks a free port). It prints the address it
 * listens on; Ctrl-C says goodbye to everyone, closes the server and exits. Chat from two
 * terminals with `nc 127.0.0.1 8889` (or `examples/echo_client.ts 127.0.0.1 8889`).
 *
 * A slow or dead client never holds up the others: a broadcast only queues the line for each
 * client (a bounded queue of 256 lines), and each client has its own sender task that writes and
 * drains. A client whose queue is full (it reads slower than the room talks, IRC's "SendQ
 * exceeded"), or whose `drain()` takes longer than `--drain-timeout` (default 10 s), is dropped
 * and announced as `* NAME left (too slow)`. A line longer than 4 KiB ends the sender's session
 * (`* NAME left (line too long)`).
 *
 * @module
 */
import { createTask, Queue, QueueFull, QueueShutDown, timeout, TimeoutError } from "../mod.ts";
import {
  LimitOverrunError,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "../streams/mod.ts";
import {
  formatAddress,
  interrupted,
  parseCommandLine,
  parsePort,
  parseSeconds,
  runSample,
} from "./_cli.ts";

const USAGE = "usage: deno run --allow-net=127.0.0.1 examples/chat_server.ts [HOST] [PORT] " +
  "[--drain-timeout=SECONDS] [--loop=selector|proactor]";
/** Lines a client may have waiting to be sent before it counts as too slow. */
const QUEUE_SIZE = 256;
/** The longest line, name included, a client may send. */
const MAX_LINE = 4096;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A joined client: its name, and the queue its sender task writes from. */
class Client {
  readonly outbox = new Queue<Uint8Array>({ maxsize: QUEUE_SIZE });

  constructor(readonly name: string, readonly writer: StreamWriter, drainTimeout: number) {
    createTask(() => this.#send(drainTimeout), { name: `sender of ${name}` });
  }

  /**
   * Writes what is queued and drains, until the queue is shut down (the client left), the
   * connection is lost or the client is too slow.
   */
  async #send(drainTimeout: number): Promise<void> {
    try {
      for (;;) {
        const lines = [await this.outbox.get()];
        while (!this.outbox.empty()) lines.push(this.outbox.getNowait());
        this.writer.writelines(lines);
        await timeout(drainTimeout, () => this.writer.drain());
      }
    } catch (err) {
      if (err instanceof TimeoutError) drop(this, "too slow");
      else if (!(err instanceof QueueShutDown || isConnectionError(err))) throw err;
    }
  }
}

/** Whether `err` says the peer is gone (reset, broken pipe). */
function isConnectionError(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe;
}

const clients = new Map<string, Client>();

/** Queues `text` for every client but `from`; one whose queue is full is dropped. */
function broadcast(text: string, from: Client | null): void {
  const line = encoder.encode(text + "\n");
  for (const client of [...clients.values()]) {
    // A client dropped during this loop (by a nested broadcast) is skipped.
    if (client === from || clients.get(client.name) !== client) continue;
    try {
      client.outbox.putNowait(line);
    } catch (err) {
      if (!(err instanceof QueueFull)) throw err;
      drop(client, "too slow");
    }
  }
}

/** Removes `client`, drops its connection and announces why it left. */
function drop(client: Client, reason: string): void {
  if (clients.get(client.name) !== client) return;
  clients.delete(client.name);
  client.outbox.shutdown(true);
  client.writer.transport.abort();
  broadcast(`* ${client.name} left (${reason})`, null);
}

/** Reads a line without its end of line, or null at the end of the stream. */
async function readLine(reader: StreamReader): Promise<string | null> {
  const line = await reader.readline();
  if (line.length === 0) return null;
  return decoder.decode(line).replace(/\r?\n$/, "");
}

/** Asks for a free name until the client gives one; null when it leaves first. */
async function askName(reader: StreamReader, writer: StreamWriter): Promise<string | null> {
  writer.write(encoder.encode("Welcome! What is your name?\n"));
  for (;;) {
    const name = await readLine(reader);
    if (name === null) return null;
    const trimmed = name.trim();
    if (trimmed !== "" && !trimmed.startsWith("*") && !clients.has(trimmed)) return trimmed;
    writer.write(encoder.encode(`The name '${trimmed}' is empty or taken. Another one?\n`));
  }
}

/** One connection: the name, then the lines, then the announcement of the departure. */
async function session(
  reader: StreamReader,
  writer: StreamWriter,
  drainTimeout: number,
): Promise<void> {
  let client: Client | null = null;
  let reason = "left";
  try {
    const name = await askName(reader, writer);
    if (name === null) return;
    const others = [...clients.keys()];
    client = new Client(name, writer, drainTimeout);
    clients.set(name, client);
    client.outbox.putNowait(encoder.encode(
      `* Hello ${name}! Online: ${others.length === 0 ? "nobody else" : others.join(", ")}\n`,
    ));
    broadcast(`* ${name} joined`, client);
    for (let line = await readLine(reader); line !== null; line = await readLine(reader)) {
      if (line === "/quit") break;
      broadcast(`${name}: ${line}`, client);
    }
  } catch (err) {
    if (err instanceof LimitOverrunError) reason = "line too long";
    else if (isConnectionError(err)) reason = "connection lost";
    else throw err;
  } finally {
    if (client !== null && clients.get(client.name) === client) {
      clients.delete(client.name);
      client.outbox.shutdown(true);
      broadcast(
        reason === "left" ? `* ${client.name} left` : `* ${client.name} left (${reason})`,
        null,
      );
    }
    writer.close();
  }
}

const cli = parseCommandLine(Deno.args, USAGE, ["drain-timeout"], 2);
const host = cli.args[0] ?? "127.0.0.1";
const port = parsePort(cli.args[1] ?? "8889", "PORT", USAGE);
const drainTimeout = parseSeconds(cli, "drain-timeout", 10, USAGE);

await runSample(cli, USAGE, async () => {
  const server = await startServer(
    (reader, writer) => session(reader, writer, drainTimeout),
    host,
    port,
    { limit: MAX_LINE },
  );
  const where = server.sockets.map((s) => formatAddress(s.getsockname())).join(", ");
  console.log(`chat server listening on ${where}`);
  await interrupted();
  server.close();
  const goodbye = encoder.encode("* The server is shutting down. Bye!\n");
  for (const client of clients.values()) {
    client.outbox.shutdown(true);
    client.writer.write(goodbye);
  }
  server.closeClients();
  await server.waitClosed();
  console.log("chat server closed");
});
