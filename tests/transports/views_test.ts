/**
 * What `dataReceived` hands out is the protocol's to keep, and so is every
 * view made from it: a `subarray` kept after the view it came from was
 * dropped (and collected) keeps its bytes while later reads arrive. This
 * is what a pool that reuses read memory once the handed-out view is
 * collected gets wrong (see docs/performance.md, "Reusing read memory").
 *
 * `gc()` comes from `--v8-flags=--expose-gc` (both I/O test groups pass it).
 *
 * @module
 */
import assert from "node:assert/strict";
import { type BaseTransport, Protocol } from "../../transports/mod.ts";
import { addressOf, LOOPS, onLoop } from "./_helpers.ts";

const gc = (globalThis as { gc?: () => void }).gc;

for (const [name, make] of LOOPS) {
  Deno.test({
    name: `${name}: a view derived from received data keeps its bytes after the data is dropped`,
    ignore: gc === undefined,
    async fn() {
      await onLoop(make, async (loop) => {
        const total = 8 << 20;
        const kept: { offset: number; head: Uint8Array }[] = [];
        let received = 0;
        const done = loop.createFuture<void>();
        class KeepHeads extends Protocol {
          override dataReceived(data: Uint8Array): void {
            // Only a derived view survives this call.
            kept.push({ offset: received, head: data.subarray(0, Math.min(4, data.length)) });
            received += data.length;
            if (received >= total && !done.done()) done.setResult(undefined);
          }
        }
        const server = await loop.createServer(() => new KeepHeads(), "127.0.0.1", 0);
        const [transport] = await loop.createConnection(
          () => new Protocol(),
          ...addressOf(server),
        );
        // Every byte is the low byte of its offset / 4096: a kept head shows where it came from.
        const block = new Uint8Array(1 << 20);
        for (let sent = 0; sent < total; sent += block.length) {
          for (let i = 0; i < block.length; i++) block[i] = ((sent + i) >> 12) & 0xff;
          (transport as BaseTransport & { write(d: Uint8Array): void }).write(block);
          gc!(); // drops the views handed out so far while reads go on
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        await done;
        gc!();
        await new Promise((resolve) => setTimeout(resolve, 0));
        assert.ok(kept.length > 1, "several reads");
        for (const { offset, head } of kept) {
          const expected = [...head.keys()].map((i) => ((offset + i) >> 12) & 0xff);
          assert.deepEqual([...head], expected, `the head at offset ${offset} kept its bytes`);
        }
        transport.close();
        server.close();
        await server.waitClosed();
      });
    },
  });
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: views handed to two connections reading at once keep their bytes`, async () => {
    await onLoop(make, async (loop) => {
      const total = 2 << 20;
      // Each connection's bytes carry its number (1 or 2) in their high bits.
      const views = new Map<number, Uint8Array[]>([[1, []], [2, []]]);
      const received = new Map<number, number>([[1, 0], [2, 0]]);
      const done = loop.createFuture<void>();
      class Keep extends Protocol {
        id = 0;
        override dataReceived(data: Uint8Array): void {
          if (this.id === 0) this.id = data[0] >> 6;
          views.get(this.id)!.push(data); // kept as handed out, never copied
          received.set(this.id, received.get(this.id)! + data.length);
          if (received.get(1)! >= total && received.get(2)! >= total && !done.done()) {
            done.setResult(undefined);
          }
        }
      }
      const server = await loop.createServer(() => new Keep(), "127.0.0.1", 0);
      const clients = await Promise.all(
        [1, 2].map(() => loop.createConnection(() => new Protocol(), ...addressOf(server))),
      );
      const block = new Uint8Array(64 << 10);
      for (let sent = 0; sent < total; sent += block.length) {
        for (const [i, [transport]] of clients.entries()) {
          const id = i + 1;
          for (let j = 0; j < block.length; j++) block[j] = (id << 6) | ((sent + j) & 0x3f);
          (transport as BaseTransport & { write(d: Uint8Array): void }).write(block);
        }
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      await done;
      for (const [id, kept] of views) {
        let offset = 0;
        for (const view of kept) {
          for (let j = 0; j < view.length; j++, offset++) {
            if (view[j] !== ((id << 6) | (offset & 0x3f))) {
              assert.fail(`connection ${id}: byte ${offset} changed to ${view[j]}`);
            }
          }
        }
        assert.equal(offset, total);
      }
      for (const [transport] of clients) transport.close();
      server.close();
      await server.waitClosed();
    });
  });
}
