/**
 * `loop.sendfile()` and `loop.sockSendfile()` (asyncio's chunked fallback; Deno has no
 * zero-copy path) over loopback with a temp file, on both loops (`LOOPS`).
 */
import assert from "node:assert/strict";
import { type ExceptionContext, RuntimeError, SendfileNotAvailableError } from "../../loop/mod.ts";
import { createSocket } from "../../transports/mod.ts";
import { addressOf, LOOPS, onLoop, Recorder } from "./_helpers.ts";

const SIZE = 1024 * 1024 + 123;

/** A temp file of SIZE bytes that are not all one value; removed by the returned function. */
async function tempFile(): Promise<[path: string, data: Uint8Array, remove: () => Promise<void>]> {
  const data = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) data[i] = (i * 31 + (i >> 10)) & 0xff;
  const path = await Deno.makeTempFile({ prefix: "sendfile_test_" });
  await Deno.writeFile(path, data);
  return [path, data, () => Deno.remove(path)];
}

function joined(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: sendfile() sends a file range over a transport with flow control, then gives the transport back`, async () => {
    const [path, data, remove] = await tempFile();
    const errors: ExceptionContext[] = [];
    try {
      await onLoop(make, async (loop) => {
        const served: Recorder[] = [];
        const server = await loop.createServer(
          () => {
            const p = new Recorder(loop);
            served.push(p);
            return p;
          },
          "127.0.0.1",
          0,
        );
        const [host, port] = addressOf(server);
        const [transport, client] = await loop.createConnection(
          () => new Recorder(loop),
          host,
          port,
        );
        transport.setWriteBufferLimits({ high: 8192 }); // many pause/resume rounds
        using file = await Deno.open(path);
        const sent = await loop.sendfile(transport, file, 1000, 500_000);
        assert.equal(sent, 500_000);
        assert.equal(await file.seek(0, Deno.SeekMode.Current), 501_000);
        assert.equal(transport.getProtocol(), client);
        assert.equal(transport.isReading(), true);
        // The rest of the file (count null), then an ordinary write: order is kept.
        assert.equal(await loop.sendfile(transport, file, 501_000), SIZE - 501_000);
        transport.write(new Uint8Array([1, 2, 3]));
        await served[0].made;
        await served[0].waitFor(SIZE - 1000 + 3, loop);
        const got = joined(served[0].chunks);
        assert.deepEqual(got.subarray(0, SIZE - 1000), data.subarray(1000));
        assert.deepEqual(got.subarray(SIZE - 1000), new Uint8Array([1, 2, 3]));
        assert.deepEqual(client.events, ["made"]);

        // Bad calls.
        await assert.rejects(
          loop.sendfile(transport, file, 0, null, { fallback: false }),
          (e) => e instanceof SendfileNotAvailableError && e instanceof RuntimeError,
        );
        await assert.rejects(loop.sendfile(transport, file, -1), RangeError);
        await assert.rejects(loop.sendfile(transport, file, 0, 0), RangeError);
        await assert.rejects(loop.sendfile(transport, "nope"), TypeError);
        await assert.rejects(loop.sendfile({}, file), RuntimeError);
        transport.close();
        await assert.rejects(loop.sendfile(transport, file), /Transport is closing/);
        await client.lost;
        await served[0].lost;
        server.close();
        await server.waitClosed();
      }, errors);
    } finally {
      await remove();
    }
    assert.deepEqual(errors, []);
  });
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: sockSendfile() sends a file range over a socket object`, async () => {
    const [path, data, remove] = await tempFile();
    try {
      await onLoop(make, async (loop) => {
        const server = createSocket();
        server.bind(["127.0.0.1", 0]);
        server.listen();
        const client = createSocket();
        const accepting = loop.sockAccept(server);
        await loop.sockConnect(client, server.getsockname());
        const [conn] = await accepting;
        using file = await Deno.open(path);
        const receiving = (async () => {
          const chunks: Uint8Array[] = [];
          for (;;) {
            const b = await loop.sockRecv(conn, 65536);
            if (b.length === 0) return joined(chunks);
            chunks.push(b);
          }
        })();
        assert.equal(await loop.sockSendfile(client, file, 7, 300_000), 300_000);
        assert.equal(await file.seek(0, Deno.SeekMode.Current), 300_007);
        assert.equal(await loop.sockSendfile(client, file, 300_007), SIZE - 300_007);
        await assert.rejects(
          loop.sockSendfile(client, file, 0, null, { fallback: false }),
          SendfileNotAvailableError,
        );
        client.close();
        assert.deepEqual(await receiving, data.subarray(7));
        for (const s of [conn, server]) s.close();
      });
    } finally {
      await remove();
    }
  });
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: sockSendfile(..., { fallback: false }) raises SendfileNotAvailableError`, async () => {
    await onLoop(make, async (loop) => {
      const file = { read: () => Promise.resolve(null) };
      await assert.rejects(
        loop.sockSendfile(createSocket(), file, 0, null, { fallback: false }),
        SendfileNotAvailableError,
      );
      await assert.rejects(loop.sockSendfile(createSocket(), file, -1), RangeError);
    });
  });
}
