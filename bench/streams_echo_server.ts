/**
 * TCP echo server on this library's streams: `startServer`, then `read(65536)`, `write`,
 * `drain` per connection, the shape of `../shared/bench/peers/asyncio_streams.py` (the uvloop and
 * CPython asyncio streams peers). Load it with `../shared/bench/echo_load` (see
 * `bench/compare_echo.sh`, `API=streams`).
 *
 *   deno run -A bench/streams_echo_server.ts PORT [selector|proactor|epoll] [SECONDS]
 *
 * `selector` is `SelectorEventLoop` on the Deno-ops selector; `epoll` is the same loop on the
 * epoll selector, whose `startServer` listens and accepts on real descriptors (`FdSocket`s).
 *
 * With SECONDS the server exits after that long (for `deno run --cpu-prof`, which writes its
 * profile only on a normal exit).
 *
 * @module
 */
import { ProactorEventLoop, SelectorEventLoop } from "../loop/mod.ts";
import { startServer, type StreamReader, type StreamWriter } from "../streams/mod.ts";

async function echo(reader: StreamReader, writer: StreamWriter): Promise<void> {
  try {
    for (let data = await reader.read(65536); data.length > 0; data = await reader.read(65536)) {
      writer.write(data);
      await writer.drain();
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe)) {
      throw err;
    }
  } finally {
    writer.close();
  }
}

const port = Number(Deno.args[0] ?? 0);
const kind = Deno.args[1] ?? "selector";
const seconds = Deno.args[2] === undefined ? null : Number(Deno.args[2]);
if (kind !== "selector" && kind !== "proactor" && kind !== "epoll") {
  throw new TypeError(`loop must be 'selector', 'proactor' or 'epoll': received ${kind}`);
}
const loop = kind === "proactor"
  ? new ProactorEventLoop()
  : new SelectorEventLoop({ selector: kind === "epoll" ? "epoll" : "deno" });
await loop.runUntilComplete(async () => {
  const server = await startServer(echo, "127.0.0.1", port);
  console.error(`streams_echo_server (${kind}) on 127.0.0.1:${port}`);
  if (seconds === null) await server.serveForever();
  else {
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    server.close();
  }
});
if (seconds !== null) Deno.exit(0);
