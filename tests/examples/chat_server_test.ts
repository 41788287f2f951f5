/**
 * `examples/chat_server.ts`, run as a child process on both loops: names, broadcast, departures,
 * a client that never reads being dropped without holding up the others, and Ctrl-C.
 */
import assert from "node:assert/strict";
import { run, timeout } from "../../mod.ts";
import { openConnection, type StreamReader, type StreamWriter } from "../../streams/mod.ts";
import { LOOP_NAMES, startSample } from "./_sample.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A chat connection seen from the client side. */
class Chatter {
  constructor(readonly reader: StreamReader, readonly writer: StreamWriter) {}

  static async join(port: number, name: string): Promise<Chatter> {
    const [reader, writer] = await openConnection("127.0.0.1", port);
    const chatter = new Chatter(reader, writer);
    assert.equal(await chatter.line(), "Welcome! What is your name?");
    chatter.say(name);
    return chatter;
  }

  say(line: string): void {
    this.writer.write(encoder.encode(line + "\n"));
  }

  /** The next line without its newline; "" at the end of the stream. */
  async line(): Promise<string> {
    const line = await timeout(10, () => this.reader.readline());
    return decoder.decode(line).replace(/\n$/, "");
  }

  /** Reads lines until one equals `wanted`; returns those before it. */
  async until(wanted: string): Promise<string[]> {
    const seen: string[] = [];
    for (let line = await this.line(); line !== wanted; line = await this.line()) {
      if (line === "") throw new Error(`The stream ended before '${wanted}': ${seen.join("|")}`);
      seen.push(line);
    }
    return seen;
  }

  async close(): Promise<void> {
    this.writer.close();
    await this.writer.waitClosed().catch(() => {});
  }
}

for (const loop of LOOP_NAMES) {
  Deno.test(`chat_server.ts (--loop=${loop}) broadcasts lines, joins and departures`, async () => {
    await using server = startSample("chat_server.ts", ["127.0.0.1", "0", `--loop=${loop}`]);
    const port = await server.port();
    await run(async () => {
      const alice = await Chatter.join(port, "alice");
      assert.equal(await alice.line(), "* Hello alice! Online: nobody else");
      const bob = await Chatter.join(port, "bob");
      assert.equal(await bob.line(), "* Hello bob! Online: alice");
      assert.equal(await alice.line(), "* bob joined");

      const impostor = await Chatter.join(port, "alice");
      assert.equal(await impostor.line(), "The name 'alice' is empty or taken. Another one?");
      impostor.say("carol");
      assert.equal(await impostor.line(), "* Hello carol! Online: alice, bob");
      assert.equal(await alice.line(), "* carol joined");
      assert.equal(await bob.line(), "* carol joined");

      alice.say("hi all");
      assert.equal(await bob.line(), "alice: hi all");
      assert.equal(await impostor.line(), "alice: hi all");
      bob.say("/quit");
      assert.equal(await bob.line(), ""); // the server closed bob's connection
      assert.equal(await alice.line(), "* bob left");
      await impostor.close(); // a client that just goes away is announced too
      assert.equal(await alice.line(), "* carol left");
      // alice's own lines are never sent back to her.
      alice.say("anyone?");
      server.child.kill("SIGINT");
      assert.equal(await alice.line(), "* The server is shutting down. Bye!");
      assert.equal(await alice.line(), "");
      await Promise.all([alice.close(), bob.close()]);
    });
    const status = await server.exited();
    assert.equal(status.code, 0, server.stderr.text());
    assert.match(server.stdout.lines.join("\n"), /chat server closed/);
  });

  Deno.test(`chat_server.ts (--loop=${loop}) drops a client that does not read`, async () => {
    await using server = startSample("chat_server.ts", [
      "127.0.0.1",
      "0",
      "--drain-timeout=0.5",
      `--loop=${loop}`,
    ]);
    const port = await server.port();
    await run(async () => {
      const alice = await Chatter.join(port, "alice");
      await alice.until("* Hello alice! Online: nobody else");
      const bob = await Chatter.join(port, "bob");
      await bob.until("* Hello bob! Online: alice");
      await alice.until("* bob joined");
      // carol joins and then never reads: her socket buffers fill, then her queue.
      const carol = await Chatter.join(port, "carol");
      await carol.line();
      await bob.until("* carol joined");
      // alice talks in rounds that bob keeps up with; carol's buffers and queue fill up.
      const text = "x".repeat(3000);
      let dropped = false;
      for (let round = 0; round < 40 && !dropped; round++) {
        for (let i = 0; i < 100; i++) alice.say(`${round} ${i} ${text}`);
        await alice.writer.drain();
        for (let i = 0; i < 100; i++) {
          let line = await bob.line();
          if (line === "* carol left (too slow)") {
            dropped = true;
            line = await bob.line();
          }
          assert.ok(line === `alice: ${round} ${i} ${text}`, `bob got ${line.slice(0, 40)}`);
        }
      }
      assert.ok(dropped, "carol was never dropped");
      alice.say("still there?");
      assert.equal(await bob.line(), "alice: still there?");
      await Promise.all([alice.close(), bob.close(), carol.close()]);
    });
    await server.interrupt();
  });
}
