/** Unix socket transports and servers, on both loops (`LOOPS`). */
import assert from "node:assert/strict";
import { bytes, Echo, LOOPS, onLoop, Recorder } from "./_helpers.ts";

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_unix_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: createUnixServer() and createUnixConnection() echo over a socket file, unlinked on close`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/echo.sock`;
      await onLoop(make, async (loop) => {
        const served: Echo[] = [];
        const server = await loop.createUnixServer(() => {
          const p = new Echo(loop);
          served.push(p);
          return p;
        }, path);
        assert.equal(server.sockets[0].getsockname(), path);
        assert.equal(Deno.lstatSync(path).isSocket, true);
        const [transport, client] = await loop.createUnixConnection(() => new Recorder(loop), path);
        assert.equal(transport.getExtraInfo("peername"), path);
        assert.equal(transport.getExtraInfo("sockname"), "");
        assert.equal(transport.canWriteEof(), true);
        transport.write(bytes("over unix"));
        await client.waitFor(9, loop);
        assert.equal(client.text(), "over unix");
        transport.writeEof();
        await served[0].eof;
        transport.close();
        await client.lost;
        await served[0].lost;
        assert.deepEqual(client.events, ["made", "data", "lost"]);
        assert.deepEqual(served[0].events, ["made", "data", "eof", "lost"]);
        server.close();
        await server.waitClosed();
        assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
      });
    });
  });

  Deno.test(`${name}: createUnixServer() unlinks a stale socket file but not a regular file`, async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/stale.sock`;
      // A stale socket file: Deno unlinks a listener's own path on close, so
      // move the live socket's file away first.
      const live = Deno.listen({ transport: "unix", path: `${dir}/live.sock` });
      Deno.renameSync(`${dir}/live.sock`, path);
      live.close();
      assert.equal(Deno.lstatSync(path).isSocket, true);
      const regular = `${dir}/regular`;
      Deno.writeTextFileSync(regular, "not a socket");
      await onLoop(make, async (loop) => {
        const server = await loop.createUnixServer(() => new Echo(loop), path);
        const [transport, client] = await loop.createUnixConnection(() => new Recorder(loop), path);
        transport.close();
        await client.lost;
        server.close();
        server.closeClients();
        await server.waitClosed();
        await assert.rejects(
          loop.createUnixServer(() => new Echo(loop), regular),
          Deno.errors.AddrInUse,
        );
        assert.equal(Deno.readTextFileSync(regular), "not a socket");
        const idle = await loop.createUnixServer(() => new Echo(loop), `${dir}/idle.sock`, {
          cleanupSocket: false,
          startServing: false,
        });
        assert.equal(idle.isServing(), false);
        idle.close();
        await idle.waitClosed();
        await assert.rejects(
          loop.createUnixConnection(() => new Recorder(loop), `${dir}/missing.sock`),
          Deno.errors.NotFound,
        );
        await assert.rejects(
          // deno-lint-ignore no-explicit-any
          loop.createUnixConnection(() => new Recorder(loop), 5 as any),
          (e: Error) => e instanceof TypeError && e.message.includes("'path'"),
        );
      });
    });
  });
}
