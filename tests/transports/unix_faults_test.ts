/**
 * Faults over Unix sockets on both loops (`LOOPS`): a peer reset, abort(),
 * half-close with the peer writing on, and a peer that reads nothing
 * bounding our buffers; and a peer that goes away in the middle of
 * `loop.sendfile()` (TCP and Unix).
 */
import assert from "node:assert/strict";
import {
  type ExceptionContext,
  type ProactorEventLoop,
  RuntimeError,
  type SelectorEventLoop,
} from "../../loop/mod.ts";
import type { BaseTransport, Server, Transport } from "../../transports/mod.ts";
import type { Future } from "../../tasks/future.ts";
import { sleep } from "../../tasks/sleep.ts";
import { addressOf, bytes, LOOPS, onLoop, Recorder } from "./_helpers.ts";

type Loop = ProactorEventLoop | SelectorEventLoop;

const HIGH = 64 * 1024;
const CHUNK = 16 * 1024;

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_ufault_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// A Unix server whose protocols (from `make`) are collected in `served`.
async function unixServer(
  loop: Loop,
  path: string,
  make: () => Recorder = () => new Recorder(loop),
): Promise<[Server, Recorder[]]> {
  const served: Recorder[] = [];
  const server = await loop.createUnixServer(() => {
    const p = make();
    served.push(p);
    return p;
  }, path) as Server;
  return [server, served];
}

/** Resolves after `ms` of loop time. */
function after(loop: Loop, ms: number): Future<void> {
  const fut = loop.createFuture<void>();
  loop.callLater(ms / 1000, () => fut.setResult(undefined));
  return fut;
}

