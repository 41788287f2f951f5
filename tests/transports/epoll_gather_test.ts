/**
 * Gather sends (`sendmsg` of several buffers) of `SelectorSocketTransport`
 * on descriptors: a backlog of several queued chunks and `writelines()` on
 * an idle transport leave together, in order, across partial sends (small
 * socket buffers and a reader that reads a little at a time), more than
 * `IOV_MAX` buffers at once, and a broken pipe is reported as the other
 * send errors are.
 */
import assert from "node:assert/strict";
import type { SelectorEventLoop } from "../../loop/mod.ts";
import { createFdSocket, type FdSocket, Protocol } from "../../transports/mod.ts";
import { FFI, onEpoll } from "./_epoll.ts";
import { bytes, Recorder } from "./_helpers.ts";

// SOL_SOCKET options (asm-generic), to make the socket buffers small.
const SOL_SOCKET = 1;
// The pending error of a socket.
const SO_ERROR = 4;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;

// A connection whose client receives into a small buffer.
async function pair(
  loop: SelectorEventLoop,
): Promise<{ server: FdSocket; client: FdSocket; conn: FdSocket }> {
  const server = createFdSocket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  const client = createFdSocket();
  client.setsockopt(SOL_SOCKET, SO_RCVBUF, 4096);
  const accepting = loop.sockAccept(server);
  await loop.sockConnect(client, server.getsockname());
  const [conn] = await accepting;
  return { server, client, conn };
}

// The sender's socket buffer made small (`size` bytes, which Linux doubles):
// larger sends are partial.
function smallSendBuffer(sock: FdSocket, size = 4096): void {
  sock.setsockopt(SOL_SOCKET, SO_SNDBUF, size);
}

// The byte at `pos` of the test stream: no short period, so a chunk sent
// twice, dropped or out of order shows.
function byteAt(pos: number): number {
  return (pos * 131 ^ pos >>> 8 ^ pos >>> 16) & 0xff;
}

// `n` bytes of the stream from `pos`, as a view at a non-zero offset of a larger buffer.
function streamView(pos: number, n: number): Uint8Array {
  const buf = new Uint8Array(n + 3);
  for (let i = 0; i < n; i++) buf[i + 3] = byteAt(pos + i);
  return buf.subarray(3);
}

// Reads the stream from `from` to `total` from `sock`, at most `readSize`
// bytes a time, checking each byte; `onRead` runs after each read.
async function readStream(
  loop: SelectorEventLoop,
  sock: FdSocket,
  [from, total]: [number, number],
  readSize: number,
  onRead: () => void = () => {},
): Promise<void> {
  let received = from;
  while (received < total) {
    const data = await loop.sockRecv(sock, readSize);
    assert.ok(data.length > 0, `end of file after ${received} of ${total} bytes`);
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== byteAt(received + i)) {
        assert.fail(`byte ${received + i}: ${data[i]}, expected ${byteAt(received + i)}`);
      }
    }
    received += data.length;
    onRead();
  }
}

Deno.test({
  name:
    "SelectorEventLoop(epoll) socket transport sends a backlog of many chunks in order across partial gather sends",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const { server, client, conn } = await pair(loop);
      smallSendBuffer(conn);
      const [st] = await loop.connectAcceptedSocket(() => new Protocol(), conn);
      // Rounds of a write larger than the transport's copy buffer (a chunk of
      // its own) and small writes (joined into another): the queue always
      // holds several chunks, and the caller's buffers are reused at once.
      const sizes = [200_000, 1, 700, 4096, 13, 65_536, 9];
      const total = 40 * sizes.reduce((a, b) => a + b, 0);
      let written = 0;
      const writeRound = () => {
        for (const size of sizes) {
          const n = Math.min(size, total - written);
          if (n === 0) return;
          const data = streamView(written, n);
          st.write(data);
          data.fill(0xee);
          written += n;
        }
      };
      writeRound();
      assert.ok(st.getWriteBufferSize() > 0, "the kernel did not take the first round at once");
      // Reads of 16 KiB, each followed by another round while there is one to write.
      await readStream(loop, client, [0, total], 16 * 1024, () => {
        if (written < total) writeRound();
      });
      assert.equal(written, total);
      assert.equal(st.getWriteBufferSize(), 0);
      st.close();
      client.close();
      server.close();
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) socket transport writelines() on an idle descriptor sends more than IOV_MAX buffers, then copies only the unsent rest",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const { server, client, conn } = await pair(loop);
      const [st] = await loop.connectAcceptedSocket(() => new Protocol(), conn);
      // 2,500 buffers of 1 to 8 bytes (small arrays live in the V8 heap): more
      // than IOV_MAX (1,024) for one sendmsg, and few bytes, so all of them
      // leave now, in three gather sends.
      const tiny: Uint8Array[] = [];
      let pos = 0;
      for (let i = 0; i < 2500; i++) {
        const n = 1 + i % 8;
        const data = new Uint8Array(n);
        for (let k = 0; k < n; k++) data[k] = byteAt(pos + k);
        tiny.push(data);
        pos += n;
      }
      tiny.splice(7, 0, new Uint8Array(0)); // an empty buffer is skipped
      st.writelines(tiny);
      assert.equal(st.getWriteBufferSize(), 0, "every buffer was sent at once");
      await readStream(loop, client, [0, pos], 7919);
      smallSendBuffer(conn, 64 * 1024);
      const start = pos;
      // Then 600 buffers of 4,000 bytes (views at an offset), far more than
      // the socket buffers take: the kernel takes part, the rest is copied
      // once, and the caller may reuse its buffers at once.
      const big: Uint8Array[] = [];
      for (let i = 0; i < 600; i++) {
        big.push(streamView(pos, 4000));
        pos += 4000;
      }
      st.writelines(big);
      assert.equal(st.getWriteBufferSize(), 600 * 4000, "in flight until all of it left");
      assert.equal(conn._writable(), false, "the kernel did not take all of it at once");
      for (const data of big) data.fill(0xee);
      await readStream(loop, client, [start, pos], 7919);
      assert.equal(st.getWriteBufferSize(), 0);
      st.close();
      client.close();
      server.close();
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) socket transport reports a broken pipe in a gather send to connectionLost()",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const { server, client, conn } = await pair(loop);
      const [st, rec] = await loop.connectAcceptedSocket(() => {
        const p = new Recorder(loop);
        p.keepOpenOnEof = true;
        return p;
      }, conn);
      // The peer closes: our end is in CLOSE_WAIT. What we send then is
      // answered with a reset, which the kernel turns into EPIPE there.
      client.close();
      await rec.eof;
      st.write(bytes("reset me"));
      // The reset comes back through the kernel's receive path, normally
      // before send() returns on loopback; wait until it set the socket's
      // pending error (EPIPE in CLOSE_WAIT), so the gather send below is the
      // one that meets the closed connection.
      for (let i = 0; i < 2000 && conn.getsockopt(SOL_SOCKET, SO_ERROR) === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      st.writelines([bytes("broken "), bytes("pipe")]);
      await rec.lost;
      assert.ok(rec.lostWith instanceof Deno.errors.BrokenPipe, String(rec.lostWith));
      assert.equal((rec.lostWith as { code?: string }).code, "EPIPE");
      assert.match((rec.lostWith as Error).message, /^Cannot send: .*\(os error 32\)$/);
      assert.equal(conn.fileno(), -1, "the transport closed its socket");
      server.close();
    });
  },
});
