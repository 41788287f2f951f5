/**
 * `examples/echo_server.ts` and `examples/echo_client.ts`, run as child processes on both loops.
 */
import assert from "node:assert/strict";
import { gather, run } from "../../mod.ts";
import { openConnection } from "../../streams/mod.ts";
import { LOOP_NAMES, payload, startSample } from "./_sample.ts";

/** Sends `data` to the echo server at `port`, half-closes, and returns all it sends back. */
async function roundTrip(port: number, data: Uint8Array): Promise<Uint8Array> {
  const [reader, writer] = await openConnection("127.0.0.1", port);
  writer.write(data);
  writer.writeEof();
  const back = await reader.read(-1);
  writer.close();
  await writer.waitClosed();
  return back;
}

for (const loop of LOOP_NAMES) {
  Deno.test(`echo_server.ts (--loop=${loop}) echoes concurrent clients until they half-close`, async () => {
    await using server = startSample("echo_server.ts", ["127.0.0.1", "0", `--loop=${loop}`]);
    const port = await server.port();
    const sent = [payload(300_000, 1), payload(10, 2), payload(70_000, 3)];
    const got = await run(() => gather(...sent.map((data) => () => roundTrip(port, data))));
    assert.deepEqual(got, sent);
    await server.interrupt();
    assert.match(server.stdout.lines.join("\n"), /echo server closed/);
  });

  Deno.test(`echo_server.ts (--loop=${loop}) closes open connections on Ctrl-C`, async () => {
    await using server = startSample("echo_server.ts", ["127.0.0.1", "0", `--loop=${loop}`]);
    const port = await server.port();
    await run(async () => {
      const [reader, writer] = await openConnection("127.0.0.1", port);
      writer.write(new TextEncoder().encode("still here\n"));
      assert.equal(new TextDecoder().decode(await reader.readline()), "still here\n");
      server.child.kill("SIGINT");
      assert.equal((await reader.read(100)).length, 0); // the server closed the connection
      writer.close();
    });
    const status = await server.exited();
    assert.equal(status.code, 0, server.stderr.text());
  });

  Deno.test(`echo_client.ts (--loop=${loop}) sends its input and prints the echo`, async () => {
    await using server = startSample("echo_server.ts", ["127.0.0.1", "0"]);
    const port = await server.port();
    await using client = startSample("echo_client.ts", ["127.0.0.1", `${port}`, `--loop=${loop}`], {
      stdin: true,
    });
    const text = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join("");
    const stdin = client.child.stdin.getWriter();
    await stdin.write(new TextEncoder().encode(text));
    await stdin.close();
    const status = await client.exited();
    assert.equal(status.code, 0, client.stderr.text());
    assert.equal(client.stdout.lines.join("\n"), text.slice(0, -1));
    assert.match(client.stderr.lines[0], /^connected to 127\.0\.0\.1:\d+$/);
    await server.interrupt();
  });

  Deno.test(`echo_client.ts (--loop=${loop}) exits cleanly on Ctrl-C`, async () => {
    await using server = startSample("echo_server.ts", ["127.0.0.1", "0"]);
    const port = await server.port();
    await using client = startSample("echo_client.ts", ["127.0.0.1", `${port}`, `--loop=${loop}`], {
      stdin: true,
    });
    await client.stderr.waitFor(/connected to/);
    client.child.kill("SIGINT");
    const status = await client.exited();
    await client.child.stdin.close();
    assert.equal(status.code, 0, client.stderr.text());
    await server.interrupt();
  });
}

Deno.test("echo_server.ts rejects a bad port with a usage error", async () => {
  await using server = startSample("echo_server.ts", ["127.0.0.1", "http"]);
  const status = await server.exited();
  assert.equal(status.code, 2);
  assert.match(server.stderr.lines.join("\n"), /PORT must be a port number .*: received http/);
});
