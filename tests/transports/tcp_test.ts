/**
 * TCP transports and servers over loopback, on both loops (`LOOPS`): callback
 * order, flow control, half-close, abort, reset, server lifecycle.
 */
import assert from "node:assert/strict";
import { CancelledError, RuntimeError, SelectorEventLoop } from "../../loop/mod.ts";
import {
  type BaseTransport,
  BufferedProtocol,
  createFdSocket,
  createSocket,
  EpollSelector,
  EVENT_READ,
  FdSocket,
  Protocol,
  type Server,
  Socket,
  type Transport,
} from "../../transports/mod.ts";
import type { Future } from "../../tasks/future.ts";
import { sleep } from "../../tasks/mod.ts";
import type { ExceptionContext } from "../../loop/mod.ts";
import { addressOf, bytes, Echo, LOOPS, onLoop, Recorder, recordingServer } from "./_helpers.ts";

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: createServer() with a null host serves IPv4 on 0.0.0.0, and IPv6 on :: over descriptors`, async () => {
    await onLoop(make, async (loop) => {
      // Descriptors listen on :: beside 0.0.0.0 (IPv6 only), as asyncio; Deno's
      // :: is dual-stack and would take 0.0.0.0's port, so Deno listens on 0.0.0.0 alone.
      const descriptors = loop instanceof SelectorEventLoop &&
        loop.selector instanceof EpollSelector;
      const { server, served } = await recordingServer(loop, undefined, null);
      try {
        const names = server.sockets.map((s) => s.getsockname() as [string, number]);
        assert.deepEqual(
          names.map(([host]) => host),
          descriptors ? ["0.0.0.0", "::"] : ["0.0.0.0"],
        );
        const [transport, client] = await loop.createConnection(
          () => new Recorder(loop),
          "127.0.0.1",
          names[0][1],
        );
        await served[0].made;
        served[0].transport!.write(bytes("hi"));
        await client.waitFor(2, loop);
        transport.close();
        await served[0].lost;
      } finally {
        server.close();
        await server.waitClosed();
      }
    });
  });

  Deno.test(`${name}: createConnection() and createServer() echo over loopback in asyncio's callback order`, async () => {
    const errors: ExceptionContext[] = [];
    await onLoop(make, async (loop) => {
      const served: Echo[] = [];
      const server = await loop.createServer(
        () => {
          const p = new Echo(loop);
          served.push(p);
          return p;
        },
        "127.0.0.1",
        0,
      );
      const [host, port] = addressOf(server);
      assert.equal(host, "127.0.0.1");
      assert.ok(port > 0);
      assert.equal(server.isServing(), true);
      assert.equal(server.getLoop(), loop);

      const [transport, client] = await loop.createConnection(() => new Recorder(loop), host, port);
      assert.equal(client.transport, transport);
      assert.deepEqual(client.events, ["made"]);
      assert.deepEqual(transport.getExtraInfo("peername"), [host, port]);
      const sockname = transport.getExtraInfo("sockname") as [string, number];
      assert.equal(sockname[0], "127.0.0.1");
      assert.equal(transport.getExtraInfo("nope", 42), 42);
      assert.equal(transport.getProtocol(), client);
      assert.equal(transport.isReading(), true);

      transport.write(bytes("hello "));
      transport.writelines([bytes("world")]);
      await client.waitFor(11, loop);
      assert.equal(client.text(), "hello world");

      transport.close();
      assert.equal(transport.isClosing(), true);
      await client.lost;
      await served[0].lost;
      assert.deepEqual(client.events, ["made", "data", "lost"]);
      assert.equal(client.lostWith, null);
      assert.deepEqual(served[0].events, ["made", "data", "eof", "lost"]);
      assert.equal(served[0].lostWith, null);

      server.close();
      assert.equal(server.isServing(), false);
      assert.deepEqual(server.sockets, []);
      await server.waitClosed();
      // connectionLost exactly once, even after more turns of the loop.
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(client.lostCount, 1);
      assert.equal(served[0].lostCount, 1);
    }, errors);
    assert.deepEqual(errors, []);
  });

  Deno.test(`${name}: write() to a slow reader pauses and resumes the writer and loses nothing (4 MiB)`, async () => {
    await onLoop(make, async (loop) => {
      const SIZE = 4 * 1024 * 1024;
      let reader: Recorder | null = null;
      const server = await loop.createServer(
        () => {
          reader = new (class extends Recorder {
            override connectionMade(t: BaseTransport): void {
              super.connectionMade(t);
              (t as Transport).pauseReading();
            }
          })(loop);
          return reader;
        },
        "127.0.0.1",
        0,
      );

      const flow: string[] = [];
      let paused: Future<void> = loop.createFuture<void>();
      let resumed: Future<void> = loop.createFuture<void>();
      class Writer extends Recorder {
        override pauseWriting(): void {
          flow.push("pause");
          paused.setResult(undefined);
        }
        override resumeWriting(): void {
          flow.push("resume");
          resumed.setResult(undefined);
        }
      }
      const [transport, writer] = await loop.createConnection(
        () => new Writer(loop),
        ...addressOf(server),
      );
      assert.deepEqual(transport.getWriteBufferLimits(), [16384, 65536]);
      transport.setWriteBufferLimits({ high: 256 * 1024 });
      assert.deepEqual(transport.getWriteBufferLimits(), [65536, 262144]);
      assert.throws(() => transport.setWriteBufferLimits({ high: 1, low: 2 }), RangeError);

      const data = new Uint8Array(SIZE);
      for (let i = 0; i < SIZE; i++) data[i] = (i * 31) & 0xff;
      transport.write(data);
      data.fill(0); // the transport copied it
      await paused;
      assert.ok(transport.getWriteBufferSize() > 256 * 1024);
      // The reader reads nothing yet; let the kernel buffers fill, then read.
      await reader!.made;
      assert.equal(reader!.transport!.isReading(), false);
      reader!.transport!.resumeReading();
      await resumed;
      paused = loop.createFuture<void>();
      resumed = loop.createFuture<void>();
      await reader!.waitFor(SIZE, loop);
      assert.equal(reader!.received, SIZE);
      const got = new Uint8Array(SIZE);
      let offset = 0;
      for (const c of reader!.chunks) {
        got.set(c, offset);
        offset += c.length;
      }
      for (let i = 0; i < SIZE; i += 4093) assert.equal(got[i], (i * 31) & 0xff);
      assert.equal(transport.getWriteBufferSize(), 0);
      assert.deepEqual(flow.slice(0, 2), ["pause", "resume"]);
      transport.close();
      await writer.lost;
      await reader!.lost;
      server.close();
      await server.waitClosed();
    });
  });

  Deno.test(`${name}: write() copies what it is given: bursts of writes from one reused buffer arrive intact`, async () => {
    await onLoop(make, async (loop) => {
      const { server, served } = await recordingServer(loop);
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        ...addressOf(server),
      );
      // Sizes from 1 byte to past the transport's largest write buffer, written back to back
      // (so most are queued behind a write in flight), each from the same scratch buffer,
      // which is overwritten right after every write().
      const sizes: number[] = [];
      for (let i = 0; i < 400; i++) sizes.push(1 + ((i * 7919) % 9000));
      sizes.splice(100, 0, 200 * 1024, 300 * 1024);
      const scratch = new Uint8Array(300 * 1024);
      let total = 0;
      for (const [k, size] of sizes.entries()) {
        for (let i = 0; i < size; i++) scratch[i] = (total + i + k) & 0xff;
        transport.write(scratch.subarray(0, size));
        scratch.fill(0xee);
        total += size;
        // Let some writes complete between bursts, so buffers are reused and regrown.
        if (k % 97 === 0) await sleep(0);
      }
      await served[0].made;
      await served[0].waitFor(total, loop);
      const got = new Uint8Array(total);
      let offset = 0;
      for (const c of served[0].chunks) {
        got.set(c, offset);
        offset += c.length;
      }
      let at = 0;
      for (const [k, size] of sizes.entries()) {
        for (let i = 0; i < size; i++) {
          if (got[at + i] !== ((at + i + k) & 0xff)) {
            assert.fail(`byte ${at + i} (write ${k} of ${size} bytes) is ${got[at + i]}`);
          }
        }
        at += size;
      }
      assert.equal(transport.getWriteBufferSize(), 0);
      transport.close();
      await client.lost;
      await served[0].lost;
      server.close();
      await server.waitClosed();
    });
  });

  Deno.test(`${name}: writeEof() half-closes: the peer's eofReceived() returning true keeps it writing`, async () => {
    await onLoop(make, async (loop) => {
      let served: Recorder | null = null;
      const server = await loop.createServer(
        () => {
          served = new (class extends Recorder {
            override eofReceived(): boolean {
              super.eofReceived();
              this.transport!.write(bytes(`got ${this.text()}`));
              this.transport!.close();
              return true;
            }
          })(loop);
          return served;
        },
        "127.0.0.1",
        0,
      );
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        ...addressOf(server),
      );
      assert.equal(transport.canWriteEof(), true);
      transport.write(bytes("ping"));
      transport.writeEof();
      assert.throws(() => transport.write(bytes("more")), RuntimeError);
      await client.lost;
      assert.equal(client.text(), "got ping");
      assert.deepEqual(client.events, ["made", "data", "eof", "lost"]);
      await served!.lost;
      assert.deepEqual(served!.events, ["made", "data", "eof", "lost"]);
      server.close();
      await server.waitClosed();
    });
  });

  Deno.test(`${name}: abort() drops buffered data and calls connectionLost(null) once`, async () => {
    await onLoop(make, async (loop) => {
      const { server, served } = await recordingServer(loop);
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        ...addressOf(server),
      );
      transport.write(new Uint8Array(8 * 1024 * 1024));
      transport.abort();
      transport.abort();
      transport.close();
      assert.equal(transport.getWriteBufferSize(), 0);
      await client.lost;
      assert.equal(client.lostWith, null);
      assert.deepEqual(client.events, ["made", "lost"]);
      // Writing after the connection is lost is ignored, as asyncio.
      transport.write(bytes("late"));
      await served[0].lost;
      assert.equal(served[0].lostCount, 1);
      server.close();
      await server.waitClosed();
      assert.equal(client.lostCount, 1);
    });
  });

  Deno.test(`${name}: a peer reset becomes connectionLost(err), never an unhandled rejection`, async () => {
    const errors: ExceptionContext[] = [];
    await onLoop(make, async (loop) => {
      const box: { served: Recorder | null } = { served: null };
      const server = await loop.createServer(
        () => {
          const p = new Recorder(loop);
          // Keep writing after the peer is gone: the kernel answers with a reset.
          p.keepOpenOnEof = true;
          const pump = (): void => {
            if (p.lostCount > 0) return;
            p.transport!.write(new Uint8Array(16 * 1024));
            loop.callLater(0.002, pump);
          };
          p.made.addDoneCallback(pump);
          box.served = p;
          return p;
        },
        "127.0.0.1",
        0,
      );
      const [host, port] = addressOf(server);
      const raw = await Deno.connect({ hostname: host, port });
      await raw.write(bytes("x"));
      while (box.served === null || box.served.received < 1) await loop.createTask(sleepMs(2));
      raw.close(); // unread data in our receive buffer: a reset
      const served = box.served;
      await served.lost;
      assert.equal(served.lostCount, 1);
      assert.equal(served.events.at(-1), "lost");
      const err = served.lostWith;
      assert.ok(
        err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe,
        String(err),
      );
      server.close();
      await server.waitClosed();
    }, errors);
    assert.deepEqual(errors, []);
  });

  Deno.test(`${name}: Server.close() stops accepting; waitClosed() waits for the clients; closeClients() closes them`, async () => {
    await onLoop(make, async (loop) => {
      const { server, served } = await recordingServer(loop);
      const address = addressOf(server);
      const clients = [
        await loop.createConnection(() => new Recorder(loop), ...address),
        await loop.createConnection(() => new Recorder(loop), ...address),
      ];
      while (served.length < 2) await loop.createTask(sleepMs(1));
      await Promise.all(served.map((p) => p.made));
      server.close();
      server.close();
      let closed = false;
      const waiting = loop.createTask(async () => {
        await server.waitClosed();
        closed = true;
      });
      await loop.createTask(sleepMs(10));
      assert.equal(closed, false);
      server.closeClients();
      await waiting;
      assert.equal(closed, true);
      for (const [, client] of clients) {
        await client.lost;
        assert.deepEqual(client.events, ["made", "eof", "lost"]);
      }
      await assert.rejects(server.serveForever(), RuntimeError);
    });
  });

  Deno.test(`${name}: Server.abortClients() aborts the clients; serveForever() closes the server when cancelled`, async () => {
    await onLoop(make, async (loop) => {
      const { server, served } = await recordingServer(loop, { startServing: false });
      assert.equal(server.isServing(), false);
      const forever = loop.createTask(() => server.serveForever());
      await loop.createTask(sleepMs(1));
      assert.equal(server.isServing(), true);
      await assert.rejects(server.serveForever(), RuntimeError);
      const [, client] = await loop.createConnection(
        () => new Recorder(loop),
        ...addressOf(server),
      );
      await client.made;
      while (served.length < 1) await loop.createTask(sleepMs(1));
      await served[0].made;
      server.abortClients();
      await served[0].lost;
      assert.equal(served[0].lostWith, null);
      await client.lost;
      forever.cancel();
      await assert.rejects(Promise.resolve(forever), CancelledError);
      assert.equal(server.isServing(), false);
      await server.waitClosed();
    });
  });

  Deno.test(`${name}: await using closes a server and waits until it is closed`, async () => {
    await onLoop(make, async (loop) => {
      let outside: Server;
      {
        await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
        outside = server;
        assert.equal(server.isServing(), true);
      }
      assert.equal(outside.isServing(), false);
      assert.deepEqual(outside.sockets, []);
    });
  });

  Deno.test(`${name}: a BufferedProtocol receives into its own buffer`, async () => {
    await onLoop(make, async (loop) => {
      const server = await loop.createServer(() => new Echo(loop), "127.0.0.1", 0);
      const done = loop.createFuture<void>();
      class Into extends BufferedProtocol {
        readonly buf = new Uint8Array(3);
        text = "";
        override getBuffer(_sizeHint: number): Uint8Array {
          return this.buf;
        }
        override bufferUpdated(n: number): void {
          this.text += new TextDecoder().decode(this.buf.subarray(0, n));
          if (this.text.length === 10) done.setResult(undefined);
        }
      }
      const [transport, protocol] = await loop.createConnection(
        () => new Into(),
        ...addressOf(server),
      );
      transport.write(bytes("0123456789"));
      await done;
      assert.equal(protocol.text, "0123456789");
      transport.close();
      server.close();
      server.closeClients();
      await server.waitClosed();
    });
  });

  Deno.test(`${name}: createConnection() and createServer() name the bad argument`, async () => {
    await onLoop(make, async (loop) => {
      await assert.rejects(
        loop.createConnection(() => new Protocol(), "127.0.0.1", 70000),
        (e: Error) => e instanceof RangeError && e.message.includes("'port'"),
      );
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        loop.createConnection("nope" as any, "127.0.0.1", 1),
        (e: Error) => e instanceof TypeError && e.message.includes("'protocolFactory'"),
      );
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        loop.createConnection(() => new Protocol(), "127.0.0.1", 1, { ssl: "yes" } as any),
        (e: Error) => e instanceof TypeError && e.message.includes("'ssl'"),
      );
      await assert.rejects(
        loop.createServer(() => new Protocol(), "127.0.0.1", -1),
        (e: Error) => e instanceof RangeError && e.message.includes("'port'"),
      );
      await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        loop.createConnection(() => 5 as any, ...addressOf(server)),
        (e: Error) => e instanceof TypeError && e.message.includes("must return a protocol"),
      );
      const [transport, protocol] = await loop.createConnection(
        () => new Recorder(loop),
        ...addressOf(server),
      );
      assert.throws(
        // deno-lint-ignore no-explicit-any
        () => transport.write("text" as any),
        (e: Error) => e instanceof TypeError && e.message.includes("'data'"),
      );
      transport.close();
      await protocol.lost;
      server.abortClients();
    });
  });

  Deno.test(`${name}: a refused connection rejects createConnection() with Deno's error`, async () => {
    await onLoop(make, async (loop) => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const { port } = listener.addr;
      listener.close();
      await assert.rejects(
        loop.createConnection(() => new Protocol(), "127.0.0.1", port),
        Deno.errors.ConnectionRefused,
      );
    });
  });

  Deno.test(`${name}: close() releases open servers and transports`, async () => {
    const loop = make();
    let protocol: Recorder | null = null;
    await loop.runUntilComplete(async () => {
      const server = await loop.createServer(() => new Recorder(loop), "127.0.0.1", 0);
      const [, p] = await loop.createConnection(() => new Recorder(loop), ...addressOf(server));
      protocol = p;
    });
    // A pending accept and two pending reads are left: close() must release them.
    loop.close();
    assert.equal(protocol!.lostCount, 0);
    // Let the interrupted operations settle before the sanitizers look.
    await new Promise((r) => setTimeout(r, 10));
  });
}

