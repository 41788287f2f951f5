/**
 * The socket options only the epoll selector's descriptors honour:
 * `createConnection`'s `localAddr` (the local end bound before connecting,
 * as Python's `_connect_sock`) and `createServer`'s `reuseAddress: false`.
 * The Deno-ops loops' `NotImplementedError` for both is tested in
 * `resolution_test.ts`.
 */
import assert from "node:assert/strict";
import { AF_INET6, createFdSocket, Protocol } from "../../transports/mod.ts";
import { FFI, onEpoll, onEpollLeavingNoFd } from "./_epoll.ts";
import { Echo, Recorder } from "./_helpers.ts";

// SOL_SOCKET options (asm-generic).
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;

/** A port nothing uses on 127.0.0.1 now (bound, then released). */
function freePort(): number {
  const sock = createFdSocket();
  try {
    sock.bind(["127.0.0.1", 0]);
    return (sock.getsockname() as [string, number])[1];
  } finally {
    sock.close();
  }
}

Deno.test({
  name:
    "SelectorEventLoop(epoll) createConnection() binds the local end to localAddr before connecting",
  ignore: !FFI,
  async fn() {
    await onEpollLeavingNoFd(async (loop) => {
      const served: Echo[] = [];
      const server = await loop.createServer(
        () => {
          const p = new Echo(loop);
          served.push(p);
          return p;
        },
        "127.0.0.1",
        0,
      );
      const [host, port] = server.sockets[0].getsockname() as [string, number];
      const local = freePort();
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        host,
        port,
        { localAddr: ["127.0.0.1", local] },
      );
      assert.deepEqual(transport.getExtraInfo("sockname"), ["127.0.0.1", local]);
      await served[0].made;
      assert.deepEqual(served[0].transport!.getExtraInfo("peername"), ["127.0.0.1", local]);
      // Port 0: the kernel picks the local port; the address is still the one given.
      const [other, otherClient] = await loop.createConnection(
        () => new Recorder(loop),
        host,
        port,
        {
          localAddr: ["127.0.0.1", 0],
        },
      );
      const [otherHost, otherPort] = other.getExtraInfo("sockname") as [string, number];
      assert.equal(otherHost, "127.0.0.1");
      assert.notEqual(otherPort, local);
      await served[1].made;
      assert.deepEqual(served[1].transport!.getExtraInfo("peername"), [otherHost, otherPort]);
      transport.close();
      other.close();
      await client.lost;
      await otherClient.lost;
      server.closeClients();
      server.close();
      await server.waitClosed();
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) createConnection() rejects a localAddr that does not bind, or is of no matching family, and leaves no descriptor open",
  ignore: !FFI,
  async fn() {
    await onEpollLeavingNoFd(async (loop) => {
      const server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
      const [host, port] = server.sockets[0].getsockname() as [string, number];
      // The listener holds the port: binding the client there fails, naming the address.
      await assert.rejects(
        loop.createConnection(() => new Protocol(), host, port, { localAddr: [host, port] }),
        (e: unknown) =>
          e instanceof Deno.errors.AddrInUse && (e as { code?: string }).code === "EADDRINUSE" &&
          e.message.startsWith(`Cannot bind to local address 127.0.0.1:${port}: `),
      );
      // An IPv6 local address for an IPv4 remote one: Python's OSError.
      await assert.rejects(
        loop.createConnection(() => new Protocol(), host, port, { localAddr: ["::1", 0] }),
        (e: unknown) =>
          e instanceof Error &&
          e.message ===
            "Cannot bind to local address: no matching local address with family=AF_INET found",
      );
      // Resolved with the remote's hints: family AF_INET6 finds no IPv4 local address.
      await assert.rejects(
        loop.createConnection(() => new Protocol(), "::1", port, {
          family: AF_INET6,
          localAddr: ["127.0.0.1", 0],
        }),
        /no address of the requested family/,
      );
      for (
        const [localAddr, error] of [
          ["127.0.0.1", TypeError],
          [["127.0.0.1"], TypeError],
          [[1, 0], TypeError],
          [["127.0.0.1", "80"], TypeError],
          [["127.0.0.1", 65536], RangeError],
          [["127.0.0.1", 1.5], RangeError],
        ] as const
      ) {
        await assert.rejects(
          loop.createConnection(() => new Protocol(), host, port, {
            localAddr: localAddr as never,
          }),
          (e: unknown) => e instanceof error && /'localAddr'/.test((e as Error).message),
          JSON.stringify(localAddr),
        );
      }
      server.close();
      await server.waitClosed();
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) createServer() sets SO_REUSEADDR by default and leaves it off with reuseAddress: false",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const plain = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
      const on = await loop.createServer(() => new Protocol(), "127.0.0.1", 0, {
        reuseAddress: true,
      });
      const off = await loop.createServer(() => new Protocol(), "127.0.0.1", 0, {
        reuseAddress: false,
      });
      assert.equal(plain.sockets[0].getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
      assert.equal(on.sockets[0].getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
      assert.equal(off.sockets[0].getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
      // It still serves.
      const [host, port] = off.sockets[0].getsockname() as [string, number];
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        host,
        port,
      );
      transport.close();
      await client.lost;
      for (const server of [plain, on, off]) {
        server.close();
        await server.waitClosed();
      }
    });
  },
});
