/**
 * Cancelling a connect on both loops (`LOOPS`): the attempt in flight is
 * aborted, a connection that completes anyway is closed, and the resource
 * and op sanitizers find nothing left.
 */
import assert from "node:assert/strict";
import { CancelledError } from "../../loop/mod.ts";
import { sleep } from "../../tasks/sleep.ts";
import { addressOf, LOOPS, onLoop, Recorder } from "./_helpers.ts";

// Yields to the loop a few times, so a task started just before gets to
// its Deno operation (no waiting for time).
async function yields(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await sleep(0);
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: cancelling createConnection() while Deno.connect is in flight aborts it`, async () => {
    // With a backlog of 0 one waiting connection fills the queue: Linux then
    // drops the next SYN, so the next connect stays in flight (retrying).
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 0 });
    const filler = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    try {
      await onLoop(make, async (loop) => {
        const task = loop.createTask(() =>
          loop.createConnection(() => new Recorder(loop), "127.0.0.1", listener.addr.port)
        );
        await yields();
        assert.equal(task.done(), false, "the connect is in flight");
        const started = loop.time();
        task.cancel();
        await assert.rejects(async () => await task, CancelledError);
        assert.ok(loop.time() - started < 1, "cancelled at once, not after the SYN retries");
      });
    } finally {
      filler.close();
      listener.close();
    }
  });

  Deno.test(`${name}: a connection that completes as its createConnection() is cancelled is closed`, async () => {
    await onLoop(make, async (loop) => {
      const served: Recorder[] = [];
      const server = await loop.createServer(
        () => {
          const p = new Recorder(loop);
          served.push(p);
          return p;
        },
        "127.0.0.1",
        0,
      );
      const [host, port] = addressOf(server);
      // Cancel at every point from before the connect to after it.
      for (let step = 0; step < 10; step++) {
        const task = loop.createTask(() =>
          loop.createConnection(() => new Recorder(loop), host, port)
        );
        await yields(step);
        task.cancel();
        try {
          const [transport] = await task;
          transport.close(); // it finished before the cancel came
        } catch (err) {
          assert.ok(err instanceof CancelledError, String(err));
        }
      }
      // The server accepts in order: once this last client is served, every
      // connection the kernel completed before it was accepted too.
      const [last, lastClient] = await loop.createConnection(() => new Recorder(loop), host, port);
      await served.at(-1)!.made;
      last.close();
      await lastClient.lost;
      // Each connection the cancelled calls made was closed: its peer sees the end.
      for (const p of served) await p.lost;
      assert.ok(served.length >= 1);
      server.close();
      await server.waitClosed();
    });
  });

  Deno.test(`${name}: cancelling createUnixConnection() leaves no connection behind`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "aio_cancel_" });
    const path = `${dir}/s.sock`;
    const listener = Deno.listen({ transport: "unix", path });
    try {
      await onLoop(make, async (loop) => {
        const task = loop.createTask(() =>
          loop.createUnixConnection(() => new Recorder(loop), path)
        );
        await sleep(0);
        task.cancel();
        await assert.rejects(async () => await task, CancelledError);
        const conn = await listener.accept();
        assert.equal(await conn.read(new Uint8Array(1)), null, "the late conn was closed");
        conn.close();
      });
    } finally {
      listener.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