// The selector transport's own mechanics: nothing to compare on the proactor
// loop, which has no selector and no Socket objects.
// A connection of `loop` to an echo server; disposing of it disposes of the server.
async function echoConnection(loop: SelectorEventLoop) {
  const server = await loop.createServer(() => new Echo(loop), "127.0.0.1", 0);
  const [transport, client] = await loop.createConnection(
    () => new Recorder(loop),
    ...addressOf(server),
  );
  return { server, transport, client, [Symbol.asyncDispose]: () => server[Symbol.asyncDispose]() };
}

Deno.test("SelectorEventLoop transports register for reading while reading, for writing only while a backlog exists", async () => {
  await onLoop(() => new SelectorEventLoop(), async (loop) => {
    await using conn = await echoConnection(loop);
    const { server, transport, client } = conn;
    // A descriptor on the epoll selector (the default under -A on Linux), else a Deno-ops Socket.
    const sock = transport.getExtraInfo("socket");
    assert.ok(sock instanceof (loop.selector instanceof EpollSelector ? FdSocket : Socket));
    const events = (): number => loop.selector.getMap().get(sock)?.events ?? 0;
    assert.equal(events(), EVENT_READ);
    transport.write(bytes("ping"));
    await client.waitFor(4, loop);
    // Drained: no writer is left registered.
    assert.equal(events(), EVENT_READ);
    transport.pauseReading();
    assert.equal(transport.isReading(), false);
    transport.write(bytes("pong"));
    await loop.createTask(sleepMs(10));
    assert.equal(client.received, 4); // held while paused
    // The readiness event of the held bytes unregistered the paused socket.
    assert.equal(events(), 0);
    transport.resumeReading();
    await client.waitFor(8, loop);
    assert.equal(client.text(), "pingpong");
    assert.equal(events(), EVENT_READ);
    transport.close();
    await client.lost;
    assert.equal(sock.state, "closed");
    server.closeClients();
  });
});

