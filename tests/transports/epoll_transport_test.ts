/**
 * `SelectorSocketTransport` on real descriptors (epoll selector):
 * `connectAcceptedSocket()` over `FdSocket`s from `sockAccept` and
 * `sockConnect`, echo with flow control, EOF, views of a slab, reset and
 * abort, and no descriptor left open.
 */
import assert from "node:assert/strict";
import type { SelectorEventLoop } from "../../loop/mod.ts";
import { AF_UNIX, createFdSocket, type FdSocket, Protocol } from "../../transports/mod.ts";
import type { BaseTransport, Transport } from "../../transports/mod.ts";
import { FFI, onEpoll, onEpollLeavingNoFd } from "./_epoll.ts";
import { bytes, Echo, Recorder } from "./_helpers.ts";

async function pair(
  loop: SelectorEventLoop,
  family = 2,
  address: [string, number] | string = ["127.0.0.1", 0],
): Promise<{ server: FdSocket; client: FdSocket; conn: FdSocket }> {
  const server = createFdSocket({ family });
  server.bind(address);
  server.listen();
  const client = createFdSocket({ family });
  const accepting = loop.sockAccept(server);
  await loop.sockConnect(client, server.getsockname());
  const [conn] = await accepting;
  return { server, client, conn };
}

Deno.test({
  name:
    "SelectorEventLoop(epoll).connectAcceptedSocket() echoes over real descriptors, with EOF and close",
  ignore: !FFI,
  async fn() {
    await onEpollLeavingNoFd(async (loop) => {
      const { server, client, conn } = await pair(loop);
      const [, echo] = await loop.connectAcceptedSocket(() => new Echo(loop), conn);
      const [ct, rec] = await loop.connectAcceptedSocket(() => new Recorder(loop), client);
      assert.deepEqual(ct.getExtraInfo("peername"), server.getsockname());
      assert.equal(ct.getExtraInfo("socket"), client);
      ct.write(bytes("hello "));
      ct.writelines([bytes("over "), bytes("epoll")]);
      await rec.waitFor(16, loop);
      assert.equal(rec.text(), "hello over epoll");
      ct.writeEof();
      await echo.eof;
      await echo.lost;
      await rec.eof;
      await rec.lost;
      assert.deepEqual(echo.events, ["made", "data", "eof", "lost"]);
      assert.deepEqual(rec.events, ["made", "data", "eof", "lost"]);
      assert.equal(rec.lostWith, null);
      assert.equal(client.fileno(), -1, "the transport closed its socket");
      server.close();
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) socket transport sends 16 MiB with flow control and hands out slab views",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const { server, client, conn } = await pair(loop);
      const buffers = new Set<ArrayBufferLike>();
      class Sink extends Recorder {
        override dataReceived(data: Uint8Array): void {
          buffers.add(data.buffer);
          super.dataReceived(data);
        }
      }
      let paused = 0;
      let resumed = 0;
      class Source extends Protocol {
        transport: Transport | null = null;
        drained = loop.createFuture<void>();
        override connectionMade(t: BaseTransport): void {
          this.transport = t as Transport;
        }
        override pauseWriting(): void {
          paused++;
        }
        override resumeWriting(): void {
          resumed++;
          if (!this.drained.done()) this.drained.setResult(undefined);
        }
      }
      const [st, source] = await loop.connectAcceptedSocket(() => new Source(), conn);
      const [ct, sink] = await loop.connectAcceptedSocket(() => new Sink(loop), client);
      const total = 16 << 20;
      const chunk = new Uint8Array(1 << 20).map((_, i) => i % 251);
      for (let sent = 0; sent < total; sent += chunk.length) st.write(chunk);
      assert.ok(st.getWriteBufferSize() > 0, "the kernel did not take it all at once");
      assert.ok(paused >= 1, "the high water mark paused the protocol");
      await source.drained;
      await sink.waitFor(total, loop);
      assert.ok(resumed >= 1);
      assert.equal(st.getWriteBufferSize(), 0);
      const got = new Uint8Array(total);
      let off = 0;
      for (const c of sink.chunks) {
        got.set(c, off);
        off += c.length;
      }
      for (let i = 0; i < total; i += 65537) assert.equal(got[i], (i % (1 << 20)) % 251);
      const reads = sink.chunks.length;
      assert.ok(
        buffers.size <= Math.ceil(reads / 2),
        `${reads} reads in ${buffers.size} slabs: views, not a copy per read`,
      );
      for (const b of buffers) assert.equal(b.byteLength, 512 * 1024, "a slab, not a fitted copy");
      st.close();
      ct.close();
      await sink.lost;
      server.close();
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) socket transport write() lets the caller reuse its buffer at once",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const { server, client, conn } = await pair(loop);
      const [st] = await loop.connectAcceptedSocket(() => new Protocol(), conn);
      const [ct, sink] = await loop.connectAcceptedSocket(() => new Recorder(loop), client);
      // More than the socket buffers take at once: the rest waits for EPOLLOUT.
      const data = new Uint8Array(4 << 20).fill(1);
      st.write(data);
      data.fill(2);
      st.write(data.subarray(0, 10));
      await sink.waitFor((4 << 20) + 10, loop);
      assert.equal(sink.chunks.at(-1)!.at(-1), 2);
      assert.equal(sink.received, (4 << 20) + 10);
      let ones = 0;
      for (const c of sink.chunks) for (const b of c) if (b === 1) ones++;
      assert.equal(ones, 4 << 20, "the first write kept its bytes");
      st.close();
      ct.close();
      await sink.lost;
      server.close();
    });
  },
});

