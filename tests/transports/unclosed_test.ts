/**
 * Transports and servers dropped without `close()`, on both loops
 * (`LOOPS`): collected, they warn in debug mode (Python's ResourceWarning
 * "unclosed transport") and their conns or listeners are closed in any
 * mode. Needs `--v8-flags=--expose-gc` (the I/O test group has it).
 */
import assert from "node:assert/strict";
import { type ProactorEventLoop, SelectorEventLoop } from "../../loop/mod.ts";

type Loop = ProactorEventLoop | SelectorEventLoop;
import type { Future } from "../../tasks/mod.ts";
import { waitFor } from "../../tasks/mod.ts";
import { type BaseTransport, Protocol, type Server, type Transport } from "../../transports/mod.ts";
import { captureLog } from "../loop/_helpers.ts";
import { addressOf, LOOPS, onLoop, Recorder, recordingServer } from "./_helpers.ts";

const gc = (globalThis as { gc?: () => void }).gc;

// WeakRefs and finalizers act between host tasks: collect between two.
async function collect(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  gc!();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

// Connects, lets the server half-close so the client stops reading (its
// protocol keeps it open for writing), and drops the transport unclosed.
async function dropIdleClient(loop: Loop, server: Server, served: Recorder[]) {
  const client = new Recorder(loop);
  client.keepOpenOnEof = true;
  const [transport] = await loop.createConnection(() => client, ...addressOf(server));
  await served.at(-1)!.made;
  served.at(-1)!.transport!.writeEof();
  await client.eof;
  return new WeakRef(transport);
}

// The same, but closed properly before it is dropped.
async function dropClosedClient(loop: Loop, server: Server, served: Recorder[]) {
  const [transport, client] = await loop.createConnection(
    () => new Recorder(loop),
    ...addressOf(server),
  );
  await served.at(-1)!.made;
  transport.close();
  await client.lost;
}

async function dropServer(loop: Loop): Promise<[number, WeakRef<Server>]> {
  const server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0, {
    startServing: false,
  }) as Server;
  return [addressOf(server)[1], new WeakRef(server)];
}

for (const [name, make] of LOOPS) {
  for (const debug of [true, false]) {
    Deno.test({
      name: `${name}: a transport dropped unclosed is closed when collected${
        debug ? ", with a warning in debug mode" : ""
      }`,
      ignore: gc === undefined,
      fn: async () => {
        using log = captureLog();
        await onLoop(make, async (loop) => {
          loop.setDebug(debug);
          const served: Recorder[] = [];
          const server = await loop.createServer(
            () => {
              const p = new Recorder(loop);
              served.push(p);
              return p;
            },
            "127.0.0.1",
            0,
          ) as Server;
          await dropClosedClient(loop, server, served);
          const ref = await dropIdleClient(loop, server, served);
          await collect();
          assert.equal(ref.deref(), undefined, "the transport was collected");
          // Its conn was closed: the server's side sees the end of the stream.
          await served[1].lost;
          const warnings = log.filter((e) => e.level === "warn").map((e) => e.message);
          if (debug) {
            assert.equal(warnings.length, 1, warnings.join("\n"));
            assert.match(
              warnings[0],
              /^Unclosed transport <\w+Transport .*open.*>: call close\(\)$/,
            );
          } else {
            assert.deepEqual(warnings, []);
          }
          server.close();
          await server.waitClosed();
        });
      },
    });
  }

  Deno.test({
    name: `${name}: a server dropped unclosed warns in debug mode and releases its port`,
    ignore: gc === undefined,
    fn: async () => {
      using log = captureLog();
      await onLoop(make, async (loop) => {
        loop.setDebug(true);
        const [port, ref] = await dropServer(loop);
        await collect();
        assert.equal(ref.deref(), undefined, "the server was collected");
        const warnings = log.filter((e) => e.level === "warn").map((e) => e.message);
        assert.deepEqual(warnings, [
          `Unclosed server <Server sockets=(127.0.0.1:${port})>: call close()`,
        ]);
        await assert.rejects(
          Deno.connect({ hostname: "127.0.0.1", port }),
          Deno.errors.ConnectionRefused,
        );
      });
    },
  });
}

// A pause on the selector loop leaves the socket's reader registered until the
// socket is readable again (a lazy pause): the selector must not keep a paused
// transport that was dropped alive, and its finalizer must unregister the
// socket it closes. (On the proactor loop a paused transport keeps its read in
// flight, which keeps it alive, as in Python.)
Deno.test({
  name:
    "SelectorEventLoop: a transport dropped while paused is closed and unregistered when collected",
  ignore: gc === undefined,
  fn: async () => {
    using log = captureLog();
    await onLoop(() => new SelectorEventLoop(), async (loop) => {
      loop.setDebug(true);
      const { server, served } = await recordingServer(loop);
      const [ref, sock] = await (async () => {
        const [transport] = await loop.createConnection(
          () => new Recorder(loop),
          ...addressOf(server),
        );
        await served[0].made;
        transport.pauseReading();
        return [new WeakRef(transport), transport.getExtraInfo("socket")] as const;
      })();
      assert.ok(loop.selector.getMap().has(sock as never), "the paused socket is still registered");
      await collect();
      assert.equal(ref.deref(), undefined, "the transport was collected");
      await served[0].lost;
      assert.equal(loop.selector.getMap().has(sock as never), false, "its socket was unregistered");
      const warnings = log.filter((e) => e.level === "warn").map((e) => e.message);
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(warnings[0], /^Unclosed transport <\w+Transport .*>: call close\(\)$/);
      server.close();
      await server.waitClosed();
    });
  },
});

// A server's protocol that pauses its transport and keeps no reference to it.
class PauseAndDrop extends Protocol {
  ref: WeakRef<Transport> | null = null;
  constructor(readonly made: Future<void>) {
    super();
  }
  override connectionMade(transport: BaseTransport): void {
    (transport as Transport).pauseReading();
    this.ref = new WeakRef(transport as Transport);
    this.made.setResult(undefined);
  }
}

// The same on the accepting side, on both loops (a transport paused before its
// first read has no read in flight on the proactor loop either): the server
// holds its clients weakly (Python's WeakSet), so an accepted transport dropped
// while paused is collected and closed, and a pending `waitClosed()` resolves.
for (const [name, make] of LOOPS) {
  Deno.test({
    name:
      `${name}: an accepted transport dropped while paused is collected, closed and detached from its server`,
    ignore: gc === undefined,
    fn: async () => {
      using _log = captureLog();
      await onLoop(make, async (loop) => {
        const accepted = new PauseAndDrop(loop.createFuture<void>());
        const server = await loop.createServer(() => accepted, "127.0.0.1", 0) as Server;
        const [transport, client] = await loop.createConnection(
          () => new Recorder(loop),
          ...addressOf(server),
        );
        try {
          await waitFor(accepted.made, 5);
          server.close();
          const closed = server.waitClosed();
          await collect();
          assert.equal(accepted.ref!.deref(), undefined, "the accepted transport was collected");
          await waitFor(client.eof, 5); // its socket was closed
          await waitFor(closed, 5);
        } finally {
          transport.close();
        }
      });
    },
  });
}