Deno.test("SelectorEventLoop refuses readiness and sock* calls on a live transport's socket, as asyncio does", async () => {
  await onLoop(() => new SelectorEventLoop(), async (loop) => {
    await using conn = await echoConnection(loop);
    const { server, transport, client } = conn;
    const sock = transport.getExtraInfo("socket") as Socket | FdSocket;
    const used = (method: string) => (err: unknown) =>
      err instanceof RuntimeError &&
      err.message.startsWith(`Cannot ${method}: the socket is used by transport <`);
    assert.throws(() => loop.addReader(sock, () => {}), used("add reader"));
    assert.throws(() => loop.removeReader(sock), used("remove reader"));
    assert.throws(() => loop.addWriter(sock, () => {}), used("add writer"));
    assert.throws(() => loop.removeWriter(sock), used("remove writer"));
    await assert.rejects(loop.sockRecv(sock, 10), used("receive"));
    await assert.rejects(loop.sockRecvInto(sock, new Uint8Array(10)), used("receive"));
    await assert.rejects(loop.sockSendall(sock, bytes("x")), used("send"));
    await assert.rejects(loop.sockConnect(sock, addressOf(server)), used("connect"));
    await assert.rejects(loop.sockAccept(sock), used("accept"));
    // Nor may a second transport take it (Python 3.12+).
    await assert.rejects(
      loop.createConnection(() => new Recorder(loop), null, null, { sock }),
      used("take over the socket in createConnection()"),
    );
    await assert.rejects(
      loop.connectAcceptedSocket(() => new Recorder(loop), sock),
      used("take over the socket in connectAcceptedSocket()"),
    );
    // On the epoll selector, its descriptor number is the transport's too.
    if (sock instanceof FdSocket) {
      assert.throws(() => loop.addReader(sock.fileno(), () => {}), used("add reader"));
    }
    // Nothing was taken from the transport: it still echoes.
    transport.write(bytes("ping"));
    await client.waitFor(4, loop);
    assert.equal(client.text(), "ping");
    // A closing transport no longer owns its socket (Python checks is_closing()).
    transport.close();
    assert.equal(loop.removeReader(sock), false);
    await client.lost;
    server.closeClients();
  });
});

