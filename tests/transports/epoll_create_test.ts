/**
 * `createConnection`, `createServer`, `createUnixConnection` and
 * `createUnixServer` on the epoll selector: real descriptors on both ends
 * (IPv4, IPv6, Unix), connect errors and `allErrors`, cancellation
 * and closing leave no descriptor open (`/proc/self/fd`), the Unix file is
 * unlinked on close. The shared tests (`tcp_test.ts`, `unix_test.ts`, ...)
 * run on these descriptors too.
 */
import assert from "node:assert/strict";
import { CancelledError, ExceptionGroup, type SelectorEventLoop } from "../../loop/mod.ts";
import { sleep } from "../../tasks/sleep.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  createFdSocket,
  FdSocket,
  type Server,
  type Transport,
} from "../../transports/mod.ts";
import { FFI, onEpollLeavingNoFd } from "./_epoll.ts";
import { IPPROTO_IPV6, IPV6_V6ONLY } from "../../transports/_libc.ts";
import { captureLog } from "../loop/_helpers.ts";
import { bytes, Echo, Recorder } from "./_helpers.ts";

// A served client: echoes `text` and checks both ends are descriptors.
async function echoOver(
  loop: SelectorEventLoop,
  served: Recorder[],
  connect: () => Promise<[Transport, Recorder]>,
  text: string,
): Promise<Transport> {
  const [transport, client] = await connect();
  transport.write(bytes(text));
  await client.waitFor(text.length, loop);
  assert.equal(client.text(), text);
  assert.ok(transport.getExtraInfo("socket") instanceof FdSocket);
  assert.ok(served.at(-1)!.transport!.getExtraInfo("socket") instanceof FdSocket);
  return transport;
}

function recordingFactory(loop: SelectorEventLoop, served: Recorder[]): () => Echo {
  return () => {
    const p = new Echo(loop);
    served.push(p);
    return p;
  };
}

async function closeAll(servers: Server[], clients: Transport[], served: Recorder[]) {
  for (const t of clients) t.close();
  for (const p of served) await p.lost;
  for (const s of servers) {
    s.close();
    await s.waitClosed();
  }
}

