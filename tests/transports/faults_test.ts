/**
 * Faults on both loops (`LOOPS`): a peer that reads nothing cannot grow our
 * buffers, an accept error is logged and the server keeps serving, and
 * writing after close is a logged warning, never a crash. (`eofReceived()`
 * returning true keeping a transport open is in `tcp_test.ts`.)
 */
import assert from "node:assert/strict";
import { type BaseEventLoop, SelectorEventLoop } from "../../loop/mod.ts";
import type { Future } from "../../tasks/future.ts";
import { type BaseTransport, FdSocket, type Transport } from "../../transports/mod.ts";
import type { ExceptionContext } from "../../loop/abstract_event_loop.ts";
import { captureLog } from "../loop/_helpers.ts";
import { addressOf, bytes, Echo, LOOPS, onLoop, Recorder } from "./_helpers.ts";

const HIGH = 64 * 1024;
const CHUNK = 16 * 1024;
const TAIL = 4 * 1024 * 1024;

/** Resolves after `ms` of loop time. */
function sleep(loop: BaseEventLoop, ms: number): Future<void> {
  const fut = loop.createFuture<void>();
  loop.callLater(ms / 1000, () => fut.setResult(undefined));
  return fut;
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: a peer that reads nothing stops our reads and bounds our write buffer`, async () => {
    await onLoop(make, async (loop) => {
      // The server pauses reading at once and never reads until told.
      let reader: Recorder | null = null;
      let receivedWhilePaused = 0;
      const server = await loop.createServer(
        () => {
          reader = new (class extends Recorder {
            override connectionMade(t: BaseTransport): void {
              super.connectionMade(t);
              (t as Transport).pauseReading();
            }
            override dataReceived(data: Uint8Array): void {
              if (!this.transport!.isReading()) receivedWhilePaused += data.length;
              super.dataReceived(data);
            }
          })(loop);
          return reader;
        },
        "127.0.0.1",
        0,
      );

      // A writer that obeys flow control: it writes while not paused.
      let written = 0;
      let maxBuffer = 0;
      let pauses = 0;
      let lastResume = 0;
      let transport: Transport | null = null;
      const pump = () => {
        while (!writer.paused && !transport!.isClosing()) {
          transport!.write(new Uint8Array(CHUNK));
          written += CHUNK;
          maxBuffer = Math.max(maxBuffer, transport!.getWriteBufferSize());
        }
      };
      const writer = new (class extends Recorder {
        paused = false;
        override pauseWriting(): void {
          this.paused = true;
          pauses++;
        }
        override resumeWriting(): void {
          this.paused = false;
          lastResume = loop.time();
          pump();
        }
      })(loop);
      [transport] = await loop.createConnection(() => writer, ...addressOf(server));
      assert.deepEqual(transport.getWriteBufferLimits(), [HIGH / 4, HIGH]);
      pump();
      // Wait until the kernel buffers are full: no resume for 300 ms.
      lastResume = loop.time();
      while (loop.time() - lastResume < 0.3) await sleep(loop, 100);
      assert.ok(pauses >= 1);
      assert.equal(writer.paused, true);
      // Our buffer never held more than the high-water mark plus one write.
      assert.ok(maxBuffer <= HIGH + CHUNK, `write buffer reached ${maxBuffer}`);
      assert.ok(transport.getWriteBufferSize() <= HIGH + CHUNK);
      // The paused reader delivered nothing and read at most one buffer
      // ahead: everything else waits in the kernel (a few MiB on loopback),
      // so the pump stalled long before the 64 MiB an unbounded reader allows.
      await reader!.made;
      assert.equal(receivedWhilePaused, 0);
      assert.equal(reader!.received, 0);
      assert.ok(written < 64 * 1024 * 1024, `wrote ${written} bytes before stalling`);

      // Reading again drains everything, in order, and the writer resumes.
      const total = written;
      reader!.transport!.resumeReading();
      await reader!.waitFor(total, loop);
      assert.equal(receivedWhilePaused, 0);
      transport.close();
      await writer.lost;
      await reader!.lost;
      assert.equal(reader!.received, written);
      server.close();
      await server.waitClosed();
    });
  });

  Deno.test(`${name}: an accept error is logged and the server keeps serving`, async () => {
    const errors: ExceptionContext[] = [];
    // Inject the error through the listener: the first accept fails as with
    // too many open files (EMFILE), the next ones are the real listener's
    // (a Deno listener's accept, or a descriptor's accept4 on the epoll selector).
    const realListen = Deno.listen;
    const realTryAccept = FdSocket.prototype._tryAccept;
    let failures = 0;
    const failingListen = ((options: Deno.TcpListenOptions) => {
      const listener = realListen(options);
      const accept = listener.accept.bind(listener);
      listener.accept = () => {
        if (failures++ === 0) {
          return Promise.reject(new Error("Too many open files (os error 24)"));
        }
        return accept();
      };
      return listener;
    }) as typeof Deno.listen;
    FdSocket.prototype._tryAccept = function () {
      if (failures++ === 0) throw new Error("Too many open files (os error 24)");
      return realTryAccept.call(this);
    };
    await onLoop(make, async (loop) => {
      Deno.listen = failingListen;
      let server;
      try {
        server = await loop.createServer(() => new Echo(loop), "127.0.0.1", 0);
      } finally {
        Deno.listen = realListen;
      }
      // The client connects while the server waits to retry (asyncio's 1 s).
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        ...addressOf(server),
      );
      transport.write(bytes("still serving"));
      await client.waitFor(13, loop);
      assert.equal(client.text(), "still serving");
      assert.equal(errors.length, 1);
      assert.equal(errors[0].message, "Accept failed on a server socket");
      assert.match(String(errors[0].exception), /Too many open files/);
      assert.equal(server.isServing(), true);
      transport.close();
      await client.lost;
      server.close();
      await server.waitClosed();
    }, errors).finally(() => {
      FdSocket.prototype._tryAccept = realTryAccept;
    });
    assert.ok(failures >= 2);
  });

  Deno.test(`${name}: writing after close is ignored, with a warning after five writes`, async () => {
    using log = captureLog();
    const errors: ExceptionContext[] = [];
    await onLoop(make, async (loop) => {
      const server = await loop.createServer(() => new Echo(loop), "127.0.0.1", 0);
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        ...addressOf(server),
      );
      transport.close();
      await client.lost;
      for (let i = 0; i < 4; i++) transport.write(bytes("late"));
      assert.deepEqual(log.filter((e) => e.level === "warn"), []);
      transport.write(bytes("late"));
      transport.write(bytes("late"));
      const warnings = log.filter((e) => e.level === "warn");
      assert.ok(warnings.length >= 1);
      assert.match(warnings[0].message, /socket\.send\(\) raised exception/);
      assert.equal(transport.getWriteBufferSize(), 0);
      assert.deepEqual(client.events, ["made", "lost"]);
      server.close();
      await server.waitClosed();
    }, errors);
    assert.deepEqual(errors, []);
  });
}

Deno.test("SelectorEventLoop: what resumeWriting() writes while the transport closes is still sent (Python's _write_ready)", async () => {
  await onLoop(() => new SelectorEventLoop(), async (loop) => {
    const served: Recorder[] = [];
    const accepted = loop.createFuture<void>();
    const server = await loop.createServer(
      () => {
        // Reads nothing until the client closes: the kernel (descriptors send
        // straight to it) cannot take everything, so the client buffers.
        const r = new (class extends Recorder {
          override connectionMade(t: BaseTransport): void {
            super.connectionMade(t);
            (t as Transport).pauseReading();
            accepted.setResult(undefined);
          }
        })(loop);
        served.push(r);
        return r;
      },
      "127.0.0.1",
      0,
    );
    let transport: Transport | null = null;
    const writer = new (class extends Recorder {
      tailWritten = false;
      override resumeWriting(): void {
        if (this.tailWritten) return;
        this.tailWritten = true;
        // Large enough that Deno cannot finish the send at once.
        transport!.write(new Uint8Array(TAIL).fill(7));
      }
    })(loop);
    [transport] = await loop.createConnection(() => writer, ...addressOf(server));
    // low: 0 resumes the writer only once everything was sent, as close() finishes.
    transport.setWriteBufferLimits({ high: HIGH, low: 0 });
    await accepted;
    // More than loopback's kernel buffers hold (4 MiB to send, 6 MiB to receive).
    const SIZE = 16 * 1024 * 1024;
    transport.write(new Uint8Array(SIZE));
    assert.ok(transport.getWriteBufferSize() > HIGH);
    transport.close();
    served[0].transport!.resumeReading();
    await writer.lost;
    await served[0].lost;
    assert.equal(writer.tailWritten, true);
    assert.equal(served[0].received, SIZE + TAIL);
    assert.equal(served[0].chunks.at(-1)!.at(-1), 7);
    server.close();
    await server.waitClosed();
  });
});