Deno.test("SelectorEventLoop: a cancelled sockRecv() leaves the reader of a transport that took its socket over", async () => {
  await onLoop(() => new SelectorEventLoop(), async (loop) => {
    await using conn = await echoConnection(loop);
    const { server } = conn;
    const sock = loop.selector instanceof EpollSelector ? createFdSocket() : createSocket();
    await loop.sockConnect(sock, addressOf(server));
    const recv = loop.createTask(() => loop.sockRecv(sock, 10));
    await loop.createTask(sleepMs(5));
    const [transport, client] = await loop.createConnection(() => new Recorder(loop), null, null, {
      sock,
    });
    recv.cancel();
    await assert.rejects(async () => await recv, CancelledError);
    transport.write(bytes("ping"));
    await client.waitFor(4, loop);
    assert.equal(client.text(), "ping");
    transport.close();
    await client.lost;
    conn.transport.close();
    server.closeClients();
  });
});

Deno.test("SelectorEventLoop: pauseReading() after the loop closed does nothing", async () => {
  let transport: Transport | null = null;
  await onLoop(() => new SelectorEventLoop(), async (loop) => {
    transport = (await echoConnection(loop)).transport;
  });
  // The loop is closed, and with it the server and the transport's socket.
  transport!.pauseReading();
  assert.equal(transport!.isReading(), false);
});

