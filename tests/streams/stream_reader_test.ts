/**
 * StreamReader on its own (fed by hand), after the behaviours of CPython's
 * test_streams.py: reads by size, by line and by separator, EOF, limits,
 * errors, waiting, cancellation and flow control.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  IncompleteReadError,
  LimitOverrunError,
  NotImplementedError,
  RuntimeError,
  sleep,
} from "../../mod.ts";
import { StreamReader } from "../../streams/mod.ts";
import type { ReadTransport } from "../../transports/mod.ts";
import { inLoop, tick } from "../sync/_helpers.ts";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function fed(chunks: string[], options?: { limit?: number; eof?: boolean }): StreamReader {
  const reader = new StreamReader({ limit: options?.limit });
  for (const chunk of chunks) reader.feedData(enc(chunk));
  if (options?.eof ?? false) reader.feedEof();
  return reader;
}

/** A transport that records pauses and resumes. */
class FakeTransport {
  readonly calls: string[] = [];
  reading = true;
  pauseReading(): void {
    this.calls.push("pause");
    this.reading = false;
  }
  resumeReading(): void {
    this.calls.push("resume");
    this.reading = true;
  }
}

Deno.test("StreamReader: bad arguments get errors naming them", () => {
  for (const limit of [0, -1, 1.5, NaN]) {
    assert.throws(
      () => new StreamReader({ limit }),
      (e: Error) => e instanceof RangeError && e.message.includes("'limit'"),
    );
  }
  const reader = new StreamReader();
  assert.throws(
    () => reader.feedData("text" as unknown as Uint8Array),
    (e: Error) =>
      e instanceof TypeError && e.message.includes("'data'") && e.message.includes("string"),
  );
  reader.feedEof();
  assert.throws(() => reader.feedData(enc("late")), RuntimeError);
});

Deno.test("StreamReader: read(n) returns what is buffered, up to n", () =>
  inLoop(async () => {
    const reader = fed(["line1\nline2\n"]);
    assert.equal(dec(await reader.read(0)), "");
    assert.equal(dec(await reader.read(3)), "lin");
    assert.equal(dec(await reader.read(100)), "e1\nline2\n");
    assert.equal(reader.buffered, 0);
  }));

Deno.test("StreamReader: read waits for data, and returns empty at EOF", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const task = createTask(() => reader.read(30));
    await tick();
    assert.equal(task.done(), false);
    reader.feedData(enc("chunk"));
    assert.equal(dec(await task), "chunk");
    const atEnd = createTask(() => reader.read(30));
    await tick();
    reader.feedEof();
    assert.equal((await atEnd).length, 0);
    assert.ok(reader.atEof());
  }));

Deno.test("StreamReader: read() with no size reads every chunk until EOF", () =>
  inLoop(async () => {
    const reader = new StreamReader({ limit: 3 });
    const task = createTask(() => reader.read());
    for (const chunk of ["chunk1\n", "chunk2", "\nend"]) {
      await tick();
      reader.feedData(enc(chunk));
    }
    reader.feedEof();
    assert.equal(dec(await task), "chunk1\nchunk2\nend");
  }));

Deno.test("StreamReader: an error set on the reader is raised by reads, also a waiting one", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const task = createTask(() => reader.readline());
    await tick();
    const boom = new Error("reset");
    reader.setException(boom);
    await assert.rejects(async () => await task, (e) => e === boom);
    await assert.rejects(reader.read(1), (e) => e === boom);
    await assert.rejects(reader.readexactly(1), (e) => e === boom);
    await assert.rejects(reader.readuntil("x"), (e) => e === boom);
    assert.equal(reader.exception(), boom);
  }));

Deno.test("StreamReader: readline across chunks, several lines per chunk, partial last line", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const task = createTask(() => reader.readline());
    for (const chunk of ["chunk1 ", "chunk2 ", "chunk3 \nline2\nlast"]) {
      await tick();
      reader.feedData(enc(chunk));
    }
    assert.equal(dec(await task), "chunk1 chunk2 chunk3 \n");
    assert.equal(dec(await reader.readline()), "line2\n");
    reader.feedEof();
    assert.equal(dec(await reader.readline()), "last");
    assert.equal((await reader.readline()).length, 0);
  }));

