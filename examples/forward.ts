/**
 * A TCP port forwarder on streams: each connection to LISTEN_PORT is joined to a new connection
 * to TARGET_HOST:TARGET_PORT and bytes are copied both ways (`read`, `write`, `drain`, so a
 * slow reader on one side slows the other side's sender). A half-close is passed on: when one
 * side ends its writing, the other side's writing is ended too, and the other direction goes on.
 * When either side fails (reset, refused), both connections are closed.
 *
 *   deno run --allow-net=127.0.0.1 examples/forward.ts LISTEN_PORT TARGET_HOST TARGET_PORT [--host=HOST] [--loop=selector|proactor]
 *
 * It listens on 127.0.0.1 (or `--host`); LISTEN_PORT 0 picks a free port. A target on another
 * host needs that host in `--allow-net`. It prints the address it listens on; Ctrl-C closes the
 * server and every forwarded connection and exits. For example, in front of the echo server:
 * `forward.ts 9000 127.0.0.1 8888`, then `nc 127.0.0.1 9000`.
 *
 * @module
 */
import { TaskGroup } from "../mod.ts";
import {
  openConnection,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "../streams/mod.ts";
import { formatAddress, interrupted, parseCommandLine, parsePort, runSample } from "./_cli.ts";

const USAGE = "usage: deno run --allow-net=127.0.0.1 examples/forward.ts LISTEN_PORT TARGET_HOST " +
  "TARGET_PORT [--host=HOST] [--loop=selector|proactor]";

/** Copies `reader` to `writer` until the end of the stream, then ends `writer`'s side. */
async function pipe(reader: StreamReader, writer: StreamWriter): Promise<void> {
  for (let data = await reader.read(65536); data.length > 0; data = await reader.read(65536)) {
    writer.write(data);
    await writer.drain();
  }
  if (writer.canWriteEof()) writer.writeEof();
  else writer.close();
}

/** Joins one client connection to a new connection to the target. */
async function forward(
  clientReader: StreamReader,
  clientWriter: StreamWriter,
  target: [string, number],
): Promise<void> {
  let targetWriter: StreamWriter | null = null;
  let finished = false;
  try {
    const [targetReader, writer] = await openConnection(...target);
    targetWriter = writer;
    // The first failure (a reset, a lost connection) cancels the other direction.
    await new TaskGroup().run((tg) => {
      tg.createTask(() => pipe(clientReader, writer));
      tg.createTask(() => pipe(targetReader, clientWriter));
    });
    finished = true;
  } catch (err) {
    const peer = formatAddress(clientWriter.getExtraInfo("peername") as [string, number]);
    console.error(`forward: connection from ${peer} ended: ${describe(err)}`);
  } finally {
    // After a failure both sides are aborted, so the peer that is still there sees a reset.
    for (const writer of [clientWriter, targetWriter]) {
      if (writer === null) continue;
      if (finished) writer.close();
      else writer.transport.abort();
    }
  }
}

/** A one-line description of an error or of an `ExceptionGroup` of them. */
function describe(err: unknown): string {
  const errors = (err as { exceptions?: unknown[] }).exceptions ?? [err];
  return errors.map((e) => e instanceof Error ? `${e.name}: ${e.message}` : String(e)).join("; ");
}

const cli = parseCommandLine(Deno.args, USAGE, ["host"], 3);
if (cli.args.length !== 3) {
  console.error(USAGE);
  Deno.exit(2);
}
const listenPort = parsePort(cli.args[0], "LISTEN_PORT", USAGE);
const target: [string, number] = [cli.args[1], parsePort(cli.args[2], "TARGET_PORT", USAGE)];
const host = cli.options.get("host") || "127.0.0.1";

await runSample(cli, USAGE, async () => {
  const server = await startServer(
    (reader, writer) => forward(reader, writer, target),
    host,
    listenPort,
  );
  const where = server.sockets.map((s) => formatAddress(s.getsockname())).join(", ");
  console.log(`forwarder listening on ${where}, forwarding to ${formatAddress(target)}`);
  await interrupted();
  server.close();
  server.abortClients();
  await server.waitClosed();
  console.log("forwarder closed");
});
