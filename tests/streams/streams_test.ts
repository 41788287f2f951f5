/**
 * Streams over real loopback connections, on both loops: openConnection and
 * startServer (TCP and Unix), drain() and flow control both ways, errors
 * (reset, closed connection, a failing client callback), web stream
 * adapters, bad input.
 */
import assert from "node:assert/strict";
import { Event, type ExceptionContext, sleep } from "../../mod.ts";
import {
  openConnection,
  openUnixConnection,
  startServer,
  startUnixServer,
  type StreamReader,
  type StreamWriter,
} from "../../streams/mod.ts";
import { isConnectionError } from "../../transports/_transport_core.ts";
import { addressOf, bytes, LOOPS, onLoop } from "../transports/_helpers.ts";

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A stream server whose connections echo lines until EOF. */
function lineEcho(reader: StreamReader, writer: StreamWriter): Promise<void> {
  return (async () => {
    for await (const line of reader) {
      writer.write(line);
      await writer.drain();
    }
    writer.close();
  })();
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: openConnection and startServer echo lines; the writer closes cleanly`, async () => {
    const errors: ExceptionContext[] = [];
    await onLoop(make, async () => {
      await using server = await startServer(lineEcho, "127.0.0.1", 0);
      const [host, port] = addressOf(server);
      const [reader, writer] = await openConnection(host, port);
      assert.deepEqual((writer.getExtraInfo("peername") as [string, number]).slice(0, 2), [
        host,
        port,
      ]);
      writer.write(bytes("one\ntw"));
      writer.writelines([bytes("o\n"), bytes("three\n")]);
      await writer.drain();
      assert.equal(dec(await reader.readline()), "one\n");
      assert.equal(dec(await reader.readexactly(4)), "two\n");
      assert.equal(dec(await reader.readuntil("\n")), "three\n");
      assert.ok(writer.canWriteEof());
      writer.writeEof();
      assert.equal((await reader.read()).length, 0, "the server closes after our EOF");
      assert.ok(reader.atEof());
      writer.close();
      assert.ok(writer.isClosing());
      await writer.waitClosed();
    }, errors);
    assert.deepEqual(errors, []);
  });

  Deno.test(`${name}: openUnixConnection and startUnixServer`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await onLoop(make, async () => {
        const path = `${dir}/echo.sock`;
        await using _server = await startUnixServer(lineEcho, path);
        const [reader, writer] = await openUnixConnection(path, { limit: 8 });
        writer.write(bytes("over unix\n"));
        await assert.rejects(reader.readline(), RangeError, "a line over the reader's limit");
        writer.write(bytes("short\n"));
        assert.equal(dec(await reader.readline()), "short\n");
        await using _closer = writer;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`${name}: drain() waits while the peer does not read, and the buffer stays bounded`, async () => {
    await onLoop(make, async (loop) => {
      const start = new Event();
      let received = 0;
      await using server = await startServer(
        async (reader, writer) => {
          await start.wait();
          for (;;) {
            const chunk = await reader.read(1 << 20);
            if (chunk.length === 0) break;
            received += chunk.length;
          }
          writer.close();
        },
        "127.0.0.1",
        0,
      );
      const [reader, writer] = await openConnection(...addressOf(server));
      const [, high] = writer.transport.getWriteBufferLimits();
      const chunk = new Uint8Array(256 * 1024);
      let sent = 0;
      let maxBuffered = 0;
      // 32 MiB: far more than loopback socket buffers hold, so drain() must wait.
      const writing = loop.createTask(async () => {
        while (sent < 32 << 20) {
          writer.write(chunk);
          sent += chunk.length;
          maxBuffered = Math.max(maxBuffered, writer.transport.getWriteBufferSize());
          await writer.drain();
        }
        writer.writeEof();
      });
      while (writer.transport.getWriteBufferSize() <= high) await sleep(0.001);
      for (let i = 0; i < 20; i++) await sleep(0);
      assert.equal(writing.done(), false, "drain() waits while the peer reads nothing");
      assert.ok(sent < 32 << 20);
      start.set();
      await writing;
      assert.equal((await reader.read()).length, 0);
      assert.equal(received, 32 << 20);
      assert.ok(maxBuffered <= high + chunk.length, `buffered at most ${maxBuffered}`);
      writer.close();
    });
  });

  Deno.test(`${name}: a flooding peer cannot grow the reader past its limit plus one read`, async () => {
    await onLoop(make, async () => {
      const limit = 16 * 1024;
      const total = 8 << 20;
      const served: { reader: StreamReader | null } = { reader: null };
      const done = new Event();
      let maxBuffered = 0;
      await using server = await startServer(
        async (reader, writer) => {
          served.reader = reader;
          await done.wait();
          let got = 0;
          for (;;) {
            maxBuffered = Math.max(maxBuffered, reader.buffered);
            const chunk = await reader.read(limit);
            if (chunk.length === 0) break;
            got += chunk.length;
          }
          writer.write(bytes(`${got}\n`));
          writer.close();
        },
        "127.0.0.1",
        0,
        { limit },
      );
      const [reader, writer] = await openConnection(...addressOf(server));
      writer.write(new Uint8Array(total));
      writer.writeEof();
      // Until our buffer stops shrinking, the server's reader must pause its transport.
      while (served.reader === null || served.reader.transport?.isReading() !== false) {
        await sleep(0.001);
      }
      for (let i = 0; i < 50; i++) {
        maxBuffered = Math.max(maxBuffered, served.reader.buffered);
        await sleep(0);
      }
      done.set();
      assert.equal(dec(await reader.readline()), `${total}\n`);
      // One transport read is at most 256 KiB.
      assert.ok(maxBuffered <= limit + 256 * 1024, `buffered at most ${maxBuffered}`);
      writer.close();
    });
  });

  Deno.test(`${name}: drain() after the connection closed raises ConnectionReset`, async () => {
    await onLoop(make, async () => {
      await using server = await startServer(lineEcho, "127.0.0.1", 0);
      const [, writer] = await openConnection(...addressOf(server));
      writer.close();
      await writer.waitClosed();
      await assert.rejects(writer.drain(), Deno.errors.ConnectionReset);
    });
  });

  Deno.test(`${name}: a peer reset surfaces as an error on drain and later reads, never unhandled`, async () => {
    const errors: ExceptionContext[] = [];
    await onLoop(make, async () => {
      using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const accepting = listener.accept();
      const [reader, writer] = await openConnection("127.0.0.1", listener.addr.port);
      const peer = await accepting;
      writer.write(bytes("hello"));
      peer.close();
      // Deno reports a reset read as the end of the stream (DENO_FACTS §1.3): EOF first.
      assert.equal((await reader.read(10)).length, 0);
      // Writing to the closed peer fails: the next drain() raises the error.
      let err: unknown;
      for (let i = 0; i < 1000 && err === undefined; i++) {
        writer.write(bytes("more"));
        err = await writer.drain().then(() => undefined, (e) => e);
        if (err === undefined) await sleep(0.001);
      }
      assert.ok(
        err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset,
        String(err),
      );
      // The reader holds the transport's error: the same one, unless the send
      // failed at once (a descriptor's EPIPE) and drain() then met the lost
      // connection, as Python's, with ConnectionResetError("Connection lost").
      const lost = await reader.read(1).then(() => undefined, (e) => e);
      assert.ok(
        lost === err || (err instanceof Deno.errors.ConnectionReset && isConnectionError(lost)),
        String(lost),
      );
      await assert.rejects(writer.waitClosed(), (e) => e === lost);
    }, errors);
    assert.deepEqual(errors, []);
  });

  Deno.test(`${name}: an error in the client callback is reported and closes that connection`, async () => {
    const errors: ExceptionContext[] = [];
    await onLoop(make, async () => {
      await using server = await startServer(
        async (reader) => {
          const line = await reader.readline();
          throw new Error(`bad request: ${dec(line).trim()}`);
        },
        "127.0.0.1",
        0,
      );
      const [reader, writer] = await openConnection(...addressOf(server));
      writer.write(bytes("boom\n"));
      assert.equal((await reader.read()).length, 0, "the server closed the connection");
      writer.close();
    }, errors);
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /clientConnected/);
    assert.equal((errors[0].exception as Error).message, "bad request: boom");
    assert.ok(errors[0].transport !== undefined);
  });

  Deno.test(`${name}: web streams: pipe a file-like source in, read the reply as a ReadableStream`, async () => {
    await onLoop(make, async () => {
      await using server = await startServer(
        async (reader, writer) => {
          // Echo everything, gzip-compressed, until EOF.
          await reader.readable.pipeThrough(new CompressionStream("gzip")).pipeTo(writer.writable);
          writer.close();
        },
        "127.0.0.1",
        0,
      );
      const [reader, writer] = await openConnection(...addressOf(server));
      const text = "a line of text\n".repeat(2000);
      const sending = ReadableStream.from([bytes(text.slice(0, 100)), bytes(text.slice(100))])
        .pipeTo(writer.writable);
      const back = await new Response(
        reader.readable.pipeThrough(new DecompressionStream("gzip")),
      ).text();
      await sending;
      assert.equal(back, text);
      writer.close();
      await writer.waitClosed();
    });
  });

  Deno.test(`${name}: bad input gets errors naming the argument`, async () => {
    await onLoop(make, async () => {
      await assert.rejects(openConnection("127.0.0.1", 70000), RangeError);
      await assert.rejects(
        openConnection("127.0.0.1", 1, { limit: 0 }),
        (e: Error) => e instanceof RangeError && e.message.includes("'limit'"),
      );
      assert.throws(
        () => startServer("nope" as unknown as () => void, "127.0.0.1", 0),
        (e: Error) => e instanceof TypeError && e.message.includes("'clientConnected'"),
      );
      await using server = await startServer(lineEcho, "127.0.0.1", 0);
      const [, writer] = await openConnection(...addressOf(server));
      assert.throws(() => writer.write("text" as unknown as Uint8Array), TypeError);
      writer.close();
    });
  });
}
