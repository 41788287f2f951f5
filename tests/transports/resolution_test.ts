/**
 * Name resolution and `createConnection`'s address handling, on both loops
 * (`LOOPS`) but for the loop-free helpers: `getaddrinfo`, `getnameinfo`,
 * trying every address, happy eyeballs, `allErrors`, servers on several hosts.
 */
import assert from "node:assert/strict";
import {
  ExceptionGroup,
  NotImplementedError,
  ProactorEventLoop,
  ProactorIoDriver,
  SelectorEventLoop,
} from "../../loop/mod.ts";
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_NUMERICHOST,
  GaiError,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  Protocol,
  SOCK_DGRAM,
  SOCK_STREAM,
} from "../../transports/mod.ts";
import { denoOpener, interleaveFamilies, staggeredConnect } from "../../transports/tcp.ts";
import { addressOf, bytes, Echo, LOOPS, onLoop, onProactor, Recorder } from "./_helpers.ts";

/** A port with nothing listening on 127.0.0.1 (bound, then released). */
function refusingPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

function ipv6LoopbackAvailable(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: getaddrinfo() answers a numeric host without a lookup, in Python's tuple shape`, async () => {
    await onLoop(make, async (loop) => {
      assert.deepEqual(await loop.getaddrinfo("127.0.0.1", 80, { type: SOCK_STREAM }), [
        [AF_INET, SOCK_STREAM, IPPROTO_TCP, "", ["127.0.0.1", 80]],
      ]);
      assert.deepEqual(await loop.getaddrinfo("::1", "8080"), [
        [AF_INET6, SOCK_STREAM, IPPROTO_TCP, "", ["::1", 8080]],
        [AF_INET6, SOCK_DGRAM, IPPROTO_UDP, "", ["::1", 8080]],
      ]);
      assert.deepEqual(
        await loop.getaddrinfo("127.0.0.1", null, { family: AF_INET6 }).catch((e) =>
          e instanceof GaiError
        ),
        true,
      );
      await assert.rejects(
        loop.getaddrinfo("localhost", 1, { flags: AI_NUMERICHOST }),
        (e: unknown) => e instanceof GaiError && e.errno === -2,
      );
      await assert.rejects(
        loop.getaddrinfo("127.0.0.1", "http"),
        (e: unknown) =>
          e instanceof GaiError && e.code === "EAI_SERVICE" && /'port'/.test(e.message),
      );
    });
  });

  Deno.test(`${name}: getaddrinfo() resolves localhost and rejects an unknown name with GaiError`, async () => {
    await onLoop(make, async (loop) => {
      const infos = await loop.getaddrinfo("localhost", 443, {
        family: AF_UNSPEC,
        type: SOCK_STREAM,
      });
      assert.ok(infos.length >= 1);
      for (const [family, type, proto, canonname, [host, port]] of infos) {
        assert.ok(family === AF_INET || family === AF_INET6);
        assert.equal(type, SOCK_STREAM);
        assert.equal(proto, IPPROTO_TCP);
        assert.equal(canonname, "");
        assert.ok(host === "127.0.0.1" || host === "::1", host);
        assert.equal(port, 443);
      }
      await assert.rejects(
        loop.getaddrinfo("no-such-host.invalid", 80),
        (e: unknown) => e instanceof GaiError && e.errno === -2 && e.code === "ENOTFOUND",
      );
    });
  });

  Deno.test(`${name}: getnameinfo() is numeric with NI_NUMERICHOST | NI_NUMERICSERV, else asks the resolver`, async () => {
    await onLoop(make, async (loop) => {
      assert.deepEqual(
        await loop.getnameinfo(["127.0.0.1", 22], NI_NUMERICHOST | NI_NUMERICSERV),
        ["127.0.0.1", "22"],
      );
      const [host, service] = await loop.getnameinfo(["127.0.0.1", 22]);
      assert.equal(host, "localhost");
      assert.ok(service === "ssh" || service === "22", service);
      assert.deepEqual(await loop.getnameinfo(["127.0.0.1", 22], NI_NUMERICHOST), [
        "127.0.0.1",
        service,
      ]);
      await assert.rejects(loop.getnameinfo(["localhost", 22]), GaiError);
    });
  });
}