Deno.test({
  name:
    "SelectorEventLoop(epoll) createConnection()/createServer() echo over IPv4 and IPv6 descriptors and leave none open",
  ignore: !FFI,
  async fn() {
    await onEpollLeavingNoFd(async (loop) => {
      const served: Recorder[] = [];
      // One listener per address, each on its own port (port 0).
      const server = await loop.createServer(recordingFactory(loop, served), [
        "127.0.0.1",
        "::1",
      ], 0);
      const names = server.sockets.map((s) => s.getsockname() as [string, number]);
      assert.deepEqual(names.map(([host]) => host), ["127.0.0.1", "::1"]);
      assert.ok(server.isServing());
      const clients: Transport[] = [];
      for (const [host, port] of names) {
        clients.push(
          await echoOver(
            loop,
            served,
            () => loop.createConnection(() => new Recorder(loop), host, port),
            `hello ${host}`,
          ),
        );
        assert.deepEqual(clients.at(-1)!.getExtraInfo("peername"), [host, port]);
      }
      await closeAll([server], clients, served);
      assert.deepEqual(server.sockets, []);
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) createUnixServer() unlinks a stale socket file, serves descriptors and unlinks its file on close",
  ignore: !FFI,
  async fn() {
    await onEpollLeavingNoFd(async (loop, dir) => {
      const path = `${dir}/s.sock`;
      // A stale socket file (its listener gone, Deno leaves the file when told to).
      const stale = Deno.listen({ transport: "unix", path });
      Deno.renameSync(path, `${path}.keep`);
      stale.close();
      Deno.renameSync(`${path}.keep`, path);
      assert.ok(Deno.lstatSync(path).isSocket);
      const served: Recorder[] = [];
      const server = await loop.createUnixServer(recordingFactory(loop, served), path);
      assert.equal(server.sockets[0].getsockname(), path);
      const client = await echoOver(
        loop,
        served,
        () => loop.createUnixConnection(() => new Recorder(loop), path),
        "over a Unix descriptor",
      );
      assert.equal(client.getExtraInfo("peername"), path);
      assert.equal(client.getExtraInfo("sockname"), "");
      await closeAll([server], [client], served);
      assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) createServer()/createConnection() and their Unix forms take FdSockets as 'sock' and close them with their owners",
  ignore: !FFI,
  async fn() {
    await onEpollLeavingNoFd(async (loop, dir) => {
      const served: Recorder[] = [];
      const factory = recordingFactory(loop, served);
      const unixPath = `${dir}/s.sock`;
      const listening = [createFdSocket(), createFdSocket({ family: AF_UNIX })];
      listening[0].bind(["127.0.0.1", 0]); // only bound: the server listens on it
      listening[1].bind(unixPath);
      listening[1].listen();
      const servers = [
        await loop.createServer(factory, null, null, { sock: listening[0] }),
        await loop.createUnixServer(factory, null, { sock: listening[1] }),
      ];
      assert.deepEqual(listening.map((s) => s.state), ["listening", "listening"]);
      const connected = [createFdSocket(), createFdSocket({ family: AF_UNIX })];
      const clients: Transport[] = [];
      for (const [i, sock] of connected.entries()) {
        await loop.sockConnect(sock, listening[i].getsockname());
        clients.push(
          await echoOver(
            loop,
            served,
            () =>
              i === 0
                ? loop.createConnection(() => new Recorder(loop), null, null, { sock })
                : loop.createUnixConnection(() => new Recorder(loop), null, { sock }),
            `over the given socket ${i}`,
          ),
        );
        assert.equal(clients[i].getExtraInfo("socket"), sock);
      }
      await closeAll(servers, clients, served);
      assert.deepEqual([...listening, ...connected].map((s) => s.state), [
        "closed",
        "closed",
        "closed",
        "closed",
      ]);
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) createServer() with a null host listens on 0.0.0.0 and on :: (IPv6 only), as asyncio; 'family' keeps one",
  ignore: !FFI,
  async fn() {
    await onEpollLeavingNoFd(async (loop) => {
      const served: Recorder[] = [];
      const server = await loop.createServer(recordingFactory(loop, served), null, 0);
      const names = server.sockets.map((s) => s.getsockname() as [string, number]);
      assert.deepEqual(names.map(([host]) => host), ["0.0.0.0", "::"]);
      const clients: Transport[] = [];
      for (const [host, [, port]] of [["127.0.0.1", names[0]], ["::1", names[1]]] as const) {
        clients.push(
          await echoOver(
            loop,
            served,
            () => loop.createConnection(() => new Recorder(loop), host, port),
            `every interface, ${host}`,
          ),
        );
      }
      // The IPv6 listener is IPv6-only (each family its own listener, as Python's).
      assert.equal(server.sockets[1].getsockopt(IPPROTO_IPV6, IPV6_V6ONLY), 1);
      await closeAll([server], clients, served);
      for (const [family, host] of [[AF_INET, "0.0.0.0"], [AF_INET6, "::"]] as const) {
        const one = await loop.createServer(recordingFactory(loop, []), "", 0, { family });
        assert.deepEqual(one.sockets.map((s) => (s.getsockname() as [string, number])[0]), [host]);
        await closeAll([one], [], []);
      }
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) createServer() skips an address the host cannot have (no IPv6; debug mode says so), in any order, and fails when none binds",
  ignore: !FFI,
  async fn() {
    using log = captureLog();
    const bind = FdSocket.prototype.bind;
    // No IPv6 here: binding "::" fails as on a host without it.
    FdSocket.prototype.bind = function (this: FdSocket, address) {
      if (Array.isArray(address) && address[0] === "::") {
        throw Object.assign(new Deno.errors.AddrNotAvailable("Cannot bind: no IPv6"), {
          code: "EADDRNOTAVAIL",
          errno: 99,
        });
      }
      return bind.call(this, address);
    };
    try {
      await onEpollLeavingNoFd(async (loop) => {
        loop.setDebug(true);
        for (const hosts of [null, ["::", ""], ["::", "127.0.0.1"]]) {
          const server = await loop.createServer(recordingFactory(loop, []), hosts, 0);
          assert.deepEqual(
            server.sockets.map((s) => (s.getsockname() as [string, number])[0]),
            [hosts === null || hosts[1] === "" ? "0.0.0.0" : "127.0.0.1"],
          );
          await closeAll([server], [], []);
        }
        assert.ok(
          log.some((e) => e.level === "warn" && e.message.includes("skipped ::")),
          log.map((e) => e.message).join("\n"),
        );
        await assert.rejects(loop.createServer(recordingFactory(loop, []), "::", 0), {
          name: "AddrNotAvailable",
          message: "Cannot create server: could not bind on any address out of ::",
        });
      });
    } finally {
      FdSocket.prototype.bind = bind;
    }
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) createConnection() rejects with the connect error (allErrors: an ExceptionGroup) and a cancelled connect closes its descriptor",
  ignore: !FFI,
  async fn() {
    await onEpollLeavingNoFd(async (loop) => {
      // Two refused ports: a listener closed at once leaves its port free.
      const refused = [0, 1].map(() => {
        const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        l.close();
        return l.addr.port;
      });
      const err = await loop.createConnection(() => new Recorder(loop), "127.0.0.1", refused[0], {
        allErrors: true,
      }).then(() => null, (e) => e);
      assert.ok(err instanceof ExceptionGroup, String(err));
      assert.ok(err.exceptions[0] instanceof Deno.errors.ConnectionRefused);
      await assert.rejects(
        loop.createConnection(() => new Recorder(loop), "127.0.0.1", refused[1]),
        Deno.errors.ConnectionRefused,
      );
      // A backlog of 0 and one waiting client: the next SYN is dropped, so the connect stays in flight.
      const full = Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 0 });
      const filler = await Deno.connect({ hostname: "127.0.0.1", port: full.addr.port });
      try {
        const task = loop.createTask(() =>
          loop.createConnection(() => new Recorder(loop), "127.0.0.1", full.addr.port)
        );
        for (let i = 0; i < 5; i++) await sleep(0);
        assert.equal(task.done(), false, "the connect is in flight");
        task.cancel();
        await assert.rejects(async () => await task, CancelledError);
      } finally {
        filler.close();
        full.close();
      }
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) createServer() accepts every waiting client (accept4 until EAGAIN) and closeClients() ends them",
  ignore: !FFI,
  async fn() {
    await onEpollLeavingNoFd(async (loop) => {
      const N = 20;
      const served: Recorder[] = [];
      const allServed = loop.createFuture<void>();
      const echo = recordingFactory(loop, served);
      const server = await loop.createServer(
        () => {
          const p = echo();
          if (served.length === N) allServed.setResult(undefined);
          return p;
        },
        "127.0.0.1",
        0,
      );
      const [host, port] = server.sockets[0].getsockname() as [string, number];
      const clients = await Promise.all(
        Array.from(
          { length: N },
          () => loop.createConnection(() => new Recorder(loop), host, port),
        ),
      );
      await allServed;
      for (const p of served) await p.made;
      server.closeClients();
      for (const [, client] of clients) await client.lost;
      server.close();
      await server.waitClosed();
      assert.equal(server.isServing(), false);
    });
  },
});