Deno.test({
  name: "SelectorEventLoop(epoll) socket transport reports a peer reset to connectionLost()",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const { server, client, conn } = await pair(loop);
      const [ct, rec] = await loop.connectAcceptedSocket(() => new Recorder(loop), client);
      // Sent at once, and queued at once by loopback: the peer closes with
      // unread data, so the kernel sends a reset.
      ct.write(bytes("unread"));
      conn.close();
      await rec.lost;
      assert.ok(rec.lostWith instanceof Deno.errors.ConnectionReset, String(rec.lostWith));
      assert.equal((rec.lostWith as { code?: string }).code, "ECONNRESET");
      server.close();
    });
  },
});

Deno.test({
  name: "SelectorEventLoop(epoll) socket transport over a Unix socket; abort() closes at once",
  ignore: !FFI,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await onEpoll(async (loop) => {
        const { server, client, conn } = await pair(loop, AF_UNIX, `${dir}/t.sock`);
        const [, echo] = await loop.connectAcceptedSocket(() => new Echo(loop), conn);
        const [ct, rec] = await loop.connectAcceptedSocket(() => new Recorder(loop), client);
        ct.write(bytes("ping"));
        await rec.waitFor(4, loop);
        assert.equal(rec.text(), "ping");
        ct.abort();
        await rec.lost;
        await echo.lost;
        assert.deepEqual(rec.events, ["made", "data", "lost"]);
        server.close();
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "SelectorEventLoop(epoll).connectAcceptedSocket() rejects unconnected sockets and ssl",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const sock = createFdSocket();
      await assert.rejects(
        loop.connectAcceptedSocket(() => new Protocol(), sock),
        /socket is new/,
      );
      await assert.rejects(
        // Deno's TLS runs over its own TCP conns only, not over a descriptor.
        loop.connectAcceptedSocket(() => new Protocol(), sock, { ssl: true }),
        { name: "NotImplementedError", message: /TLS-over-transport layer/ },
      );
      await assert.rejects(loop.connectAcceptedSocket(() => new Protocol(), 3), TypeError);
      sock.close();
    });
  },
});

// Writes back what it receives, keeping nothing.
class Reflect extends Protocol {
  #transport: Transport | null = null;
  override connectionMade(transport: BaseTransport): void {
    this.#transport = transport as Transport;
  }
  override dataReceived(data: Uint8Array): void {
    this.#transport!.write(data);
  }
}

// Writes 1 KiB again each time it all came back: one ping-pong per transport.
class Pinger extends Protocol {
  static echoes = 0;
  static onEcho: (() => void) | null = null;
  #transport: Transport | null = null;
  #got = 0;
  readonly #msg = new Uint8Array(1024);
  override connectionMade(transport: BaseTransport): void {
    this.#transport = transport as Transport;
    this.#transport.write(this.#msg);
  }
  override dataReceived(data: Uint8Array): void {
    this.#got += data.length;
    if (this.#got < this.#msg.length) return;
    this.#got -= this.#msg.length;
    Pinger.echoes++;
    Pinger.onEcho?.();
    this.#transport!.write(this.#msg);
  }
}

// Forty round trips over Deno's own TCP once `start` resolves, outside the
// loop's tasks (a task awaiting host promises makes the loop yield itself):
// their duration in milliseconds.
async function denoRoundTrips(start: Promise<void>): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const server = await listener.accept();
  try {
    await start;
    const t0 = performance.now();
    const one = new Uint8Array(1);
    for (let i = 0; i < 40; i++) {
      await client.write(one);
      await server.read(one);
      await server.write(one);
      await client.read(one);
    }
    return performance.now() - t0;
  } finally {
    for (const c of [client, server, listener]) c.close();
  }
}

Deno.test({
  name: "SelectorEventLoop(epoll) saturated with echo traffic still lets Deno's own sockets answer",
  ignore: !FFI,
  async fn() {
    const start = Promise.withResolvers<void>();
    const native = denoRoundTrips(start.promise);
    let echoes = 0;
    await onEpoll(async (loop) => {
      // Ten ping-pongs over real descriptors keep the loop busy: it never idles.
      const transports: Transport[] = [];
      const sockets: FdSocket[] = [];
      for (let i = 0; i < 10; i++) {
        const { server, client, conn } = await pair(loop);
        sockets.push(server);
        transports.push((await loop.connectAcceptedSocket(() => new Reflect(), conn))[0]);
        transports.push((await loop.connectAcceptedSocket(() => new Pinger(), client))[0]);
      }
      // The Deno round trips start once the load runs at full speed.
      const loaded = loop.createFuture<void>();
      const target = Pinger.echoes + 500;
      Pinger.onEcho = () => {
        if (Pinger.echoes >= target && !loaded.done()) loaded.setResult(undefined);
      };
      await loaded;
      const done = loop.createFuture<void>();
      native.finally(() => loop.callSoonThreadsafe(() => done.setResult(undefined)));
      const before = Pinger.echoes;
      start.resolve();
      await done;
      echoes = Pinger.echoes - before;
      Pinger.onEcho = null;
      for (const t of transports) t.abort();
      for (const s of sockets) s.close();
    });
    const elapsed = await native;
    // Without the loop's parking turns Deno polled its own I/O only every 61
    // host turns: here 40 round trips took ~1.3 s (and 0.7 s each under the
    // heavier load of bench/epoll_latency.ts); with them, ~60 ms.
    assert.ok(echoes > 0, `the loop was busy meanwhile: ${echoes} echoes`);
    assert.ok(elapsed < 500, `40 Deno round trips took ${elapsed.toFixed(0)} ms`);
  },
});
