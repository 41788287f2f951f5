/**
 * Transports over the project's socket objects, on both loops (`LOOPS`):
 * `getExtraInfo("socket")`, `connectAcceptedSocket()` and the `sock` option
 * of `createConnection`/`createServer`/`createUnixConnection`/
 * `createUnixServer`.
 */
import assert from "node:assert/strict";
import { CancelledError, type ProactorEventLoop, SelectorEventLoop } from "../../loop/mod.ts";
import {
  AF_UNIX,
  createSocket,
  EpollSelector,
  FdSocket,
  Protocol,
  type Server,
  Socket,
} from "../../transports/mod.ts";
import { sleep } from "../../tasks/sleep.ts";
import { addressOf, bytes, Echo, LOOPS, onLoop, Recorder } from "./_helpers.ts";

type Loop = ProactorEventLoop | SelectorEventLoop;

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_socktr_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

// A listening TCP socket, a client connected to it and the accepted socket.
async function pair(loop: Loop): Promise<{ server: Socket; client: Socket; conn: Socket }> {
  const server = createSocket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  const client = createSocket();
  const accepting = loop.sockAccept(server);
  await loop.sockConnect(client, server.getsockname());
  const [conn] = await accepting;
  return { server, client, conn: conn as Socket };
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: getExtraInfo("socket") is the project's Socket on both ends, TCP and Unix`, async () => {
    await withDir((dir) =>
      onLoop(make, async (loop) => {
        const served: Recorder[] = [];
        const factory = () => {
          const p = new Recorder(loop);
          served.push(p);
          return p;
        };
        const tcp = await loop.createServer(factory, "127.0.0.1", 0);
        const [client] = await loop.createConnection(() => new Recorder(loop), ...addressOf(tcp));
        await served[0].made;
        const mine = client.getExtraInfo("socket") as Socket;
        const theirs = served[0].transport!.getExtraInfo("socket") as Socket;
        // Descriptors on the epoll selector (the default under -A on Linux).
        const epoll = loop instanceof SelectorEventLoop && loop.selector instanceof EpollSelector;
        const kind = epoll ? FdSocket : Socket;
        assert.ok(mine instanceof kind && theirs instanceof kind);
        assert.equal(mine.state, "connected");
        assert.deepEqual(mine.getpeername(), addressOf(tcp));
        assert.deepEqual(mine.getsockname(), client.getExtraInfo("sockname"));
        assert.deepEqual(theirs.getpeername(), mine.getsockname());
        assert.deepEqual(theirs.getsockname(), addressOf(tcp));

        const path = `${dir}/x.sock`;
        const unix = await loop.createUnixServer(factory, path);
        const [uclient] = await loop.createUnixConnection(() => new Recorder(loop), path);
        await served[1].made;
        const usock = uclient.getExtraInfo("socket") as Socket;
        assert.equal(usock.family, AF_UNIX);
        assert.equal(usock.getpeername(), path);
        assert.equal(usock.getsockname(), "");
        assert.equal((served[1].transport!.getExtraInfo("socket") as Socket).getsockname(), path);

        for (const t of [client, uclient]) t.close();
        for (const p of served) await p.lost;
        for (const s of [tcp, unix]) {
          s.close();
          await s.waitClosed();
        }
      })
    );
  });

  Deno.test(`${name}: connectAcceptedSocket() delivers what the socket read before, then the rest`, async () => {
    await onLoop(make, async (loop) => {
      const { server, client, conn } = await pair(loop);
      await loop.sockSendall(client, bytes("abc"));
      assert.equal(new TextDecoder().decode(await loop.sockRecv(conn, 2)), "ab");
      // A receive cancelled while its read is in flight: that read's data
      // comes first, then the transport reads on its own.
      assert.equal(new TextDecoder().decode(await loop.sockRecv(conn, 1)), "c");
      const task = loop.createTask(() => loop.sockRecv(conn, 10));
      await sleep(0);
      assert.equal(task.done(), false);
      task.cancel();
      await assert.rejects(async () => await task, CancelledError);
      const [transport, protocol] = await loop.connectAcceptedSocket(() => new Echo(loop), conn);
      await loop.sockSendall(client, bytes("cdef"));
      assert.equal(transport.getExtraInfo("socket"), conn);
      assert.deepEqual(transport.getExtraInfo("peername"), client.getsockname());
      await loop.sockSendall(client, bytes("ghi"));
      await protocol.waitFor(7, loop);
      assert.equal(protocol.text(), "cdefghi");
      // The echo comes back over the same socket.
      const echoed: Uint8Array[] = [];
      let n = 0;
      while (n < 7) {
        const b = await loop.sockRecv(client, 100);
        echoed.push(b);
        n += b.length;
      }
      assert.equal(echoed.map((b) => new TextDecoder().decode(b)).join(""), "cdefghi");
      transport.close();
      await protocol.lost;
      assert.equal(conn.state, "closed", "the transport owned the socket");
      assert.equal((await loop.sockRecv(client, 10)).length, 0);
      client.close();
      server.close();
    });
  });

  Deno.test(`${name}: connectAcceptedSocket() names the bad argument and leaves the socket open on a bad factory`, async () => {
    await onLoop(make, async (loop) => {
      const { server, client, conn } = await pair(loop);
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        loop.connectAcceptedSocket(() => new Protocol(), 3 as any),
        { name: "TypeError", message: /'sock' must be a socket object/ },
      );
      const fresh = createSocket();
      await assert.rejects(loop.connectAcceptedSocket(() => new Protocol(), fresh), {
        name: "TypeError",
        message: /socket is new, not connected/,
      });
      fresh.close();
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        loop.connectAcceptedSocket(() => null as any, conn),
        { name: "TypeError", message: /must return a protocol/ },
      );
      assert.equal(conn.state, "connected");
      await assert.rejects(
        loop.connectAcceptedSocket(() => new Protocol(), conn, { ssl: true }),
        { name: "NotImplementedError", message: /'ssl' over an accepted socket/ },
      );
      for (const s of [conn, client, server]) s.close();
    });
  });

  Deno.test(`${name}: createConnection() and createServer() take a socket object as 'sock'`, async () => {
    await onLoop(make, async (loop) => {
      // A server on a socket that is only bound: it listens, serves and is closed with the server.
      const listening = createSocket();
      listening.bind(["127.0.0.1", 0]);
      const server = await loop.createServer(() => new Echo(loop), null, null, {
        sock: listening,
      }) as Server;
      assert.equal(listening.state, "listening");
      assert.deepEqual(server.sockets[0].getsockname(), listening.getsockname());
      // A client on a socket connected with sockConnect.
      const sock = createSocket();
      await loop.sockConnect(sock, listening.getsockname());
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        null,
        null,
        {
          sock,
        },
      );
      assert.equal(transport.getExtraInfo("socket"), sock);
      transport.write(bytes("via sock"));
      await client.waitFor(8, loop);
      assert.equal(client.text(), "via sock");
      transport.close();
      await client.lost;
      assert.equal(sock.state, "closed");
      server.close();
      await server.waitClosed();
      await assert.rejects(loop.sockAccept(listening), "the server closed the listener");
      listening.close();

      const other = createSocket();
      await assert.rejects(
        loop.createConnection(() => new Protocol(), "127.0.0.1", 1, { sock: other }),
        { name: "TypeError", message: /'host'\/'port' and 'sock' must not both be given/ },
      );
      await assert.rejects(
        loop.createServer(() => new Protocol(), null, 0, { sock: other }),
        { name: "TypeError", message: /'host'\/'port' and 'sock' must not both be given/ },
      );
      await assert.rejects(loop.createConnection(() => new Protocol()), {
        name: "TypeError",
        message: /neither 'host'\/'port' nor 'sock'/,
      });
      await assert.rejects(
        loop.createConnection(() => new Protocol(), null, null, { sock: other }),
        {
          name: "TypeError",
          message: /not connected/,
        },
      );
      await assert.rejects(loop.createServer(() => new Protocol(), null, null, { sock: other }), {
        name: "TypeError",
        message: /not bound or listening/,
      });
      other.close();
    });
  });

  Deno.test(`${name}: createUnixConnection() and createUnixServer() take an AF_UNIX socket object as 'sock'`, async () => {
    await withDir((dir) =>
      onLoop(make, async (loop) => {
        const path = `${dir}/s.sock`;
        const listening = createSocket({ family: AF_UNIX });
        listening.bind(path);
        listening.listen();
        const server = await loop.createUnixServer(() => new Echo(loop), null, {
          sock: listening,
        }) as Server;
        assert.equal(server.sockets[0].getsockname(), path);
        const sock = createSocket({ family: AF_UNIX });
        await loop.sockConnect(sock, path);
        const [transport, client] = await loop.createUnixConnection(
          () => new Recorder(loop),
          null,
          {
            sock,
          },
        );
        assert.equal(transport.getExtraInfo("peername"), path);
        transport.write(bytes("unix sock"));
        await client.waitFor(9, loop);
        assert.equal(client.text(), "unix sock");
        transport.close();
        await client.lost;
        server.close();
        await server.waitClosed();
        listening.close();
        assert.throws(() => Deno.lstatSync(path), Deno.errors.NotFound);

        const tcp = createSocket();
        await assert.rejects(
          loop.createUnixConnection(() => new Protocol(), null, { sock: tcp }),
          { name: "TypeError", message: /'sock' must be an AF_UNIX SOCK_STREAM socket/ },
        );
        await assert.rejects(loop.createUnixServer(() => new Protocol(), null, { sock: tcp }), {
          name: "TypeError",
          message: /'sock' must be an AF_UNIX SOCK_STREAM socket/,
        });
        tcp.close();
        const unix = createSocket({ family: AF_UNIX });
        await assert.rejects(
          loop.createUnixConnection(() => new Protocol(), path, { sock: unix }),
          { name: "TypeError", message: /'path' and 'sock' must not both be given/ },
        );
        await assert.rejects(
          loop.createUnixServer(() => new Protocol(), path, { sock: unix }),
          { name: "TypeError", message: /'path' and 'sock' must not both be given/ },
        );
        unix.close();
      })
    );
  });
}