Deno.test("StreamReader: a line over the limit is a RangeError; the rest of the buffer stays consistent", () =>
  inLoop(async () => {
    // The newline is in the buffer: the long line is dropped, the next one is intact.
    const reader = fed(["li", "ne1\nline2\n"], { limit: 3 });
    await assert.rejects(
      reader.readline(),
      (e) => e instanceof RangeError && e.cause instanceof LimitOverrunError,
    );
    assert.equal(reader.buffered, 6);
    assert.equal(dec(await reader.read(6)), "line2\n");
    // No newline yet: the whole buffer is dropped.
    const other = fed(["li", "ne1", "li"], { limit: 3 });
    await assert.rejects(other.readline(), RangeError);
    assert.equal(other.buffered, 0);
  }));

Deno.test("StreamReader: a long line arriving in pieces overruns the limit while waiting", () =>
  inLoop(async () => {
    const reader = new StreamReader({ limit: 7 });
    const task = createTask(() => reader.readline());
    for (const chunk of ["chunk1 ", "chunk2 ", "chunk3\n"]) {
      await tick();
      if (!task.done()) reader.feedData(enc(chunk));
    }
    await assert.rejects(async () => await task, RangeError);
    // The buffer was dropped when the limit was overrun; what came after is readable.
    reader.feedData(enc("ok\n"));
    assert.match(dec(await reader.readline()), /ok\n$/);
  }));

Deno.test("StreamReader: readuntil with one separator, a string separator, and at EOF", () =>
  inLoop(async () => {
    const reader = fed(["lineAAA", "lineBB\r\n"]);
    assert.equal(dec(await reader.readuntil(enc("AAA"))), "lineAAA");
    assert.equal(dec(await reader.readuntil("\r\n")), "lineBB\r\n");
    reader.feedData(enc("tail"));
    reader.feedEof();
    await assert.rejects(
      reader.readuntil("\n"),
      (e) => e instanceof IncompleteReadError && dec(e.partial) === "tail" && e.expected === null,
    );
    assert.ok(reader.atEof());
  }));

Deno.test("StreamReader: readuntil with several separators takes the match that ends first", () =>
  inLoop(async () => {
    const reader = fed(["a|b||c;d"]);
    assert.equal(dec(await reader.readuntil(["||", ";"])), "a|b||");
    assert.equal(dec(await reader.readuntil(["||", ";"])), "c;");
    // Overlapping matches ending at the same byte: the shorter wins.
    const tie = fed(["xab"]);
    assert.equal(dec(await tie.readuntil(["xab", "b"])), "xab");
    const tie2 = fed(["xab"]);
    assert.equal(dec(await tie2.readuntil(["ab", "b"])), "xab");
  }));

Deno.test("StreamReader: a separator split across chunks is found", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const task = createTask(() => reader.readuntil("\r\n\r\n"));
    for (const chunk of ["head\r", "\n\r", "\n", "body"]) {
      await tick();
      reader.feedData(enc(chunk));
    }
    assert.equal(dec(await task), "head\r\n\r\n");
    assert.equal(dec(await reader.read(10)), "body");
  }));

Deno.test("StreamReader: readuntil over the limit is a LimitOverrunError and keeps the data", () =>
  inLoop(async () => {
    const reader = fed(["0123456789\n"], { limit: 5 });
    await assert.rejects(
      reader.readuntil("\n"),
      (e) => e instanceof LimitOverrunError && e.consumed === 10,
    );
    assert.equal(reader.buffered, 11);
    const far = fed(["0123456789"], { limit: 5 });
    await assert.rejects(
      far.readuntil("!"),
      (e) => e instanceof LimitOverrunError && e.consumed > 5,
    );
    assert.equal(far.buffered, 10);
  }));

