/**
 * The send system calls of `SelectorSocketTransport` on the epoll selector
 * (docs/performance.md, "Gather sends"): one loopback connection, served by
 * a sink that counts what it receives, in one of two shapes:
 *
 * - `lines`: `writelines()` of 8 buffers of 1 KiB, 5,000 times;
 * - `backlog`: 8 rounds of 64 writes of 200 KiB (each its own queued chunk)
 *   while the sink has paused reading, so the transport's queue grows.
 *
 * Count the calls with strace:
 *
 *   strace -f -c -e trace=sendto,sendmsg deno run -A bench/epoll_gather.ts lines
 *
 * @module
 */
import { SelectorEventLoop } from "../loop/mod.ts";
import type { Future } from "../tasks/future.ts";
import { type BaseTransport, Protocol, type Transport } from "../transports/mod.ts";

const shape = Deno.args[0] ?? "lines";
if (shape !== "lines" && shape !== "backlog") {
  throw new TypeError(
    `Cannot run bench as the shape must be "lines" or "backlog": received ${shape}`,
  );
}

class Sink extends Protocol {
  transport: Transport | null = null;
  received = 0;
  #wanted = 0;
  #waiter: Future<void> | null = null;

  override connectionMade(transport: BaseTransport): void {
    this.transport = transport as Transport;
  }

  override dataReceived(data: Uint8Array): void {
    this.received += data.length;
    if (this.#waiter !== null && this.received >= this.#wanted) {
      this.#waiter.setResult(undefined);
      this.#waiter = null;
    }
  }

  async waitFor(n: number, loop: SelectorEventLoop): Promise<void> {
    if (this.received >= n) return;
    this.#wanted = n;
    this.#waiter = loop.createFuture<void>();
    await this.#waiter;
  }
}

const loop = new SelectorEventLoop({ selector: "epoll" });
await loop.runUntilComplete(async () => {
  const sink = new Sink();
  const server = await loop.createServer(() => sink, "127.0.0.1", 0);
  const [host, port] = server.sockets[0].getsockname() as [string, number];
  const [transport] = await loop.createConnection(() => new Protocol(), host, port);
  let total = 0;
  if (shape === "lines") {
    const parts = Array.from({ length: 8 }, () => new Uint8Array(1024));
    for (let i = 0; i < 5000; i++) {
      transport.writelines(parts);
      total += 8 * 1024;
      if (transport.getWriteBufferSize() > 0) await sink.waitFor(total, loop);
    }
  } else {
    const big = new Uint8Array(200 * 1024);
    for (let round = 0; round < 8; round++) {
      sink.transport!.pauseReading();
      for (let i = 0; i < 64; i++) transport.write(big);
      total += 64 * big.length;
      sink.transport!.resumeReading();
      await sink.waitFor(total, loop);
    }
  }
  console.log(`${shape}: ${total} bytes sent and received`);
  transport.close();
  server.close();
  server.closeClients();
  await server.waitClosed();
});
loop.close();
