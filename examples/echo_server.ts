/**
 * A TCP echo server on streams: each connection's bytes are written back as they arrive
 * (`read(65536)`, `write`, `drain`), until the client half-closes or leaves.
 *
 *   deno run --allow-net=127.0.0.1 examples/echo_server.ts [HOST] [PORT] [--loop=selector|proactor]
 *
 * HOST defaults to 127.0.0.1 and PORT to 8888 (0 picks a free port). It prints the address it
 * listens on; Ctrl-C closes the server and its connections and exits. Try it with
 * `examples/echo_client.ts`, `nc 127.0.0.1 8888` or `socat - TCP:127.0.0.1:8888`.
 *
 * @module
 */
import { startServer, type StreamReader, type StreamWriter } from "../streams/mod.ts";
import { formatAddress, interrupted, parseCommandLine, parsePort, runSample } from "./_cli.ts";

const USAGE =
  "usage: deno run --allow-net=127.0.0.1 examples/echo_server.ts [HOST] [PORT] [--loop=selector|proactor]";

/** Echoes one connection; a peer that resets is just gone. */
async function echo(reader: StreamReader, writer: StreamWriter): Promise<void> {
  try {
    for (let data = await reader.read(65536); data.length > 0; data = await reader.read(65536)) {
      writer.write(data);
      await writer.drain();
    }
    // The client half-closed: send what is buffered, then our end of file.
    if (writer.canWriteEof()) writer.writeEof();
  } catch (err) {
    if (!(err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe)) {
      throw err;
    }
  } finally {
    writer.close();
  }
}

const cli = parseCommandLine(Deno.args, USAGE, [], 2);
const host = cli.args[0] ?? "127.0.0.1";
const port = parsePort(cli.args[1] ?? "8888", "PORT", USAGE);

await runSample(cli, USAGE, async () => {
  const server = await startServer(echo, host, port);
  const where = server.sockets.map((s) => formatAddress(s.getsockname())).join(", ");
  console.log(`echo server listening on ${where}`);
  await interrupted();
  server.close();
  server.closeClients();
  await server.waitClosed();
  console.log("echo server closed");
});