Deno.test("StreamReader: readuntil rejects empty or non-bytes separators", () =>
  inLoop(async () => {
    const reader = fed(["data"]);
    await assert.rejects(reader.readuntil(""), TypeError);
    await assert.rejects(reader.readuntil([]), TypeError);
    await assert.rejects(reader.readuntil(["a", new Uint8Array(0)]), TypeError);
    await assert.rejects(
      reader.readuntil(7 as unknown as string),
      (e: Error) => e instanceof TypeError && e.message.includes("'separator'"),
    );
    assert.equal(reader.buffered, 4);
  }));

Deno.test("StreamReader: readexactly waits across chunks; EOF first is IncompleteReadError", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const task = createTask(() => reader.readexactly(8));
    for (const chunk of ["ab", "cdef", "ghij"]) {
      await tick();
      reader.feedData(enc(chunk));
    }
    assert.equal(dec(await task), "abcdefgh");
    assert.equal((await reader.readexactly(0)).length, 0);
    reader.feedEof();
    await assert.rejects(
      reader.readexactly(5),
      (e) => e instanceof IncompleteReadError && dec(e.partial) === "ij" && e.expected === 5,
    );
    assert.equal(reader.buffered, 0);
    await assert.rejects(reader.readexactly(-1), RangeError);
    await assert.rejects(reader.read(1.5), TypeError);
  }));

Deno.test("StreamReader: a second waiting read is a RuntimeError", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const first = createTask(() => reader.read(1));
    await tick();
    await assert.rejects(reader.readline(), (e: Error) =>
      e instanceof RuntimeError && e.message.includes("another read"));
    reader.feedData(enc("x"));
    assert.equal(dec(await first), "x");
  }));

Deno.test("StreamReader: cancelling a waiting read() loses no data, before or after the data came", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const before = createTask(() => reader.read(10));
    await tick();
    before.cancel();
    await assert.rejects(async () => await before, CancelledError);
    // The data arrives and wakes the wait; the cancel comes before the task resumes.
    const after = createTask(() => reader.read(10));
    await tick();
    reader.feedData(enc("abc"));
    after.cancel();
    await assert.rejects(async () => await after, CancelledError);
    reader.feedData(enc("def"));
    assert.equal(dec(await reader.read(10)), "abcdef");
  }));

Deno.test("StreamReader: cancelling a waiting readline loses no data", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const task = createTask(() => reader.readline());
    await tick();
    reader.feedData(enc("partial "));
    await tick();
    task.cancel();
    await assert.rejects(async () => await task, CancelledError);
    reader.feedData(enc("line\nnext\n"));
    assert.equal(dec(await reader.readline()), "partial line\n");
    assert.equal(dec(await reader.readline()), "next\n");
  }));

Deno.test("StreamReader: cancelling a task iterating lines loses no data", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const seen: string[] = [];
    const task = createTask(async () => {
      for await (const line of reader) seen.push(dec(line));
    });
    reader.feedData(enc("one\ntw"));
    await tick(3);
    task.cancel();
    await assert.rejects(async () => await task, CancelledError);
    reader.feedData(enc("o\n"));
    assert.deepEqual(seen, ["one\n"]);
    assert.equal(dec(await reader.readline()), "two\n");
  }));

Deno.test("StreamReader: waiting on a virtual-clock timeout does not consume data", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const slow = createTask(() => reader.readexactly(4));
    await sleep(1);
    reader.feedData(enc("ab"));
    slow.cancel();
    await assert.rejects(async () => await slow, CancelledError);
    reader.feedData(enc("cd"));
    assert.equal(dec(await reader.readexactly(4)), "abcd");
  }));

Deno.test("StreamReader: feedData copies; feedStableData keeps the view without copying", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const data = enc("abcd");
    reader.feedData(data);
    data[0] = 0x7a; // the caller reuses its buffer
    assert.equal(dec(await reader.read(4)), "abcd");
    const stable = enc("efgh");
    reader.feedStableData(stable);
    const out = await reader.read(2);
    assert.equal(out.buffer, stable.buffer, "a read of a stable chunk is a view of it");
    assert.equal(dec(out), "ef");
    assert.equal(dec(await reader.read(9)), "gh");
  }));

