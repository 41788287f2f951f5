/**
 * Interop with peers no one here wrote (issue 5 item 7), on both loops (`LOOPS`): a project
 * echo server talked to by CPython's own asyncio client, and a project client
 * (`createConnection`) talking to a CPython asyncio echo server. Both peers run as `python3`
 * child processes; the tests are skipped only when `python3` is missing.
 */
import assert from "node:assert/strict";
import type { ExceptionContext } from "../../loop/mod.ts";
import type { Server } from "../../transports/mod.ts";
import { addressOf, Echo, LOOPS, onLoop, Recorder } from "./_helpers.ts";

/** Whether `python3` runs here; checked once, before the tests are registered. */
async function havePython(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("python3", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

const PYTHON = await havePython();
const SKIP = PYTHON ? "" : " (skipped: python3 is not installed)";

/** A payload of `n` bytes that is not all one value, so a reordering would show. */
function payload(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

const SIZE = 200_000;

/** Connects with asyncio streams, sends SIZE bytes, reads them back, half-closes, waits for EOF. */
const PY_CLIENT = `
import asyncio, sys
SIZE = ${SIZE}
data = bytes(((i * 7 + (i >> 8)) & 0xff) for i in range(SIZE))
async def main(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    got = await reader.readexactly(SIZE)
    assert got == data, "echo differs"
    writer.write_eof()
    rest = await reader.read()
    assert rest == b"", rest
    writer.close()
    await writer.wait_closed()
    print("ok", len(got))
asyncio.run(main(int(sys.argv[1])))
`;

/** An asyncio.Protocol echo server on 127.0.0.1 port 0; prints its port, then serves. */
const PY_SERVER = `
import asyncio
class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
    def data_received(self, data):
        self.transport.write(data)
async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Echo, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
`;

/** Reads the first line of `stream` and hands back the line and the still-open reader. */
async function firstLine(
  stream: ReadableStream<Uint8Array>,
): Promise<[string, ReadableStreamDefaultReader<Uint8Array>]> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return [text.split("\n")[0].trim(), reader];
}

for (const [name, make] of LOOPS) {
  Deno.test({
    name: `${name}: CPython's asyncio client talks to a project echo server${SKIP}`,
    ignore: !PYTHON,
    async fn() {
      const errors: ExceptionContext[] = [];
      await onLoop(make, async (loop) => {
        const served: Echo[] = [];
        const server: Server = await loop.createServer(
          () => {
            const p = new Echo(loop);
            served.push(p);
            return p;
          },
          "127.0.0.1",
          0,
        );
        const [, port] = addressOf(server);
        const out = await new Deno.Command("python3", {
          args: ["-c", PY_CLIENT, String(port)],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 0, stderr);
        assert.equal(new TextDecoder().decode(out.stdout).trim(), `ok ${SIZE}`);
        assert.equal(served.length, 1);
        await served[0].lost;
        assert.equal(served[0].received, SIZE);
        assert.deepEqual(served[0].events, ["made", "data", "eof", "lost"]);
        assert.equal(served[0].lostWith, null);
        server.close();
        await server.waitClosed();
      }, errors);
      assert.deepEqual(errors, []);
    },
  });

  Deno.test({
    name: `${name}: a project client talks to CPython's asyncio echo server${SKIP}`,
    ignore: !PYTHON,
    async fn() {
      const errors: ExceptionContext[] = [];
      const child = new Deno.Command("python3", {
        args: ["-c", PY_SERVER],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const [line, stdout] = await firstLine(child.stdout);
      try {
        const port = Number(line);
        assert.ok(port > 0 && port < 65536, `python server printed ${JSON.stringify(line)}`);
        await onLoop(make, async (loop) => {
          const [transport, client] = await loop.createConnection(
            () => new Recorder(loop),
            "127.0.0.1",
            port,
          );
          assert.deepEqual(transport.getExtraInfo("peername"), ["127.0.0.1", port]);
          const data = payload(SIZE);
          transport.write(data);
          await client.waitFor(SIZE, loop);
          const got = new Uint8Array(SIZE);
          let off = 0;
          for (const c of client.chunks) {
            got.set(c, off);
            off += c.length;
          }
          assert.deepEqual(got, data);
          // asyncio's default eof_received() closes its side: we see EOF, then the loss.
          assert.equal(transport.canWriteEof(), true);
          transport.writeEof();
          await client.lost;
          assert.deepEqual(client.events, ["made", "data", "eof", "lost"]);
          assert.equal(client.lostWith, null);
        }, errors);
      } finally {
        child.kill("SIGTERM");
        await child.status;
        await stdout.cancel();
        await child.stderr.cancel();
      }
      assert.deepEqual(errors, []);
    },
  });
}
