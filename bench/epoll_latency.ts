/**
 * Latency of Deno's own I/O and timers while `SelectorEventLoop` saturates the epoll selector
 * (docs/architecture.md, "The epoll selector"). In one process: PAIRS echo ping-pongs over real
 * descriptors (`FdSocket` + `connectAcceptedSocket`) keep the loop busy, while a plain Deno TCP
 * ping-pong (`Deno.connect`/`Deno.listen`, outside the loop) and a `setTimeout(5)` chain measure
 * how late the host's own work runs.
 *
 *   deno run -A bench/epoll_latency.ts [SECONDS] [PAIRS] [BYTES]
 *
 * Prints the loop's echo rate, the Deno ping-pong round trip (median, p99, max) and how late the
 * 5 ms timers fired, with and without the load.
 *
 * @module
 */
import { SelectorEventLoop } from "../loop/mod.ts";
import { type BaseTransport, createFdSocket, Protocol, type Transport } from "../transports/mod.ts";

const seconds = Number(Deno.args[0] ?? 3);
const pairs = Number(Deno.args[1] ?? 10);
const size = Number(Deno.args[2] ?? 1024);

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

function summary(name: string, xs: number[]): string {
  return `${name}: n=${xs.length} p50=${pct(xs, 0.5).toFixed(3)} ms p99=${
    pct(xs, 0.99).toFixed(3)
  } ms max=${Math.max(...xs).toFixed(3)} ms`;
}

// A Deno-native ping-pong and a 5 ms timer chain, sampled until `stop` resolves.
async function probe(stop: Promise<void>): Promise<{ rtt: number[]; late: number[] }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  let done = false;
  stop.then(() => done = true);
  const rtt: number[] = [];
  const late: number[] = [];
  const timers = (async () => {
    while (!done) {
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, 5));
      late.push(performance.now() - t0 - 5);
    }
  })();
  const echo = (async () => {
    const buf = new Uint8Array(1);
    while (await server.read(buf) !== null) await server.write(buf);
  })();
  const buf = new Uint8Array(1);
  while (!done) {
    const t0 = performance.now();
    await client.write(buf);
    await client.read(buf);
    rtt.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 1));
  }
  client.close();
  await echo;
  server.close();
  listener.close();
  await timers;
  return { rtt, late };
}

class Echo extends Protocol {
  #t: Transport | null = null;
  override connectionMade(t: BaseTransport): void {
    this.#t = t as Transport;
  }
  override dataReceived(data: Uint8Array): void {
    this.#t!.write(data);
  }
}

class Pinger extends Protocol {
  static count = 0;
  #t: Transport | null = null;
  #got = 0;
  readonly #msg = new Uint8Array(size);
  override connectionMade(t: BaseTransport): void {
    this.#t = t as Transport;
    this.#t.write(this.#msg);
  }
  override dataReceived(data: Uint8Array): void {
    this.#got += data.length;
    if (this.#got >= size) {
      this.#got -= size;
      Pinger.count++;
      this.#t!.write(this.#msg);
    }
  }
}

const idle = await probe(new Promise((r) => setTimeout(r, seconds * 1000)));
console.log(summary("Deno ping-pong RTT, idle", idle.rtt));
console.log(summary("setTimeout(5) lateness, idle", idle.late));

const loop = new SelectorEventLoop({ selector: "epoll" });
const loaded = await loop.runUntilComplete(async () => {
  const listener = createFdSocket();
  listener.bind(["127.0.0.1", 0]);
  listener.listen();
  const transports: Transport[] = [];
  for (let i = 0; i < pairs; i++) {
    const client = createFdSocket();
    const accepting = loop.sockAccept(listener);
    await loop.sockConnect(client, listener.getsockname());
    const [conn] = await accepting;
    transports.push((await loop.connectAcceptedSocket(() => new Echo(), conn))[0]);
    transports.push((await loop.connectAcceptedSocket(() => new Pinger(), client))[0]);
  }
  const stop = loop.createFuture<void>();
  loop.callLater(seconds, () => stop.setResult(undefined));
  const result = await probe(Promise.resolve(stop));
  for (const t of transports) t.close();
  listener.close();
  return result;
});
loop.close();
console.log(`epoll echo: ${(Pinger.count / seconds).toFixed(0)} round trips/s of ${size} B`);
console.log(summary("Deno ping-pong RTT, loop saturated", loaded.rtt));
console.log(summary("setTimeout(5) lateness, loop saturated", loaded.late));
