/**
 * `SelectorEventLoop` on the epoll selector with real descriptors
 * (`FdSocket`): the `sock*` family and `addReader`/`addWriter` over IPv4,
 * IPv6 and Unix sockets, OS errors shaped as Deno's, timers and wake-ups
 * while a wait is parked, no descriptor leaked, the selector choice.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  DefaultEventLoopPolicy,
  getRunningLoop,
  ProactorEventLoop,
  run,
  SelectorEventLoop,
  setLogger,
} from "../../loop/mod.ts";
import { sleep } from "../../tasks/sleep.ts";
import {
  AF_INET6,
  AF_UNIX,
  createFdSocket,
  DenoSelector,
  EpollSelector,
  type FdSocket,
} from "../../transports/mod.ts";
import { FFI, onEpoll, openFds } from "./_epoll.ts";

// A listening socket and a connected pair made with the loop's own sock* operations.
async function connected(
  loop: SelectorEventLoop,
  family = 2,
  address: [string, number] | string = ["127.0.0.1", 0],
): Promise<{ server: FdSocket; client: FdSocket; conn: FdSocket; close(): void }> {
  const server = createFdSocket({ family });
  server.bind(address);
  server.listen();
  const client = createFdSocket({ family });
  const accepting = loop.sockAccept(server);
  await loop.sockConnect(client, server.getsockname());
  const [conn, peer] = await accepting;
  if (family !== AF_UNIX) assert.deepEqual(peer, client.getsockname());
  return {
    server,
    client,
    conn,
    close() {
      for (const s of [client, conn, server]) s.close();
    },
  };
}

async function roundTrip(loop: SelectorEventLoop, pair: Awaited<ReturnType<typeof connected>>) {
  const { client, conn } = pair;
  await loop.sockSendall(client, new TextEncoder().encode("hello"));
  assert.equal(new TextDecoder().decode(await loop.sockRecv(conn, 100)), "hello");
  // Far more than the socket buffers hold: sends meet EAGAIN and go on when writable.
  const big = new Uint8Array(8 << 20).map((_, i) => i & 0xff);
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
}

Deno.test({
  name:
    "SelectorEventLoop(epoll) sockConnect(), sockAccept(), sockSendall() and sockRecv() round-trip over IPv4",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      assert.ok(loop.selector instanceof EpollSelector);
      const pair = await connected(loop);
      assert.equal(pair.client.state, "connected");
      assert.ok(pair.client.fileno() > 2);
      await roundTrip(loop, pair);
      pair.close();
    });
  },
});

Deno.test({
  name: "SelectorEventLoop(epoll) sock* round-trip over IPv6 loopback",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const pair = await connected(loop, AF_INET6, ["::1", 0]);
      assert.equal((pair.server.getsockname() as [string, number])[0], "::1");
      await roundTrip(loop, pair);
      pair.close();
    });
  },
});

Deno.test({
  name: "SelectorEventLoop(epoll) sock* round-trip over a Unix socket",
  ignore: !FFI,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await onEpoll(async (loop) => {
        const path = `${dir}/s.sock`;
        const pair = await connected(loop, AF_UNIX, path);
        assert.equal(pair.server.getsockname(), path);
        await roundTrip(loop, pair);
        pair.close();
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "SelectorEventLoop(epoll) reports refused, reset and broken-pipe errors as Deno's errors",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const probe = createFdSocket();
      probe.bind(["127.0.0.1", 0]);
      const address = probe.getsockname();
      probe.close();
      const refused = createFdSocket();
      await assert.rejects(loop.sockConnect(refused, address), (err: Error) => {
        assert.ok(err instanceof Deno.errors.ConnectionRefused);
        assert.equal((err as { code?: string }).code, "ECONNREFUSED");
        return true;
      });
      refused.close();

      // Closing with unread data sends a reset.
      const pair = await connected(loop);
      await loop.sockSendall(pair.client, new Uint8Array([1]));
      await loop.sockRecv(pair.conn, 1);
      // Loopback queues the byte at once: it is unread when the peer closes.
      await loop.sockSendall(pair.client, new Uint8Array([2]));
      pair.conn.close();
      await assert.rejects(loop.sockRecv(pair.client, 10), Deno.errors.ConnectionReset);
      // Writing to a reset connection: EPIPE, never a SIGPIPE.
      await assert.rejects(
        (async () => {
          for (;;) await loop.sockSendall(pair.client, new Uint8Array(1024));
        })(),
        (err: Error) =>
          err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset,
      );
      pair.close();
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) addReader() calls back while readable and stops after removeReader()",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const { client, conn, close } = await connected(loop);
      const got: number[] = [];
      const done = loop.createFuture<void>();
      loop.addReader(conn, (tag: string) => {
        assert.equal(tag, "tag");
        const buf = new Uint8Array(16);
        const n = conn._tryRecvInto(buf);
        if (n === null) return;
        got.push(...buf.subarray(0, n));
        if (got.length >= 3) done.setResult(undefined);
      }, "tag");
      await loop.sockSendall(client, new Uint8Array([1, 2, 3]));
      await done;
      assert.deepEqual(got, [1, 2, 3]);
      assert.equal(loop.removeReader(conn), true);
      assert.equal(loop.removeReader(conn), false);
      let writes = 0;
      loop.addWriter(client, () => writes++);
      await sleep(0);
      await sleep(0);
      assert.ok(writes >= 1, "a connected socket is writable");
      assert.equal(loop.removeWriter(client), true);
      close();
    });
  },
});

Deno.test({
  name: "SelectorEventLoop(epoll) sockRecv() cancelled leaves no registration behind",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const { client, conn, close } = await connected(loop);
      const task = loop.createTask(() => loop.sockRecv(conn, 10));
      await sleep(0);
      task.cancel();
      await assert.rejects(async () => await task, CancelledError);
      assert.equal(loop.removeReader(conn), false, "the reader is gone");
      await loop.sockSendall(client, new Uint8Array([5]));
      assert.deepEqual([...await loop.sockRecv(conn, 10)], [5]);
      close();
    });
  },
});

Deno.test({
  name: "SelectorEventLoop(epoll) runs timers and outside wake-ups while its wait is parked",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const selector = loop.selector as EpollSelector;
      const server = createFdSocket();
      server.bind(["127.0.0.1", 0]);
      server.listen();
      loop.addReader(server, () => {});
      // The loop idles through this sleep: it polls on its thread, then parks a wait.
      await sleep(0.01);
      assert.equal(selector.parked, true, "idle with a registration: the wait is parked");
      const t0 = loop.time();
      await sleep(0.03);
      const late = loop.time() - t0 - 0.03;
      assert.ok(late >= 0 && late < 0.5, `the timer fired ${late} s late`);
      assert.equal(selector.parked, true);
      // A host callback outside the loop wakes it with callSoonThreadsafe.
      const woken = loop.createFuture<string>();
      const timer = setTimeout(() => loop.callSoonThreadsafe(() => woken.setResult("woken")), 5);
      assert.equal(await woken, "woken");
      clearTimeout(timer);
      // Deno's own I/O keeps flowing beside the parked wait.
      assert.ok((await Deno.readTextFile("/proc/self/status")).includes("Pid:"));
      loop.removeReader(server);
      server.close();
    });
  },
});

Deno.test({
  name: "SelectorEventLoop(epoll) stop() from outside ends runForever() while the wait is parked",
  ignore: !FFI,
  async fn() {
    const loop = new SelectorEventLoop({ selector: "epoll" });
    const server = createFdSocket();
    server.bind(["127.0.0.1", 0]);
    server.listen();
    loop.addReader(server, () => {});
    const timer = setTimeout(() => loop.stop(), 10);
    await loop.runForever();
    clearTimeout(timer);
    assert.equal((loop.selector as EpollSelector).parked, true);
    loop.close();
    await (loop.selector as EpollSelector).closed;
    assert.equal((loop.selector as EpollSelector).parked, false);
    server.close();
  },
});

Deno.test({
  name: "SelectorEventLoop(epoll) leaves no descriptor open after a session (/proc/self/fd)",
  ignore: !FFI,
  async fn() {
    const before = openFds();
    await onEpoll(async (loop) => {
      const pair = await connected(loop);
      await loop.sockSendall(pair.client, new Uint8Array([1, 2]));
      await loop.sockRecv(pair.conn, 2);
      loop.addReader(pair.server, () => {});
      assert.ok(openFds() >= before + 5, "three sockets, the epoll set and the eventfd");
      pair.close();
    });
    assert.equal(openFds(), before);
  },
});

Deno.test({
  name: "SelectorEventLoop rejects an FdSocket on the Deno-ops selector",
  ignore: !FFI,
  async fn() {
    const loop = new SelectorEventLoop({ selector: "deno" });
    assert.ok(loop.selector instanceof DenoSelector);
    const sock = createFdSocket();
    assert.throws(() => loop.addReader(sock, () => {}), /needs the epoll selector/);
    await assert.rejects(loop.sockRecv(sock, 1), /needs the epoll selector/);
    sock.close();
    loop.close();
  },
});

Deno.test("SelectorEventLoop { selector } rejects an unknown choice", () => {
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => new SelectorEventLoop({ selector: "kqueue" as any }),
    /'selector' must be "auto", "epoll", "deno" or a selector: received kqueue/,
  );
});

function debugLines(make: () => SelectorEventLoop): string[] {
  const lines: string[] = [];
  const previous = setLogger({ error() {}, warn() {}, debug: (m: string) => lines.push(m) });
  try {
    make().close();
  } finally {
    setLogger(previous);
  }
  return lines;
}

Deno.test({
  name: "SelectorEventLoop picks the epoll selector when FFI is granted, and says so in debug mode",
  ignore: !FFI,
  fn() {
    const [line] = debugLines(() => new SelectorEventLoop({ debug: true }));
    assert.match(line, /uses the epoll selector: FFI is granted on linux/);
    const loop = new SelectorEventLoop();
    assert.ok(loop.selector instanceof EpollSelector);
    loop.close();
  },
});

Deno.test({
  name:
    "SelectorEventLoop falls back to the Deno-ops selector without FFI; forcing epoll then throws",
  permissions: { ffi: false },
  fn() {
    const [line] = debugLines(() => new SelectorEventLoop({ debug: true }));
    assert.match(line, /uses the Deno-ops selector: the epoll selector cannot run \(.*FFI/);
    const loop = new SelectorEventLoop();
    assert.ok(loop.selector instanceof DenoSelector);
    loop.close();
    assert.throws(
      () => new SelectorEventLoop({ selector: "epoll" }),
      (err: Error) =>
        err instanceof Deno.errors.NotSupported &&
        /epoll selector: FFI is not granted/.test(err.message),
    );
  },
});

Deno.test({
  name: "DefaultEventLoopPolicy makes a SelectorEventLoop on epoll when FFI is granted",
  ignore: !FFI,
  async fn() {
    const loop = new DefaultEventLoopPolicy().newEventLoop();
    assert.ok(loop instanceof SelectorEventLoop);
    assert.ok(loop.selector instanceof EpollSelector);
    loop.close();
    await loop.selector.closed;
  },
});

Deno.test({
  name: "DefaultEventLoopPolicy makes a ProactorEventLoop without FFI",
  permissions: { ffi: false },
  fn() {
    const loop = new DefaultEventLoopPolicy().newEventLoop();
    assert.ok(loop instanceof ProactorEventLoop);
    loop.close();
  },
});

Deno.test({
  name: "run() on the epoll selector returns only once the parked wait returned",
  ignore: !FFI,
  async fn() {
    let selector: EpollSelector | null = null;
    const server = createFdSocket();
    server.bind(["127.0.0.1", 0]);
    server.listen();
    await run(async () => {
      const loop = getRunningLoop() as SelectorEventLoop;
      selector = loop.selector as EpollSelector;
      loop.addReader(server, () => {});
      await sleep(0.01); // the loop idles: it parks a wait
      assert.equal(selector.parked, true);
    }, { loopFactory: () => new SelectorEventLoop({ selector: "epoll" }) });
    assert.equal(selector!.parked, false, "no epoll_wait outlives run()");
    server.close();
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) addReader() and addWriter() take a bare descriptor number, as Python's",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const { client, conn, close } = await connected(loop);
      const fd = conn.fileno();
      const done = loop.createFuture<number>();
      loop.addReader(fd, () => {
        const n = conn._tryRecvInto(new Uint8Array(8));
        if (n !== null && !done.done()) done.setResult(n);
      });
      await loop.sockSendall(client, new Uint8Array([1, 2, 3]));
      assert.equal(await done, 3);
      assert.throws(() => loop.addReader(conn, () => {}), /File exists|EEXIST|os error 17/);
      assert.equal(loop.removeReader(fd), true);
      assert.equal(loop.removeReader(fd), false);
      const writable = loop.createFuture<void>();
      loop.addWriter(client.fileno(), () => writable.done() || writable.setResult(undefined));
      await writable;
      assert.equal(loop.removeWriter(client.fileno()), true);
      assert.throws(() => loop.addReader(-1, () => {}), /non-negative integer/);
      // A descriptor closed by its owner before removeReader() leaves quietly.
      const other = createFdSocket();
      loop.addReader(other.fileno(), () => {});
      const otherFd = other.fileno();
      other.close();
      assert.equal(loop.removeReader(otherFd), true);
      close();
    });
  },
});

Deno.test({
  name:
    "SelectorEventLoop(epoll) idle behind a cancelled timer still wakes for a descriptor (the idle poll parks)",
  ignore: !FFI,
  async fn() {
    await onEpoll(async (loop) => {
      const server = createFdSocket();
      server.bind(["127.0.0.1", 0]);
      server.listen();
      const [, port] = server.getsockname() as [string, number];
      const client = await Deno.connect({ hostname: "127.0.0.1", port });
      const [conn] = await loop.sockAccept(server);
      const woken = loop.createFuture<void>();
      loop.addReader(conn, () => {
        conn._tryRecvInto(new Uint8Array(8));
        loop.removeReader(conn);
        woken.setResult(undefined);
      });
      // The timer on top of the heap is cancelled and already due when the loop idles.
      loop.callSoon(() => {
        loop.callLater(0.001, () => {}).cancel();
        const t = performance.now();
        while (performance.now() - t < 5) { /* outlive the timer */ }
      });
      // The byte comes from outside the loop once it idles; without a parked
      // wait nothing would wake it, and the guard would fail the test.
      const send = setTimeout(() => client.write(new Uint8Array([1])), 30);
      const guard = setTimeout(() =>
        loop.callSoonThreadsafe(() => {
          if (!woken.done()) {
            woken.setException(new Error("the loop never woke for the descriptor"));
          }
        }), 3000);
      try {
        await woken;
      } finally {
        clearTimeout(send);
        clearTimeout(guard);
        conn.close();
        client.close();
        server.close();
      }
    });
  },
});