Deno.test("SelectorEventLoop transports unregister a paused socket only at its next readiness event", async () => {
  await onLoop(() => new SelectorEventLoop(), async (loop) => {
    await using conn = await echoConnection(loop);
    const { server, transport, client } = conn;
    const sock = transport.getExtraInfo("socket") as Socket | FdSocket;
    const events = (): number => loop.selector.getMap().get(sock)?.events ?? 0;
    // What reaches the kernel: registrations made and dropped (a change of
    // the reader alone is a `modify` with the same events, no system call).
    const calls: string[] = [];
    const selector = loop.selector;
    const { register, unregister } = selector;
    Object.assign(selector, {
      register(...args: Parameters<typeof register>) {
        if (args[0] === sock) calls.push("register");
        return register.apply(selector, args);
      },
      unregister(...args: Parameters<typeof unregister>) {
        if (args[0] === sock) calls.push("unregister");
        return unregister.apply(selector, args);
      },
    });
    try {
      // A pause that ends before more data comes (a stream reader's flow
      // control) leaves the registration alone.
      transport.pauseReading();
      await loop.createTask(sleepMs(5));
      assert.equal(events(), EVENT_READ);
      transport.resumeReading();
      transport.write(bytes("ping"));
      await client.waitFor(4, loop);
      assert.deepEqual(calls, []);
      // Data that comes while paused is not read: its readiness event
      // unregisters the socket, and resuming registers it again and
      // delivers the data.
      transport.pauseReading();
      transport.write(bytes("pong"));
      for (let i = 0; i < 100 && calls.length === 0; i++) await loop.createTask(sleepMs(2));
      assert.deepEqual(calls, ["unregister"]);
      assert.equal(client.received, 4);
      transport.resumeReading();
      await client.waitFor(8, loop);
      assert.equal(client.text(), "pingpong");
      assert.deepEqual(calls, ["unregister", "register"]);
    } finally {
      transport.close();
      server.closeClients();
    }
    await client.lost;
  });
});