function isPeerError(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset || err instanceof Deno.errors.BrokenPipe ||
    (err instanceof Error && err.name === "ConnectionError");
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: a Unix peer that closes with unread data resets us: connectionLost(err), nothing logged`, async () => {
    const errors: ExceptionContext[] = [];
    await withDir((dir) =>
      onLoop(make, async (loop) => {
        const path = `${dir}/reset.sock`;
        const [server, served] = await unixServer(loop, path);
        const raw = await Deno.connect({ transport: "unix", path });
        await raw.write(bytes("x"));
        while (served.length === 0) await sleep(0);
        const p = served[0];
        await p.waitFor(1, loop);
        // Data the peer never reads: once it sits in the peer's queue, the close is a reset.
        p.transport!.write(new Uint8Array(1024));
        while (p.transport!.getWriteBufferSize() > 0) await sleep(0);
        raw.close();
        await p.lost;
        assert.equal(p.lostCount, 1);
        assert.ok(isPeerError(p.lostWith), String(p.lostWith));
        server.close();
        await server.waitClosed();
      }, errors)
    );
    assert.deepEqual(errors, [], "a reset of the peer's making is not logged");
  });

  Deno.test(`${name}: abort() over a Unix socket drops buffered data and both sides are lost once`, async () => {
    await withDir((dir) =>
      onLoop(make, async (loop) => {
        const path = `${dir}/abort.sock`;
        const [server, served] = await unixServer(loop, path);
        const [transport, client] = await loop.createUnixConnection(() => new Recorder(loop), path);
        transport.write(new Uint8Array(8 * 1024 * 1024));
        transport.abort();
        transport.abort();
        assert.equal(transport.getWriteBufferSize(), 0);
        await client.lost;
        assert.equal(client.lostWith, null);
        assert.deepEqual(client.events, ["made", "lost"]);
        while (served.length === 0) await sleep(0);
        await served[0].lost;
        assert.equal(served[0].lostCount, 1);
        assert.ok(served[0].received < 8 * 1024 * 1024, "the buffered data was dropped");
        server.close();
        await server.waitClosed();
        assert.equal(client.lostCount, 1);
      })
    );
  });

  Deno.test(`${name}: writeEof() over a Unix socket: the peer's eofReceived() returning true keeps it writing`, async () => {
    await withDir((dir) =>
      onLoop(make, async (loop) => {
        const path = `${dir}/half.sock`;
        const [server, served] = await unixServer(loop, path, () =>
          new (class extends Recorder {
            override eofReceived(): boolean {
              super.eofReceived();
              this.transport!.write(bytes(`got ${this.text()}`));
              this.transport!.close();
              return true;
            }
          })(loop));
        const [transport, client] = await loop.createUnixConnection(() => new Recorder(loop), path);
        transport.write(bytes("ping"));
        transport.writeEof();
        assert.throws(() => transport.write(bytes("more")), RuntimeError);
        await client.lost;
        assert.equal(client.text(), "got ping");
        assert.deepEqual(client.events, ["made", "data", "eof", "lost"]);
        await served[0].lost;
        assert.deepEqual(served[0].events, ["made", "data", "eof", "lost"]);
        server.close();
        await server.waitClosed();
      })
    );
  });

  Deno.test(`${name}: a Unix peer that reads nothing stops our reads and bounds our write buffer`, async () => {
    await withDir((dir) =>
      onLoop(make, async (loop) => {
        const path = `${dir}/slow.sock`;
        let receivedWhilePaused = 0;
        const [server, served] = await unixServer(loop, path, () =>
          new (class extends Recorder {
            override connectionMade(t: BaseTransport): void {
              super.connectionMade(t);
              (t as Transport).pauseReading();
            }
            override dataReceived(data: Uint8Array): void {
              if (!this.transport!.isReading()) receivedWhilePaused += data.length;
              super.dataReceived(data);
            }
          })(loop));
        let written = 0;
        let maxBuffer = 0;
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
          }
          override resumeWriting(): void {
            this.paused = false;
            lastResume = loop.time();
            pump();
          }
        })(loop);
        [transport] = await loop.createUnixConnection(() => writer, path);
        pump();
        // The kernel buffers are full once no resume came for 300 ms.
        lastResume = loop.time();
        while (loop.time() - lastResume < 0.3) await after(loop, 100);
        assert.equal(writer.paused, true);
        assert.ok(maxBuffer <= HIGH + CHUNK, `write buffer reached ${maxBuffer}`);
        assert.ok(transport.getWriteBufferSize() <= HIGH + CHUNK);
        while (served.length === 0) await sleep(0);
        const reader = served[0];
        await reader.made;
        assert.equal(receivedWhilePaused, 0);
        assert.equal(reader.received, 0);
        assert.ok(written < 64 * 1024 * 1024, `wrote ${written} bytes before stalling`);
        reader.transport!.resumeReading();
        await reader.waitFor(written, loop);
        transport.close();
        await writer.lost;
        await reader.lost;
        assert.equal(reader.received, written);
        assert.equal(receivedWhilePaused, 0);
        server.close();
        await server.waitClosed();
      })
    );
  });

  for (const family of ["TCP", "Unix"]) {
    Deno.test(`${name}: a peer that goes away in the middle of sendfile() over ${family}: the error reaches the caller`, async () => {
      const SIZE = 32 * 1024 * 1024;
      const file = await Deno.makeTempFile({ prefix: "aio_sendfile_" });
      await Deno.writeFile(file, new Uint8Array(SIZE).fill(1));
      const errors: ExceptionContext[] = [];
      try {
        await withDir((dir) =>
          onLoop(make, async (loop) => {
            // The peer aborts once it has 64 KiB, with more unread: a reset.
            const quitter = () =>
              new (class extends Recorder {
                override dataReceived(data: Uint8Array): void {
                  super.dataReceived(data);
                  if (this.received >= 64 * 1024) this.transport!.abort();
                }
              })(loop);
            let server: Server;
            let served: Recorder[];
            let transport: Transport;
            let client: Recorder;
            if (family === "Unix") {
              [server, served] = await unixServer(loop, `${dir}/sf.sock`, quitter);
              [transport, client] = await loop.createUnixConnection(
                () => new Recorder(loop),
                `${dir}/sf.sock`,
              );
            } else {
              served = [];
              server = await loop.createServer(
                () => {
                  const p = quitter();
                  served.push(p);
                  return p;
                },
                "127.0.0.1",
                0,
              ) as Server;
              [transport, client] = await loop.createConnection(
                () => new Recorder(loop),
                ...addressOf(server),
              );
            }
            using f = await Deno.open(file);
            await assert.rejects(loop.sendfile(transport, f), (err) => {
              assert.ok(isPeerError(err), String(err));
              return true;
            });
            // The transport's own protocol hears of the loss, once.
            await client.lost;
            assert.equal(client.lostCount, 1);
            assert.ok(isPeerError(client.lostWith), String(client.lostWith));
            assert.equal(transport.getProtocol(), client);
            await served[0].lost;
            server.close();
            await server.waitClosed();
          }, errors)
        );
      } finally {
        await Deno.remove(file);
      }
      assert.deepEqual(errors, [], "a reset of the peer's making is not logged");
    });
  }
}
