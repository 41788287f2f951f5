/**
 * Web Streams adapters of `StreamReader` and `StreamWriter`.
 *
 * @module
 */
import type { StreamReader } from "./stream_reader.ts";
import type { StreamWriter } from "./stream_writer.ts";

/**
 * A pull-based `ReadableStream` over `reader`: nothing is read until the
 * consumer asks. Not a byte stream on purpose: enqueuing into a byte stream
 * transfers (detaches) the chunk's buffer, which is the transport's shared
 * read buffer.
 */
export function readableFrom(reader: StreamReader): ReadableStream<Uint8Array<ArrayBuffer>> {
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller): Promise<void> {
      const chunk = await reader.read(reader.limit);
      if (chunk.length === 0) controller.close();
      else controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
}

/** A `WritableStream` over `writer`: write and drain per chunk; close ends the write side. */
export function writableFrom(writer: StreamWriter): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    async write(chunk): Promise<void> {
      writer.write(chunk);
      await writer.drain();
    },
    async close(): Promise<void> {
      if (writer.canWriteEof()) {
        writer.writeEof();
        await writer.drain();
      } else {
        writer.close();
        await writer.waitClosed();
      }
    },
    abort(): void {
      writer.transport.abort();
    },
  });
}
