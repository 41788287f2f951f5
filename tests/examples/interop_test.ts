/**
 * `examples/echo_server.ts` on both loops against clients no one here wrote: CPython's asyncio
 * streams client and OpenBSD `nc -N` (which half-closes at the end of its input). Each test is
 * skipped when its tool is missing. (`curl` and `ab` against the HTTP sample are in
 * `http_server_test.ts`.)
 */
import assert from "node:assert/strict";
import { have, LOOP_NAMES, output, payload, startSample } from "./_sample.ts";

const PYTHON = await have("python3", ["-V"]);
// OpenBSD netcat: `-N` shuts the socket down for writing at the end of the input.
const NC = await have("sh", ["-c", "nc -h 2>&1 | grep -q -- -N"]);

const SIZE = 500_000;

/** asyncio streams client: many lines, then a large block; half-closes and expects EOF. */
const PY_CLIENT = `
import asyncio, sys
async def main(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for i in range(1000):
        writer.write(b"line %d\\n" % i)
    await writer.drain()
    for i in range(1000):
        assert await reader.readline() == b"line %d\\n" % i
    block = bytes(range(256)) * (${SIZE} // 256)
    writer.write(block)
    writer.write_eof()
    assert await reader.read() == block, "echo differs"
    writer.close()
    await writer.wait_closed()
    print("ok")
asyncio.run(main(int(sys.argv[1])))
`;

for (const loop of LOOP_NAMES) {
  Deno.test({
    name: `echo_server.ts (--loop=${loop}) serves CPython's asyncio streams client`,
    ignore: !PYTHON,
    fn: async () => {
      await using server = startSample("echo_server.ts", ["127.0.0.1", "0", `--loop=${loop}`]);
      const port = await server.port();
      const result = await output("python3", ["-c", PY_CLIENT, `${port}`]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(new TextDecoder().decode(result.stdout), "ok\n");
      await server.interrupt();
    },
  });

  Deno.test({
    name: `echo_server.ts (--loop=${loop}) serves nc -N`,
    ignore: !NC,
    fn: async () => {
      await using server = startSample("echo_server.ts", ["127.0.0.1", "0", `--loop=${loop}`]);
      const port = await server.port();
      const data = payload(SIZE);
      const result = await output("nc", ["-N", "127.0.0.1", `${port}`], data);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(result.stdout, data);
      await server.interrupt();
    },
  });
}
