/**
 * TCP echo server on this library's protocol layer: `transport.write(data)` in
 * `dataReceived`, the shape of `../shared/bench/peers/asyncio_protocol.py`. Load it with
 * `../shared/bench/echo_load` (see `bench/compare_echo.sh`).
 *
 *   deno run -A bench/echo_server.ts PORT [selector|proactor|epoll] [SECONDS]
 *
 * `selector` is `SelectorEventLoop` on the Deno-ops selector; `epoll` is the same loop on the
 * epoll selector with real descriptors (`FdSocket`s accepted with `sockAccept`, wrapped with
 * `connectAcceptedSocket`; needs FFI, which `-A` grants).
 *
 * With SECONDS the server exits after that long (for `deno run --cpu-prof`, which writes its
 * profile only on a normal exit).
 *
 * @module
 */
import { ProactorEventLoop, SelectorEventLoop } from "../loop/mod.ts";
import {
  type BaseTransport,
  createFdSocket,
  type FdSocket,
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

const port = Number(Deno.args[0] ?? 0);
const kind = Deno.args[1] ?? "selector";
const seconds = Deno.args[2] === undefined ? null : Number(Deno.args[2]);
if (kind !== "selector" && kind !== "proactor" && kind !== "epoll") {
  throw new TypeError(`loop must be 'selector', 'proactor' or 'epoll': received ${kind}`);
}
const loop = kind === "proactor"
  ? new ProactorEventLoop()
  : new SelectorEventLoop({ selector: kind === "epoll" ? "epoll" : "deno" });

// The epoll server: an accept loop over a listening descriptor.
async function serveEpoll(loop: SelectorEventLoop, listener: FdSocket): Promise<void> {
  for (;;) {
    const [conn] = await loop.sockAccept(listener);
    loop.connectAcceptedSocket(() => new Echo(), conn);
  }
}

await loop.runUntilComplete(async () => {
  let serving: PromiseLike<void>;
  let stop: () => void;
  if (loop instanceof SelectorEventLoop && kind === "epoll") {
    const listener = createFdSocket();
    listener.setsockopt(1, 2, 1); // SOL_SOCKET, SO_REUSEADDR, as Deno.listen does
    listener.bind(["127.0.0.1", port]);
    listener.listen(1024);
    const task = loop.createTask(() => serveEpoll(loop, listener));
    serving = task.then(() => {}, () => {});
    stop = () => {
      task.cancel();
      listener.close();
    };
  } else {
    const server = await loop.createServer(() => new Echo(), "127.0.0.1", port);
    serving = server.serveForever();
    stop = () => server.close();
  }
  console.error(`echo_server (${kind}) on 127.0.0.1:${port}`);
  if (seconds === null) await serving;
  else {
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    stop();
  }
});
if (seconds !== null) Deno.exit(0);
