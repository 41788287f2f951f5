/**
 * `examples/http_server.ts`, run as a child process on both loops: keep-alive, pipelining,
 * `Connection: close`, HTTP/1.0, the error statuses, and clients no one here wrote (`curl`, and
 * `ab` as a load tool; each test is skipped when its tool is missing).
 */
import assert from "node:assert/strict";
import { run } from "../../mod.ts";
import { openConnection } from "../../streams/mod.ts";
import { have, LOOP_NAMES, output, type Sample, startSample } from "./_sample.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const CURL = await have("curl", ["--version"]);
const AB = await have("ab", ["-V"]);

/** Runs `command` and returns its exit code, stdout and stderr as text. */
async function textOutput(command: string, args: string[]): Promise<[number, string, string]> {
  const { code, stdout, stderr } = await output(command, args);
  return [code, decoder.decode(stdout), stderr];
}

/** Sends `raw` on one connection, half-closes, and returns all the replies. */
async function exchange(port: number, raw: string): Promise<string> {
  return await run(async () => {
    const [reader, writer] = await openConnection("127.0.0.1", port);
    writer.write(encoder.encode(raw));
    writer.writeEof();
    const reply = decoder.decode(await reader.read(-1));
    writer.close();
    return reply;
  });
}

/** The status lines of the responses in `reply`. */
function statuses(reply: string): string[] {
  return [...reply.matchAll(/^HTTP\/1\.1 (\d{3} [^\r]*)\r$/gm)].map((m) => m[1]);
}

async function withServer(loop: string, main: (port: number) => Promise<void>): Promise<void> {
  await using server: Sample = startSample("http_server.ts", ["127.0.0.1", "0", `--loop=${loop}`]);
  await main(await server.port());
  await server.interrupt();
  assert.match(server.stdout.lines.join("\n"), /http server closed/);
}

const GET = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";
const CLOSE = "GET /last HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";

for (const loop of LOOP_NAMES) {
  Deno.test({
    name: `http_server.ts (--loop=${loop}) serves curl, two URLs on one connection`,
    ignore: !CURL,
    fn: () =>
      withServer(loop, async (port) => {
        const url = `http://127.0.0.1:${port}`;
        const [code, stdout, stderr] = await textOutput("curl", [
          "-sS",
          "-v",
          "--http1.1",
          `${url}/`,
          `${url}/again`,
        ]);
        assert.equal(code, 0, stderr);
        assert.equal(stdout, "Hello, world!\nHello, world!\n");
        assert.match(stderr, /Re-using existing connection/);
        assert.match(stderr, /< Content-Length: 14/);
        const [headCode, head] = await textOutput("curl", ["-sS", "-I", `${url}/`]);
        assert.equal(headCode, 0);
        assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(head, /\r\nContent-Length: 14\r\n/);
        const [postCode, post] = await textOutput("curl", ["-sS", "-d", "name=value", `${url}/`]);
        assert.equal(postCode, 0);
        assert.equal(post, "405 Method Not Allowed\n");
      }),
  });

  Deno.test({
    name: `http_server.ts (--loop=${loop}) takes ab's keep-alive load without a failure`,
    ignore: !AB,
    fn: () =>
      withServer(loop, async (port) => {
        const [code, stdout, stderr] = await textOutput("ab", [
          "-k",
          "-n",
          "2000",
          "-c",
          "8",
          `http://127.0.0.1:${port}/`,
        ]);
        assert.equal(code, 0, stderr);
        assert.match(stdout, /Complete requests:\s+2000\n/);
        assert.match(stdout, /Failed requests:\s+0\n/);
        assert.match(stdout, /Keep-Alive requests:\s+2000\n/);
      }),
  });

  Deno.test(`http_server.ts (--loop=${loop}) answers pipelined requests in order`, () =>
    withServer(loop, async (port) => {
      const reply = await exchange(
        port,
        GET + "HEAD / HTTP/1.1\r\n\r\n" +
          "POST /form HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" + GET + CLOSE + GET,
      );
      // The request after `Connection: close` is not answered.
      assert.deepEqual(statuses(reply), [
        "200 OK",
        "200 OK",
        "405 Method Not Allowed",
        "200 OK",
        "200 OK",
      ]);
      assert.equal(reply.match(/Hello, world!\n/g)?.length, 3);
      assert.match(reply, /Connection: close\r\n\r\nHello, world!\n$/);
    }));

  Deno.test(`http_server.ts (--loop=${loop}) closes HTTP/1.0 connections unless kept alive`, () =>
    withServer(loop, async (port) => {
      assert.deepEqual(statuses(await exchange(port, "GET / HTTP/1.0\r\n\r\n" + GET)), ["200 OK"]);
      const kept = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
      assert.deepEqual(statuses(await exchange(port, kept + CLOSE)), ["200 OK", "200 OK"]);
    }));

  Deno.test(`http_server.ts (--loop=${loop}) rejects bad requests and closes`, () =>
    withServer(loop, async (port) => {
      const cases: [string, string][] = [
        ["GET /\r\n\r\n", "400 Bad Request"],
        ["GET / HTTP/1.1 extra\r\n\r\n", "400 Bad Request"],
        ["GET / HTTP/1.1\r\nno colon here\r\n\r\n", "400 Bad Request"],
        ["GET / HTTP/1.1\r\nContent-Length: ten\r\n\r\n", "400 Bad Request"],
        ["GET / HTTP/2.0\r\n\r\n", "505 HTTP Version Not Supported"],
        [
          "GET / HTTP/1.1\r\nX-Big: " + "a".repeat(9000) + "\r\n\r\n",
          "431 Request Header Fields Too Large",
        ],
        [
          "GET / HTTP/1.1\r\n" + "X-A: b\r\n".repeat(101) + "\r\n",
          "431 Request Header Fields Too Large",
        ],
        ["POST / HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", "413 Content Too Large"],
        ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "501 Not Implemented"],
      ];
      for (const [request, status] of cases) {
        // The request after the bad one is never answered: the connection is closed.
        const reply = await exchange(port, request + GET);
        assert.deepEqual(statuses(reply), [status], request.slice(0, 40));
        assert.match(reply, /Connection: close\r\n/);
      }
      // A client that leaves in the middle of a request head is just gone.
      assert.equal(await exchange(port, "GET / HT"), "");
    }));
}
