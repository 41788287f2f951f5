/**
 * Bad input to the transport layer on both loops (`LOOPS`), as issue 5
 * asks: a port out of range, a host that does not resolve, a protocol
 * factory that does not return a protocol, and a non-bytes write argument
 * each get a clear error naming the argument.
 */
import assert from "node:assert/strict";
import type { ExceptionContext, ProactorEventLoop, SelectorEventLoop } from "../../loop/mod.ts";
import { GaiError, Protocol, type Server } from "../../transports/mod.ts";
import { addressOf, LOOPS, onLoop, Recorder } from "./_helpers.ts";

type Loop = ProactorEventLoop | SelectorEventLoop;

// deno-lint-ignore no-explicit-any
type Any = any;

const names = (arg: string, type: "TypeError" | "RangeError") => (e: unknown): boolean => {
  assert.ok(e instanceof Error);
  assert.equal(e.name, type, e.message);
  assert.ok(e.message.includes(`'${arg}'`), e.message);
  return true;
};

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_bad_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: a port out of range or not a number is named`, async () => {
    await onLoop(make, async (loop: Loop) => {
      const factory = () => new Protocol();
      for (const port of [65536, -1, 1.5, Number.NaN]) {
        await assert.rejects(
          loop.createConnection(factory, "127.0.0.1", port),
          names("port", "RangeError"),
        );
        await assert.rejects(
          loop.createServer(factory, "127.0.0.1", port),
          names("port", "RangeError"),
        );
      }
      for (const port of ["80", {}, true]) {
        await assert.rejects(
          loop.createConnection(factory, "127.0.0.1", port as Any),
          names("port", "TypeError"),
        );
        await assert.rejects(
          loop.createServer(factory, "127.0.0.1", port as Any),
          names("port", "TypeError"),
        );
      }
      await assert.rejects(
        loop.createConnection(factory, "127.0.0.1", null),
        names("port", "TypeError"),
        "a connection needs a port",
      );
    });
  });

  Deno.test(`${name}: a host that does not resolve is a GaiError naming the host`, async () => {
    await onLoop(make, async (loop: Loop) => {
      const factory = () => new Protocol();
      const unresolved = (e: unknown): boolean => {
        assert.ok(e instanceof GaiError, String(e));
        assert.ok(e.message.includes('"no-such-host.invalid"'), e.message);
        return true;
      };
      await assert.rejects(loop.createConnection(factory, "no-such-host.invalid", 80), unresolved);
      await assert.rejects(loop.createServer(factory, "no-such-host.invalid", 0), unresolved);
      await assert.rejects(
        loop.createConnection(factory, 42 as Any, 80),
        names("host", "TypeError"),
      );
      await assert.rejects(loop.createServer(factory, 42 as Any, 0), names("host", "TypeError"));
      for (const option of ["reuseAddress", "reusePort"]) {
        for (const bad of [0, "false", 1]) {
          await assert.rejects(
            loop.createServer(factory, "127.0.0.1", 0, { [option]: bad } as Any),
            names(option, "TypeError"),
          );
        }
      }
    });
  });

  Deno.test(`${name}: a protocol factory that returns no protocol is named, on every entry point`, async () => {
    const errors: ExceptionContext[] = [];
    await withDir((dir) =>
      onLoop(make, async (loop: Loop) => {
        const notAProtocol = () => undefined as Any;
        const tcp = await loop.createServer(() => new Protocol(), "127.0.0.1", 0) as Server;
        const unix = await loop.createUnixServer(() => new Protocol(), `${dir}/u.sock`) as Server;
        const returns = names("protocolFactory", "TypeError");
        await assert.rejects(
          loop.createConnection(notAProtocol, ...addressOf(tcp)),
          (e) => returns(e) && /must return a protocol/.test((e as Error).message),
        );
        await assert.rejects(loop.createUnixConnection(notAProtocol, `${dir}/u.sock`), returns);
        for (const bad of ["factory", 5, null]) {
          await assert.rejects(loop.createConnection(bad as Any, ...addressOf(tcp)), returns);
          await assert.rejects(loop.createServer(bad as Any, "127.0.0.1", 0), returns);
          await assert.rejects(loop.createUnixServer(bad as Any, `${dir}/v.sock`), returns);
          await assert.rejects(loop.connectAcceptedSocket(bad as Any, null), returns);
        }
        // A server's factory fails per connection: reported, the connection
        // closed, and the server serves on.
        const server = await loop.createServer(notAProtocol, "127.0.0.1", 0) as Server;
        const [transport, client] = await loop.createConnection(
          () => new Recorder(loop),
          ...addressOf(server),
        );
        await client.lost;
        assert.equal(errors.length, 1);
        assert.equal(errors[0].message, "Error in the protocol factory");
        assert.ok(returns(errors[0].exception));
        assert.equal(server.isServing(), true);
        transport.close();
        for (const s of [server, tcp, unix]) {
          s.close();
          await s.waitClosed();
        }
      }, errors)
    );
  });

  Deno.test(`${name}: a write of anything but a Uint8Array is named, over TCP and Unix`, async () => {
    await withDir((dir) =>
      onLoop(make, async (loop: Loop) => {
        const tcp = await loop.createServer(() => new Protocol(), "127.0.0.1", 0) as Server;
        const unix = await loop.createUnixServer(() => new Protocol(), `${dir}/w.sock`) as Server;
        const [t1, p1] = await loop.createConnection(() => new Recorder(loop), ...addressOf(tcp));
        const [t2, p2] = await loop.createUnixConnection(() => new Recorder(loop), `${dir}/w.sock`);
        for (const transport of [t1, t2]) {
          for (const bad of ["text", 5, null, undefined, new ArrayBuffer(4), [1, 2]]) {
            assert.throws(() => transport.write(bad as Any), names("data", "TypeError"));
            assert.throws(() => transport.writelines([bad as Any]), names("data", "TypeError"));
          }
          // A bad item anywhere in the list: nothing of it is written.
          const big = new Uint8Array(8 << 20);
          assert.throws(
            () => transport.writelines([big, "text" as Any]),
            names("data", "TypeError"),
          );
          assert.equal(transport.getWriteBufferSize(), 0);
          assert.equal(transport.isClosing(), false, "a bad write does not break the transport");
          transport.close();
        }
        await p1.lost;
        await p2.lost;
        for (const s of [tcp, unix]) {
          s.close();
          s.closeClients();
          await s.waitClosed();
        }
      })
    );
  });
}
