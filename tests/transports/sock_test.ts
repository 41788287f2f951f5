/**
 * The `sock*` family on both loops (`LOOPS`), over TCP and Unix stream
 * sockets: round trips, errors, cancellation, bad input.
 */
import assert from "node:assert/strict";
import { CancelledError, type ProactorEventLoop, SelectorEventLoop } from "../../loop/mod.ts";
import { AF_INET, AF_UNIX, createSocket, type Socket } from "../../transports/mod.ts";
import { sleep } from "../../tasks/sleep.ts";
import { LOOPS, onLoop } from "./_helpers.ts";

type Loop = ProactorEventLoop | SelectorEventLoop;

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

// A listening socket of `family` and a connected pair made with the loop's own sock* operations.
async function connected(
  loop: Loop,
  family: number,
  dir: string,
): Promise<{ server: Socket; client: Socket; conn: Socket; close(): void }> {
  const server = createSocket({ family });
  server.bind(family === AF_UNIX ? `${dir}/server.sock` : ["127.0.0.1", 0]);
  server.listen();
  const client = createSocket({ family });
  const accepting = loop.sockAccept(server);
  await loop.sockConnect(client, server.getsockname());
  const [conn, address] = await accepting;
  assert.deepEqual(address, family === AF_UNIX ? "" : client.getsockname());
  return {
    server,
    client,
    conn: conn as Socket,
    close() {
      for (const s of [client, conn, server]) s.close();
    },
  };
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_sock_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const FAMILIES: ReadonlyArray<[string, number]> = [["TCP", AF_INET], ["Unix", AF_UNIX]];

for (const [name, make] of LOOPS) {
  for (const [fname, family] of FAMILIES) {
    Deno.test(`${name}: sockConnect(), sockAccept(), sockSendall(), sockRecv() and sockRecvInto() round-trip over ${fname}`, async () => {
      await withDir((dir) =>
        onLoop(make, async (loop) => {
          const { server, client, conn, close } = await connected(loop, family, dir);
          assert.equal(client.state, "connected");
          if (family === AF_UNIX) {
            assert.equal(server.getsockname(), `${dir}/server.sock`);
            assert.equal(client.getpeername(), `${dir}/server.sock`);
            assert.equal(conn.getpeername(), "", "an unnamed Unix peer, as in Python");
          } else {
            assert.deepEqual(conn.getpeername(), client.getsockname());
          }
          await loop.sockSendall(client, bytes("hello"));
          assert.equal(text(await loop.sockRecv(conn, 100)), "hello");
          // A large send while the peer receives in pieces: every byte, in order.
          const big = new Uint8Array(1 << 20);
          for (let i = 0; i < big.length; i++) big[i] = i % 251;
          const sending = loop.sockSendall(conn, big);
          const got = new Uint8Array(big.length);
          let n = 0;
          while (n < big.length) {
            const k = await loop.sockRecvInto(client, got.subarray(n, n + 65536));
            assert.ok(k > 0);
            n += k;
          }
          await sending;
          assert.deepEqual(got, big);
          conn.close();
          assert.equal((await loop.sockRecv(client, 10)).length, 0, "EOF is an empty read");
          assert.equal(await loop.sockRecvInto(client, new Uint8Array(4)), 0);
          close();
          if (family === AF_UNIX) {
            assert.throws(() => Deno.lstatSync(`${dir}/server.sock`), Deno.errors.NotFound);
          }
        })
      );
    });

    Deno.test(`${name}: a receive and a send wait on one ${fname} socket at once`, async () => {
      await withDir((dir) =>
        onLoop(make, async (loop) => {
          const { client, conn, close } = await connected(loop, family, dir);
          // The receive waits first; the send on the same socket must not be held up by it.
          const receiving = loop.createTask(() => loop.sockRecv(client, 10));
          await sleep(0);
          await loop.sockSendall(client, bytes("ping"));
          assert.equal(text(await loop.sockRecv(conn, 10)), "ping");
          assert.equal(receiving.done(), false);
          await loop.sockSendall(conn, bytes("pong"));
          assert.equal(text(await receiving), "pong");
          close();
        })
      );
    });

    Deno.test(`${name}: a cancelled sockRecv() on ${fname} loses nothing: the data goes to the next receive`, async () => {
      await withDir((dir) =>
        onLoop(make, async (loop) => {
          const { client, conn, close } = await connected(loop, family, dir);
          const task = loop.createTask(() => loop.sockRecv(conn, 10));
          await sleep(0);
          task.cancel();
          await assert.rejects(async () => await task, CancelledError);
          if (loop instanceof SelectorEventLoop) {
            assert.equal(loop.removeReader(conn), false, "the reader is gone");
          }
          await loop.sockSendall(client, new Uint8Array([5, 6]));
          assert.deepEqual([...await loop.sockRecv(conn, 1)], [5]);
          assert.deepEqual([...await loop.sockRecv(conn, 10)], [6]);
          close();
        })
      );
    });

    Deno.test(`${name}: a cancelled sockAccept() on ${fname} leaves the listener usable`, async () => {
      await withDir((dir) =>
        onLoop(make, async (loop) => {
          const server = createSocket({ family });
          server.bind(family === AF_UNIX ? `${dir}/a.sock` : ["127.0.0.1", 0]);
          server.listen();
          const task = loop.createTask(() => loop.sockAccept(server));
          await sleep(0);
          task.cancel();
          await assert.rejects(async () => await task, CancelledError);
          if (loop instanceof SelectorEventLoop) assert.equal(loop.removeReader(server), false);
          const client = createSocket({ family });
          const accepting = loop.sockAccept(server);
          await loop.sockConnect(client, server.getsockname());
          const [conn] = await accepting;
          await loop.sockSendall(conn, bytes("ok"));
          assert.equal(text(await loop.sockRecv(client, 10)), "ok");
          for (const s of [conn, client, server]) s.close();
        })
      );
    });

    Deno.test(`${name}: a cancelled sockSendall() on ${fname} while the peer does not read leaves nothing behind`, async () => {
      await withDir((dir) =>
        onLoop(make, async (loop) => {
          const { client, close } = await connected(loop, family, dir);
          // Far more than the socket buffers hold: the write stays in flight.
          const task = loop.createTask(() => loop.sockSendall(client, new Uint8Array(64 << 20)));
          for (let i = 0; i < 5; i++) await sleep(0);
          assert.equal(task.done(), false);
          task.cancel();
          await assert.rejects(async () => await task, CancelledError);
          if (loop instanceof SelectorEventLoop) assert.equal(loop.removeWriter(client), false);
          close(); // interrupts the write in flight (the sanitizers are on)
        })
      );
    });
  }

  Deno.test(`${name}: sockConnect() rejects with Deno's error: refused (TCP), missing file (Unix)`, async () => {
    await withDir((dir) =>
      onLoop(make, async (loop) => {
        const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const port = l.addr.port;
        l.close();
        const tcp = createSocket();
        await assert.rejects(
          loop.sockConnect(tcp, ["127.0.0.1", port]),
          Deno.errors.ConnectionRefused,
        );
        assert.equal(tcp.state, "new");
        tcp.close();
        const unix = createSocket({ family: AF_UNIX });
        await assert.rejects(loop.sockConnect(unix, `${dir}/missing.sock`), Deno.errors.NotFound);
        unix.close();
      })
    );
  });

  Deno.test(`${name}: a cancelled sockConnect() aborts the connect in flight`, async () => {
    // A backlog of 0 is full with one waiting connection: the next SYN is dropped.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0, tcpBacklog: 0 });
    const filler = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    try {
      await onLoop(make, async (loop) => {
        const sock = createSocket();
        const task = loop.createTask(() =>
          loop.sockConnect(sock, ["127.0.0.1", listener.addr.port])
        );
        for (let i = 0; i < 5; i++) await sleep(0);
        assert.equal(sock.state, "connecting");
        task.cancel();
        await assert.rejects(async () => await task, CancelledError);
        assert.equal(sock.state, "new");
        sock.close();
      });
    } finally {
      filler.close();
      listener.close();
    }
  });

  Deno.test(`${name}: the sock* methods name the bad argument`, async () => {
    await onLoop(make, async (loop) => {
      // deno-lint-ignore no-explicit-any
      const l = loop as any;
      const noFd = { name: "TypeError", message: /Deno has no raw file descriptors/ };
      await assert.rejects(l.sockRecv(3, 10), noFd);
      await assert.rejects(l.sockRecvInto(3, new Uint8Array(1)), noFd);
      await assert.rejects(l.sockSendall(3, new Uint8Array(1)), noFd);
      await assert.rejects(l.sockConnect(3, ["127.0.0.1", 1]), noFd);
      await assert.rejects(l.sockAccept(3), noFd);
      const sock = createSocket();
      await assert.rejects(l.sockRecv(sock, 0), { name: "RangeError", message: /'nbytes'/ });
      await assert.rejects(l.sockRecvInto(sock, "buf"), { name: "TypeError", message: /'buf'/ });
      await assert.rejects(l.sockSendall(sock, "text"), { name: "TypeError", message: /'data'/ });
      await assert.rejects(l.sockConnect(sock, "127.0.0.1"), {
        name: "TypeError",
        message: /'address' must be \[host, port\]/,
      });
      await assert.rejects(l.sockConnect(sock, ["127.0.0.1", 70000]), TypeError);
      const unix = createSocket({ family: AF_UNIX });
      await assert.rejects(l.sockConnect(unix, ["127.0.0.1", 1]), {
        name: "TypeError",
        message: /non-empty path for an AF_UNIX socket/,
      });
      assert.throws(() => unix.bind(""), /non-empty path/);
      unix.close();
      // A socket that is not connected (or not listening) fails instead of waiting forever.
      await assert.rejects(loop.sockRecv(sock, 1), {
        name: "TypeError",
        message: "Cannot receive: socket is new, not connected",
      });
      await assert.rejects(loop.sockAccept(sock), {
        name: "TypeError",
        message: "Cannot accept: socket is new, not listening",
      });
      sock.bind(["127.0.0.1", 0]);
      await assert.rejects(l.sockConnect(sock, ["127.0.0.1", 1]), /cannot bind/);
      sock.close();
    });
  });
}

Deno.test("createSocket() makes AF_UNIX sockets: unnamed until bound, the path once bound", () => {
  const sock = createSocket({ family: AF_UNIX });
  assert.equal(sock.family, AF_UNIX);
  assert.equal(sock.getsockname(), "");
  sock.bind("/tmp/not-made-until-listen.sock");
  assert.equal(sock.getsockname(), "/tmp/not-made-until-listen.sock");
  assert.throws(() => Deno.lstatSync("/tmp/not-made-until-listen.sock"), Deno.errors.NotFound);
  assert.throws(() => sock.bind("/tmp/x.sock"), /socket is bound/);
  assert.equal(
    sock.getsockname(),
    "/tmp/not-made-until-listen.sock",
    "a failed bind changes nothing",
  );
  sock.close();
  assert.throws(() => createSocket({ family: 99 }), /AF_INET\/AF_INET6\/AF_UNIX/);
});
