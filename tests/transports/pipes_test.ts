/** Pipe transports of both loops (`LOOPS`) over a FIFO (`mkfifo`), opened as `Deno.FsFile`s. */
import assert from "node:assert/strict";
import { RuntimeError } from "../../loop/mod.ts";
import { Protocol } from "../../transports/mod.ts";
import { bytes, LOOPS, onLoop, Recorder } from "./_helpers.ts";

/** A FIFO in a temp dir, both ends open; the dir is removed afterwards. */
async function withFifo(
  body: (reader: Deno.FsFile, writer: Deno.FsFile) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_fifo_" });
  try {
    const path = `${dir}/fifo`;
    const { code } = await new Deno.Command("mkfifo", { args: [path] }).output();
    assert.equal(code, 0);
    // Opening one end of a FIFO blocks until the other end opens: open both at once.
    const [reader, writer] = await Promise.all([
      Deno.open(path, { read: true }),
      Deno.open(path, { write: true }),
    ]);
    await body(reader, writer);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

class Writer extends Protocol {
  readonly events: string[] = [];
  readonly resumed = Promise.withResolvers<void>();
  override pauseWriting(): void {
    this.events.push("pause");
  }
  override resumeWriting(): void {
    this.events.push("resume");
    this.resumed.resolve();
  }
  override connectionLost(err: unknown): void {
    this.events.push(err === null ? "lost" : "lost with error");
  }
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: connectReadPipe() and connectWritePipe() carry data, then eof and connectionLost`, async () => {
    await withFifo(async (readEnd, writeEnd) => {
      await onLoop(make, async (loop) => {
        const [reader, received] = await loop.connectReadPipe(() => new Recorder(loop), readEnd);
        const [writer, sender] = await loop.connectWritePipe(() => new Writer(), writeEnd);
        assert.equal(reader.getExtraInfo("pipe"), readEnd);
        assert.equal(writer.getExtraInfo("pipe"), writeEnd);
        assert.equal(writer.canWriteEof(), true);
        writer.write(bytes("through "));
        writer.writelines([bytes("a fifo")]);
        await received.waitFor(14, loop);
        assert.equal(received.text(), "through a fifo");

        reader.pauseReading();
        assert.equal(reader.isReading(), false);
        writer.write(bytes("!"));
        writer.writeEof(); // a write pipe closes after sending what is buffered
        assert.equal(writer.isClosing(), true);
        reader.resumeReading();
        await received.lost;
        assert.equal(received.text(), "through a fifo!");
        assert.deepEqual(received.events, ["made", "data", "eof", "lost"]);
        assert.deepEqual(sender.events, ["lost"]);
        assert.throws(
          () => (reader as unknown as { write(d: Uint8Array): void }).write(bytes("x")),
          RuntimeError,
        );
        assert.throws(
          () => (reader as unknown as { writeEof(): void }).writeEof(),
          { name: "RuntimeError", message: "Cannot writeEof(): the transport is a read pipe" },
        );
      });
    });
  });

  Deno.test(`${name}: connectWritePipe() pauses the protocol above the high-water mark and resumes it`, async () => {
    await withFifo(async (readEnd, writeEnd) => {
      await onLoop(make, async (loop) => {
        const [writer, sender] = await loop.connectWritePipe(() => new Writer(), writeEnd);
        writer.setWriteBufferLimits({ high: 1024, low: 256 });
        const payload = new Uint8Array(256 * 1024).fill(7);
        writer.write(payload);
        assert.deepEqual(sender.events, ["pause"]);
        assert.equal(writer.getWriteBufferSize(), payload.length);
        const [, received] = await loop.connectReadPipe(() => new Recorder(loop), readEnd);
        await received.waitFor(payload.length, loop);
        assert.equal(received.received, payload.length);
        // The reader may see the last bytes before the writer's completion runs.
        await sender.resumed.promise;
        assert.equal(writer.getWriteBufferSize(), 0);
        assert.deepEqual(sender.events, ["pause", "resume"]);
        writer.close();
        await received.lost;
      });
    });
  });

  Deno.test(`${name}: connectReadPipe() and connectWritePipe() name a bad pipe argument`, async () => {
    await onLoop(make, async (loop) => {
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        loop.connectReadPipe(() => new Protocol(), {} as any),
        (e: Error) => e instanceof TypeError && e.message.includes("'pipe' must have read()"),
      );
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        loop.connectWritePipe(() => new Protocol(), null as any),
        (e: Error) => e instanceof TypeError && e.message.includes("'pipe' must have write()"),
      );
    });
  });
}