Deno.test("staggeredConnect() tries the next address when the first refuses", async () => {
  await onProactor(async (loop) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const io = new ProactorIoDriver();
    const { conn, errors } = await staggeredConnect(loop, denoOpener(loop, io), [
      { family: AF_INET, address: ["127.0.0.1", refusingPort()] },
      { family: AF_INET, address: ["127.0.0.1", listener.addr.port] },
    ], null);
    assert.ok(conn !== null);
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof Deno.errors.ConnectionRefused);
    assert.equal((conn as Deno.TcpConn).remoteAddr.port, listener.addr.port);
    assert.equal(io.inFlight, 0);
    conn.close();
    (await listener.accept()).close();
    listener.close();
  });
});

Deno.test("staggeredConnect() with a delay returns the first conn, or every error when all fail", async () => {
  await onProactor(async (loop) => {
    const a = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const b = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const io = new ProactorIoDriver();
    const { conn, errors } = await staggeredConnect(loop, denoOpener(loop, io), [
      { family: AF_INET, address: ["127.0.0.1", a.addr.port] },
      { family: AF_INET, address: ["127.0.0.1", b.addr.port] },
    ], 0.25);
    assert.ok(conn !== null);
    assert.deepEqual(errors, []);
    assert.equal((conn as Deno.TcpConn).remoteAddr.port, a.addr.port);
    conn.close();
    (await a.accept()).close();
    a.close();
    b.close();
    const failed = await staggeredConnect(loop, denoOpener(loop, io), [
      { family: AF_INET, address: ["127.0.0.1", refusingPort()] },
      { family: AF_INET, address: ["127.0.0.1", refusingPort()] },
    ], 0);
    assert.equal(failed.conn, null);
    assert.equal(failed.errors.length, 2);
    assert.equal(io.inFlight, 0);
  });
});

