/**
 * Streams against peers no one here wrote (issue 6 item 4), on both loops: a `startServer` echo
 * server talked to by CPython's asyncio streams client and by `socat`, and an `openConnection`
 * client talking to a CPython asyncio streams echo server and to `socat ... SYSTEM:cat`. The
 * peers run as child processes; each test is skipped when its tool is missing.
 */
import assert from "node:assert/strict";
import { ProactorEventLoop, run, SelectorEventLoop } from "../../mod.ts";
import {
  openConnection,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "../../streams/mod.ts";
import { have, output, payload } from "../examples/_sample.ts";

const LOOPS: [string, () => ProactorEventLoop | SelectorEventLoop][] = [
  ["ProactorEventLoop", () => new ProactorEventLoop()],
  ["SelectorEventLoop", () => new SelectorEventLoop()],
];

const PYTHON = await have("python3", ["-V"]);
const SOCAT = await have("socat", ["-V"]);

const SIZE = 256 * 1200;

/** asyncio streams client: sends SIZE bytes, reads them back, a line, half-closes, expects EOF. */
const PY_CLIENT = `
import asyncio, sys
SIZE = ${SIZE}
data = bytes(range(256)) * (SIZE // 256)
async def main(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    got = await reader.readexactly(SIZE)
    assert got == data, "echo differs"
    writer.write(b"last line\\n")
    assert await reader.readline() == b"last line\\n"
    writer.write_eof()
    assert await reader.read() == b""
    writer.close()
    await writer.wait_closed()
    print("ok", len(got))
asyncio.run(main(int(sys.argv[1])))
`;

/** asyncio streams echo server on 127.0.0.1 port 0: prints its port, echoes until EOF, half-closes. */
const PY_SERVER = `
import asyncio
async def echo(reader, writer):
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.write_eof()
    await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()
asyncio.run(main())
`;

/** The streams echo server under test: read, write, drain; half-closes at the client's EOF. */
async function echo(reader: StreamReader, writer: StreamWriter): Promise<void> {
  for (let data = await reader.read(65536); data.length > 0; data = await reader.read(65536)) {
    writer.write(data);
    await writer.drain();
  }
  writer.writeEof();
  await writer.drain();
  writer.close();
}

/** Starts a long-running peer and reads the first match of `pattern` in its output. */
async function startPeer(
  command: string,
  args: string[],
  pattern: RegExp,
  stream: "stdout" | "stderr",
): Promise<{ child: Deno.ChildProcess; port: number; stop(): Promise<void> }> {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const other = stream === "stdout" ? child.stderr : child.stdout;
  const drained = other.pipeTo(new WritableStream());
  const reader = child[stream].pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let match: RegExpMatchArray | null = null;
  while (match === null) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${command} ended before printing its port: ${text}`);
    text += value;
    match = text.match(pattern);
  }
  const rest = (async () => {
    while (!(await reader.read()).done);
  })();
  return {
    child,
    port: Number(match[1]),
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // It has exited by itself.
      }
      await Promise.all([child.status, drained, rest]);
    },
  };
}

/** Connects with `openConnection`, echoes a payload through the peer, half-closes, expects EOF. */
async function clientRoundTrip(port: number): Promise<void> {
  const [reader, writer] = await openConnection("127.0.0.1", port);
  const data = payload(SIZE);
  writer.write(data);
  await writer.drain();
  assert.deepEqual(await reader.readexactly(SIZE), data);
  writer.write(new TextEncoder().encode("one\ntwo\n"));
  assert.equal(new TextDecoder().decode(await reader.readline()), "one\n");
  writer.writeEof();
  assert.equal(new TextDecoder().decode(await reader.read(-1)), "two\n");
  assert.ok(reader.atEof());
  writer.close();
  await writer.waitClosed();
}

for (const [name, make] of LOOPS) {
  Deno.test({
    name: `startServer() on ${name} serves CPython's asyncio streams client`,
    ignore: !PYTHON,
    fn: () =>
      run(async () => {
        await using server = await startServer(echo, "127.0.0.1", 0);
        const [, port] = server.sockets[0].getsockname() as [string, number];
        const { code, stdout, stderr } = await output("python3", ["-c", PY_CLIENT, `${port}`]);
        assert.equal(code, 0, stderr);
        assert.equal(new TextDecoder().decode(stdout), `ok ${SIZE}\n`);
      }, { loopFactory: make }),
  });

  Deno.test({
    name: `startServer() on ${name} serves socat, which half-closes at the end of its input`,
    ignore: !SOCAT,
    fn: () =>
      run(async () => {
        await using server = await startServer(echo, "127.0.0.1", 0);
        const [, port] = server.sockets[0].getsockname() as [string, number];
        const data = payload(SIZE);
        // -t 5: after its input ends, socat waits up to 5 s for our end of file.
        const result = await output("socat", ["-t", "5", "-", `TCP:127.0.0.1:${port}`], data);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(result.stdout, data);
      }, { loopFactory: make }),
  });

  Deno.test({
    name: `openConnection() on ${name} talks to CPython's asyncio streams echo server`,
    ignore: !PYTHON,
    fn: async () => {
      const peer = await startPeer("python3", ["-c", PY_SERVER], /^(\d+)\n/, "stdout");
      try {
        await run(() => clientRoundTrip(peer.port), { loopFactory: make });
      } finally {
        await peer.stop();
      }
    },
  });

  Deno.test({
    name: `openConnection() on ${name} talks to socat running cat`,
    ignore: !SOCAT,
    fn: async () => {
      const peer = await startPeer(
        "socat",
        ["-d", "-d", "TCP-LISTEN:0,bind=127.0.0.1", "SYSTEM:cat"],
        /listening on AF=2 127\.0\.0\.1:(\d+)/,
        "stderr",
      );
      try {
        await run(() => clientRoundTrip(peer.port), { loopFactory: make });
        // socat serves one connection and exits once cat has echoed our end of file.
        assert.equal((await peer.child.status).code, 0);
      } finally {
        await peer.stop();
      }
    },
  });
}