Deno.test("SelectorEventLoop transports hand dataReceived views of a slab that later reads never overwrite", async () => {
  await onLoop(() => new SelectorEventLoop(), async (loop) => {
    await using server = await loop.createServer(() => new Echo(loop), "127.0.0.1", 0);
    const views: Uint8Array[] = [];
    const done = loop.createFuture<void>();
    let total = 0;
    const SIZE = 1024 * 1024;
    class Keep extends Protocol {
      override dataReceived(data: Uint8Array): void {
        views.push(data); // kept without a copy
        total += data.length;
        if (total === SIZE && !done.done()) done.setResult(undefined);
      }
    }
    const [transport] = await loop.createConnection(() => new Keep(), ...addressOf(server));
    const data = new Uint8Array(SIZE);
    for (let i = 0; i < SIZE; i++) data[i] = (i * 7) & 0xff;
    for (let off = 0; off < SIZE; off += 4096) {
      transport.write(data.subarray(off, off + 4096));
      if (off % (64 * 1024) === 0) await loop.createTask(sleepMs(0));
    }
    await done;
    // Several reads landed in one slab: views, not copies.
    assert.ok(new Set(views.map((v) => v.buffer)).size < views.length);
    let offset = 0;
    for (const view of views) {
      for (let i = 0; i < view.length; i++) {
        if (view[i] !== data[offset + i]) assert.fail(`byte ${offset + i} was overwritten`);
      }
      offset += view.length;
    }
    transport.close();
    server.closeClients();
  });
});

function sleepMs(ms: number): () => Promise<void> {
  return () => new Promise((r) => setTimeout(r, ms));
}
