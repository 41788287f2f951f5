/**
 * A TCP client on streams: sends its standard input to the server and writes what comes back to
 * its standard output, through the web stream adapters (`writer.writable`, `reader.readable`).
 * At the end of the input it half-closes the connection and goes on printing until the server
 * closes its side, so `echo hello | echo_client.ts` prints the whole echo.
 *
 *   deno run --allow-net=127.0.0.1 examples/echo_client.ts [HOST] [PORT] [--loop=selector|proactor]
 *
 * HOST defaults to 127.0.0.1 and PORT to 8888 (start `examples/echo_server.ts` first). Ctrl-C
 * drops the connection and exits.
 *
 * @module
 */
import { createTask } from "../mod.ts";
import { openConnection } from "../streams/mod.ts";
import { formatAddress, interrupted, parseCommandLine, parsePort, runSample } from "./_cli.ts";

const USAGE =
  "usage: deno run --allow-net=127.0.0.1 examples/echo_client.ts [HOST] [PORT] [--loop=selector|proactor]";

const cli = parseCommandLine(Deno.args, USAGE, [], 2);
const host = cli.args[0] ?? "127.0.0.1";
const port = parsePort(cli.args[1] ?? "8888", "PORT", USAGE);

await runSample(cli, USAGE, async () => {
  const [reader, writer] = await openConnection(host, port);
  const signal = interrupted();
  const stopUpload = new AbortController();
  const onInterrupt = createTask(async () => {
    await signal;
    stopUpload.abort();
    writer.transport.abort();
  });
  const peer = writer.getExtraInfo("peername") as [string, number];
  console.error(`connected to ${formatAddress(peer)}`);
  // Closing `writer.writable` at the end of the input half-closes the connection.
  const upload = Deno.stdin.readable.pipeTo(writer.writable, { signal: stopUpload.signal });
  upload.catch(() => {}); // its outcome is read below; this only keeps it from going unhandled
  try {
    await reader.readable.pipeTo(Deno.stdout.writable, { preventClose: true });
    stopUpload.abort(); // the server closed first: stop reading the input
    await upload.catch((err) => {
      if (!stopUpload.signal.aborted) throw err;
    });
  } catch (err) {
    if (!stopUpload.signal.aborted) throw err;
  } finally {
    signal.cancel();
    onInterrupt.cancel();
    writer.close();
  }
});
