/**
 * TCP echo server on this library's protocol layer: `transport.write(data)` in
 * `dataReceived`, the shape of `../shared/bench/peers/asyncio_protocol.py`. Load it with
 * `../shared/bench/echo_load` (see `bench/compare_echo.sh`).
 *
 *   deno run -A bench/echo_server.ts PORT [selector|proactor|epoll] [SECONDS] [--buffered]
 *
 * `selector` is `SelectorEventLoop` on the Deno-ops selector; `epoll` is the same loop on the
 * epoll selector, whose `createServer` listens and accepts on real descriptors (needs FFI, which
 * `-A` grants).
 *
 * With SECONDS the server exits after that long (for `deno run --cpu-prof`, which writes its
 * profile only on a normal exit). With `--buffered` the protocol is a `BufferedProtocol` that
 * lends the transport one reused 256 KiB buffer (`getBuffer`) and writes back what
 * `bufferUpdated` says arrived: no memory is allocated per read.
 *
 * @module
 */
import { ProactorEventLoop, SelectorEventLoop } from "../loop/mod.ts";
import {
  type BaseProtocol,
  type BaseTransport,
  BufferedProtocol,
  Protocol,
  type Transport,
} from "../transports/mod.ts";

class Echo extends Protocol {
  #transport: Transport | null = null;

  override connectionMade(transport: BaseTransport): void {
    this.#transport = transport as Transport;
  }

  override dataReceived(data: Uint8Array): void {
    this.#transport!.write(data);
  }
}

class BufferedEcho extends BufferedProtocol {
  #transport: Transport | null = null;
  readonly #buffer = new Uint8Array(256 * 1024);

  override connectionMade(transport: BaseTransport): void {
    this.#transport = transport as Transport;
  }

  override getBuffer(_sizehint: number): Uint8Array {
    return this.#buffer;
  }

  override bufferUpdated(nbytes: number): void {
    // write() copies, so the buffer is free for the next read at once.
    this.#transport!.write(this.#buffer.subarray(0, nbytes));
  }
}

const buffered = Deno.args.includes("--buffered");
const [portArg, kindArg, secondsArg] = Deno.args.filter((arg) => arg !== "--buffered");
const port = Number(portArg ?? 0);
const kind = kindArg ?? "selector";
const seconds = secondsArg === undefined ? null : Number(secondsArg);
if (kind !== "selector" && kind !== "proactor" && kind !== "epoll") {
  throw new TypeError(`loop must be 'selector', 'proactor' or 'epoll': received ${kind}`);
}
const makeProtocol = (): BaseProtocol => buffered ? new BufferedEcho() : new Echo();
const loop = kind === "proactor"
  ? new ProactorEventLoop()
  : new SelectorEventLoop({ selector: kind === "epoll" ? "epoll" : "deno" });

await loop.runUntilComplete(async () => {
  const server = await loop.createServer(makeProtocol, "127.0.0.1", port);
  console.error(`echo_server (${kind}${buffered ? ", buffered" : ""}) on 127.0.0.1:${port}`);
  if (seconds === null) await server.serveForever();
  else {
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    server.close();
  }
});
if (seconds !== null) Deno.exit(0);