Deno.test("StreamReader: joined data is copied out; later feeds do not change earlier reads", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    reader.feedStableData(enc("first-"));
    reader.feedStableData(enc("second\nthird"));
    const line = await reader.readline();
    reader.feedStableData(enc("-and-more-data-that-reuses-the-store\n"));
    assert.equal(dec(line), "first-second\n");
    assert.equal(dec(await reader.readline()), "third-and-more-data-that-reuses-the-store\n");
  }));

Deno.test("StreamReader: flow control pauses the transport over the limit and resumes at half of it", () =>
  inLoop(async () => {
    const reader = new StreamReader({ limit: 4 });
    const transport = new FakeTransport();
    reader.setTransport(transport as unknown as ReadTransport);
    assert.throws(() => reader.setTransport(transport as unknown as ReadTransport), RuntimeError);
    reader.feedData(enc("1234"));
    assert.deepEqual(transport.calls, []);
    reader.feedData(enc("5"));
    assert.deepEqual(transport.calls, ["pause"]);
    reader.feedData(enc("more"));
    assert.deepEqual(transport.calls, ["pause"], "paused once");
    await reader.read(5);
    assert.deepEqual(transport.calls, ["pause"], "still over half the limit");
    await reader.read(2);
    assert.deepEqual(transport.calls, ["pause", "resume"]);
  }));

Deno.test("StreamReader: a read that must wait resumes a paused transport", () =>
  inLoop(async () => {
    const reader = new StreamReader({ limit: 1 });
    const transport = new FakeTransport();
    reader.setTransport(transport as unknown as ReadTransport);
    reader.feedData(enc("abc"));
    assert.deepEqual(transport.calls, ["pause"]);
    const task = createTask(() => reader.readexactly(5));
    await tick();
    assert.deepEqual(transport.calls, ["pause", "resume"]);
    reader.feedData(enc("de"));
    assert.equal(dec(await task), "abcde");
  }));

Deno.test("StreamReader: a transport that cannot pause is not asked again", () => {
  const reader = new StreamReader({ limit: 1 });
  let asked = 0;
  reader.setTransport({
    pauseReading(): void {
      asked++;
      throw new NotImplementedError("cannot pause");
    },
    resumeReading(): void {},
  } as unknown as ReadTransport);
  reader.feedData(enc("abc"));
  reader.feedData(enc("def"));
  assert.equal(asked, 1);
  assert.equal(reader.buffered, 6);
});

Deno.test("StreamReader: toString describes the state", () => {
  const reader = fed(["abc"], { limit: 10, eof: true });
  assert.equal(String(reader), "<StreamReader 3 bytes eof limit=10>");
});

Deno.test("StreamReader: readable is a web ReadableStream that pipes through CompressionStream", () =>
  inLoop(async () => {
    const reader = new StreamReader({ limit: 16 });
    const text = "streams ".repeat(500);
    const gzip = new Response(
      reader.readable.pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer();
    for (let i = 0; i < text.length; i += 100) {
      reader.feedData(enc(text.slice(i, i + 100)));
      await tick();
    }
    reader.feedEof();
    const compressed = new Uint8Array(await gzip);
    assert.deepEqual([...compressed.subarray(0, 2)], [0x1f, 0x8b], "gzip magic");
    const back = await new Response(
      new Blob([compressed]).stream().pipeThrough(new DecompressionStream("gzip")),
    ).text();
    assert.equal(back, text);
    assert.equal(reader.readable, reader.readable, "one stream per reader");
  }));

Deno.test("StreamReader: readable errors with the reader's error", () =>
  inLoop(async () => {
    const reader = new StreamReader();
    const boom = new Error("lost");
    const text = new Response(reader.readable).text();
    await tick();
    reader.setException(boom);
    await assert.rejects(text, (e) => e === boom);
  }));
