/**
 * TCP echo server on this library's protocol layer: `transport.write(data)` in
 * `dataReceived`, the shape of `../shared/bench/peers/asyncio_protocol.py`. Load it with
 * `../shared/bench/echo_load` (see `bench/compare_echo.sh`).
 *
 *   deno run -A bench/echo_server.ts PORT [selector|proactor] [SECONDS]
 *
 * With SECONDS the server exits after that long (for `deno run --cpu-prof`, which writes its
 * profile only on a normal exit).
 *
 * @module
 */
import { ProactorEventLoop, SelectorEventLoop } from "../loop/mod.ts";
import { type BaseTransport, Protocol, type Transport } from "../transports/mod.ts";

class Echo extends Protocol {
  #transport: Transport | null = null;

  override connectionMade(transport: BaseTransport): void {
    this.#transport = transport as Transport;
  }

  override dataReceived(data: Uint8Array): void {
    this.#transport!.write(data);
  }
}

const port = Number(Deno.args[0] ?? 0);
const kind = Deno.args[1] ?? "selector";
const seconds = Deno.args[2] === undefined ? null : Number(Deno.args[2]);
if (kind !== "selector" && kind !== "proactor") {
  throw new TypeError(`loop must be 'selector' or 'proactor': received ${kind}`);
}
const loop = kind === "selector" ? new SelectorEventLoop() : new ProactorEventLoop();
await loop.runUntilComplete(async () => {
  const server = await loop.createServer(() => new Echo(), "127.0.0.1", port);
  console.error(`echo_server (${kind}) on 127.0.0.1:${port}`);
  if (seconds === null) await server.serveForever();
  else {
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    server.close();
  }
});
if (seconds !== null) Deno.exit(0);