Deno.test("interleaveFamilies() alternates families, the first taking 'interleave' turns", () => {
  const v4 = (n: number) => ({ family: AF_INET, n });
  const v6 = (n: number) => ({ family: AF_INET6, n });
  const order = (items: { n: number }[]) => items.map((i) => i.n);
  assert.deepEqual(order(interleaveFamilies([v6(1), v6(2), v6(3), v4(4), v4(5)], 1)), [
    1,
    4,
    2,
    5,
    3,
  ]);
  assert.deepEqual(order(interleaveFamilies([v6(1), v6(2), v6(3), v4(4)], 2)), [1, 2, 4, 3]);
});

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: createConnection() with allErrors rejects with an ExceptionGroup of every attempt`, async () => {
    await onLoop(make, async (loop) => {
      const port = refusingPort();
      await assert.rejects(
        loop.createConnection(() => new Protocol(), "127.0.0.1", port, { allErrors: true }),
        (e: unknown) =>
          e instanceof ExceptionGroup && e.errors.length === 1 &&
          e.errors[0] instanceof Deno.errors.ConnectionRefused,
      );
      await assert.rejects(
        loop.createConnection(() => new Protocol(), "127.0.0.1", port, {
          happyEyeballsDelay: 0.25,
        }),
        Deno.errors.ConnectionRefused,
      );
      await assert.rejects(
        loop.createConnection(() => new Protocol(), "no-such-host.invalid", port),
        GaiError,
      );
    });
  });

  Deno.test(`${name}: createConnection() resolves a name and connects with happy eyeballs`, async () => {
    await onLoop(make, async (loop) => {
      await using server = await loop.createServer(() => new Echo(loop), "127.0.0.1", 0);
      const [, port] = addressOf(server);
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        "localhost",
        port,
        { happyEyeballsDelay: 0.25, family: AF_INET },
      );
      transport.write(bytes("ping"));
      await client.waitFor(4, loop);
      assert.equal(client.text(), "ping");
      transport.close();
      await client.lost;
      server.closeClients();
    });
  });

  Deno.test({
    name: `${name}: createServer() listens on every host of a list (127.0.0.1 and ::1)`,
    ignore: !ipv6LoopbackAvailable(),
    fn: async () => {
      await onLoop(make, async (loop) => {
        const server = await loop.createServer(
          () => new Echo(loop),
          ["127.0.0.1", "::1"],
          0,
          { reuseAddress: true },
        );
        const names = server.sockets.map((s) => s.getsockname() as [string, number]);
        assert.deepEqual(names.map(([host]) => host), ["127.0.0.1", "::1"]);
        for (const [host, port] of names) {
          const [transport, client] = await loop.createConnection(
            () => new Recorder(loop),
            host,
            port,
          );
          transport.write(bytes(host));
          await client.waitFor(host.length, loop);
          assert.equal(client.text(), host);
          transport.close();
          await client.lost;
        }
        server.close();
        server.closeClients();
        await server.waitClosed();
      });
    },
  });

  Deno.test(`${name}: createServer() names --unstable-net for reusePort`, async () => {
    await onLoop(make, async (loop) => {
      // This group runs with --unstable-net, so reusePort works: two servers share a port.
      assert.equal(typeof Deno.listenDatagram, "function");
      const first = await loop.createServer(() => new Protocol(), "127.0.0.1", 0, {
        reusePort: true,
      });
      const [, port] = addressOf(first);
      const second = await loop.createServer(() => new Protocol(), "127.0.0.1", port, {
        reusePort: true,
      });
      first.close();
      second.close();
      await first.waitClosed();
      await second.waitClosed();
    });
  });
}

Deno.test("createServer({ reusePort }) without --unstable-net throws instead of killing the process", async () => {
  const module = new URL("../../loop/mod.ts", import.meta.url).href;
  const script = `
    import { ProactorEventLoop } from ${JSON.stringify(module)};
    const loop = new ProactorEventLoop();
    try {
      await loop.runUntilComplete(() =>
        loop.createServer(() => ({}), "127.0.0.1", 0, { reusePort: true })
      );
    } catch (e) {
      console.log(e.name + ": " + e.message);
    } finally {
      loop.close();
    }
  `;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0);
  assert.match(new TextDecoder().decode(stdout), /NotImplementedError: .*--unstable-net/);
});

// The loops on Deno's own sockets (the epoll selector's descriptors do all
// of this: epoll_options_test.ts).
const DENO_LOOPS: ReadonlyArray<
  [name: string, make: () => ProactorEventLoop | SelectorEventLoop]
> = [
  ["ProactorEventLoop", () => new ProactorEventLoop()],
  ["SelectorEventLoop(deno)", () => new SelectorEventLoop({ selector: "deno" })],
];

for (const [name, make] of DENO_LOOPS) {
  Deno.test(`${name}: createConnection() with localAddr and createServer() with reuseAddress: false throw NotImplementedError`, async () => {
    await onLoop(make, async (loop) => {
      await using server = await loop.createServer(() => new Protocol(), "127.0.0.1", 0);
      const [, port] = addressOf(server);
      await assert.rejects(
        loop.createConnection(() => new Protocol(), "127.0.0.1", port, {
          localAddr: ["127.0.0.1", 0],
        }),
        (e: unknown) =>
          e instanceof NotImplementedError &&
          e.message ===
            "Cannot create connection with 'localAddr': Deno.connect() has no local bind (the epoll selector binds it)",
      );
      // A bad localAddr is still a TypeError first.
      await assert.rejects(
        loop.createConnection(() => new Protocol(), "127.0.0.1", port, {
          localAddr: "127.0.0.1" as never,
        }),
        TypeError,
      );
      await assert.rejects(
        loop.createServer(() => new Protocol(), "127.0.0.1", 0, { reuseAddress: false }),
        (e: unknown) =>
          e instanceof NotImplementedError &&
          e.message ===
            "Cannot create server with 'reuseAddress: false': Deno always sets SO_REUSEADDR (the epoll selector does not)",
      );
      assert.throws(
        () => server.sockets[0].getsockopt(1, 2),
        (e: unknown) => e instanceof NotImplementedError && /Deno listener/.test(e.message),
      );
    });
  });
}
