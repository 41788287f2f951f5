/**
 * `examples/forward.ts`, run as a child process on both loops, in front of a target server that
 * runs in the test: both directions, half-close passed on both ways, and failures on either side
 * closing the other.
 */
import assert from "node:assert/strict";
import { run } from "../../mod.ts";
import type { Server } from "../../transports/mod.ts";
import {
  openConnection,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "../../streams/mod.ts";
import { LOOP_NAMES, payload, type Sample, startSample } from "./_sample.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

type Handler = (reader: StreamReader, writer: StreamWriter) => Promise<void>;

/** Starts a target server with `handler` and the forwarder in front of it; runs `main`. */
async function withForwarder(
  loop: string,
  handler: Handler,
  main: (port: number, target: Server) => Promise<void>,
): Promise<void> {
  let forwarder: Sample | null = null;
  await run(async () => {
    await using target = await startServer(handler, "127.0.0.1", 0);
    const [, targetPort] = target.sockets[0].getsockname() as [string, number];
    forwarder = startSample("forward.ts", ["0", "127.0.0.1", `${targetPort}`, `--loop=${loop}`]);
    await main(await forwarder.port(), target);
  });
  await forwarder!.interrupt();
  assert.match(forwarder!.stdout.lines.join("\n"), /forwarder closed/);
}

/** Reads to the end of the stream; null when it ends with an error (a reset). */
async function readAll(reader: StreamReader): Promise<Uint8Array | null> {
  try {
    return await reader.read(-1);
  } catch (err) {
    assert.ok(err instanceof Deno.errors.ConnectionReset, `unexpected ${err}`);
    return null;
  }
}

for (const loop of LOOP_NAMES) {
  Deno.test(`forward.ts (--loop=${loop}) copies both ways at once`, async () => {
    const echo: Handler = async (reader, writer) => {
      for (let data = await reader.read(65536); data.length > 0; data = await reader.read(65536)) {
        writer.write(data);
        await writer.drain();
      }
      writer.close();
    };
    await withForwarder(loop, echo, async (port) => {
      const [reader, writer] = await openConnection("127.0.0.1", port);
      const data = payload(2_000_000);
      // Written in full before reading: the echo only fits through if both directions flow.
      writer.write(data);
      writer.writeEof();
      assert.deepEqual(await reader.read(-1), data);
      writer.close();
    });
  });

  Deno.test(`forward.ts (--loop=${loop}) passes a half-close on, both ways`, async () => {
    // The target answers only once the client's end of file reached it, then half-closes.
    let targetSawEof = false;
    const count: Handler = async (reader, writer) => {
      const all = await reader.read(-1);
      targetSawEof = true;
      writer.write(encoder.encode(`received ${all.length}`));
      writer.writeEof();
      // The client can still write after the target's end of file.
      assert.equal(decoder.decode(await reader.read(100)), "");
      writer.close();
    };
    await withForwarder(loop, count, async (port) => {
      const [reader, writer] = await openConnection("127.0.0.1", port);
      writer.write(payload(300_000));
      writer.writeEof();
      assert.equal(decoder.decode(await reader.read(-1)), "received 300000");
      assert.ok(targetSawEof);
      writer.close();
      await writer.waitClosed();
    });
  });

  Deno.test(`forward.ts (--loop=${loop}) resets the client when the target resets`, async () => {
    const reset: Handler = async (reader, writer) => {
      await reader.readline();
      writer.transport.abort();
    };
    await withForwarder(loop, reset, async (port) => {
      const [reader, writer] = await openConnection("127.0.0.1", port);
      writer.write(encoder.encode("hello\n"));
      assert.equal((await readAll(reader))?.length ?? 0, 0);
      writer.close();
    });
  });

  Deno.test(`forward.ts (--loop=${loop}) closes the target when the client resets`, async () => {
    const ended = Promise.withResolvers<Uint8Array | null>();
    const wait: Handler = async (reader, writer) => {
      writer.write(encoder.encode("ready\n"));
      ended.resolve(await readAll(reader));
      writer.close();
    };
    await withForwarder(loop, wait, async (port) => {
      const [reader, writer] = await openConnection("127.0.0.1", port);
      assert.equal(decoder.decode(await reader.readline()), "ready\n");
      writer.transport.abort();
      assert.equal((await ended.promise)?.length ?? 0, 0);
    });
  });

  Deno.test(`forward.ts (--loop=${loop}) closes the client when the target refuses`, async () => {
    await run(async () => {
      // A port that was free a moment ago: nothing listens there.
      const server = await startServer(() => {}, "127.0.0.1", 0);
      const [, closedPort] = server.sockets[0].getsockname() as [string, number];
      server.close();
      await server.waitClosed();
      await using forwarder = startSample("forward.ts", [
        "0",
        "127.0.0.1",
        `${closedPort}`,
        `--loop=${loop}`,
      ]);
      const [reader, writer] = await openConnection("127.0.0.1", await forwarder.port());
      assert.equal((await readAll(reader))?.length ?? 0, 0);
      writer.close();
      await forwarder.stderr.waitFor(/ConnectionRefused/);
      await forwarder.interrupt();
    });
  });
}
