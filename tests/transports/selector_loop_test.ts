/**
 * `SelectorEventLoop`'s readiness API over loopback TCP: `addReader`/
 * `addWriter`, the `sock*` family, cancellation, bad input.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  SelectorEventLoop,
  type SelectorEventLoopOptions,
} from "../../loop/mod.ts";
import {
  createSocket,
  EVENT_READ,
  type Selector,
  type SelectorKey,
  type Socket,
} from "../../transports/mod.ts";
import { sleep } from "../../tasks/sleep.ts";

async function onSelector<T>(
  main: (loop: SelectorEventLoop) => Promise<T>,
  options?: SelectorEventLoopOptions,
): Promise<T> {
  const loop = new SelectorEventLoop(options);
  try {
    return await loop.runUntilComplete(() => main(loop));
  } finally {
    loop.close();
  }
}

// A listening socket and a connected pair made with the loop's own sock* operations.
async function connected(
  loop: SelectorEventLoop,
): Promise<{ server: Socket; client: Socket; conn: Socket; close(): void }> {
  const server = createSocket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  const client = createSocket();
  const accepting = loop.sockAccept(server);
  await loop.sockConnect(client, server.getsockname());
  const [conn, address] = await accepting;
  assert.deepEqual(address, client.getsockname());
  return {
    server,
    client,
    conn,
    close() {
      for (const s of [client, conn, server]) s.close();
    },
  };
}

Deno.test("SelectorEventLoop.sockConnect(), sockAccept(), sockSendall() and sockRecv() round-trip over loopback", async () => {
  await onSelector(async (loop) => {
    const { client, conn, close } = await connected(loop);
    assert.equal(client.state, "connected");
    assert.deepEqual(conn.getpeername(), client.getsockname());
    await loop.sockSendall(client, new TextEncoder().encode("hello"));
    assert.equal(new TextDecoder().decode(await loop.sockRecv(conn, 100)), "hello");
    const big = new Uint8Array(1 << 20).fill(7);
    const sending = loop.sockSendall(conn, big);
    let got = 0;
    const buf = new Uint8Array(65536);
    while (got < big.length) {
      const n = await loop.sockRecvInto(client, buf);
      assert.ok(n > 0);
      got += n;
    }
    await sending;
    assert.equal(got, big.length);
    conn.close();
    assert.equal((await loop.sockRecv(client, 10)).length, 0, "EOF is an empty read");
    close();
  });
});

Deno.test("SelectorEventLoop.sockConnect() rejects a refused connection", async () => {
  await onSelector(async (loop) => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const sock = createSocket();
    await assert.rejects(
      loop.sockConnect(sock, ["127.0.0.1", port]),
      Deno.errors.ConnectionRefused,
    );
    sock.close();
  });
});

Deno.test("SelectorEventLoop.addReader() calls back while readable and stops after removeReader()", async () => {
  await onSelector(async (loop) => {
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
    await loop.sockSendall(client, new Uint8Array([4]));
    await sleep(0.02);
    assert.deepEqual(got, [1, 2, 3], "no call after removeReader()");
    close();
  });
});

Deno.test("SelectorEventLoop.addWriter() calls back while writable and stops after removeWriter()", async () => {
  await onSelector(async (loop) => {
    const { client, close } = await connected(loop);
    let calls = 0;
    loop.addWriter(client, () => calls++);
    await sleep(0.01);
    assert.ok(calls >= 2, `level-triggered: called ${calls} times`);
    assert.equal(loop.removeWriter(client), true);
    const seen = calls;
    await sleep(0.01);
    assert.equal(calls, seen);
    assert.equal(loop.removeWriter(client), false);
    close();
  });
});

Deno.test("SelectorEventLoop.sockRecv() cancelled leaves no registration behind", async () => {
  await onSelector(async (loop) => {
    const { client, conn, close } = await connected(loop);
    const task = loop.createTask(() => loop.sockRecv(conn, 10));
    await sleep(0);
    task.cancel();
    await assert.rejects(async () => await task, CancelledError);
    assert.equal(loop.removeReader(conn), false, "the reader is gone");
    // The socket still works afterwards: the data goes to the next receive.
    await loop.sockSendall(client, new Uint8Array([5]));
    assert.deepEqual([...await loop.sockRecv(conn, 10)], [5]);
    close();
  });
});

Deno.test("SelectorEventLoop.sockAccept() cancelled leaves no registration behind", async () => {
  await onSelector(async (loop) => {
    const server = createSocket();
    server.bind(["127.0.0.1", 0]);
    server.listen();
    const task = loop.createTask(() => loop.sockAccept(server));
    await sleep(0);
    task.cancel();
    await assert.rejects(async () => await task, CancelledError);
    assert.equal(loop.removeReader(server), false);
    server.close();
  });
});

Deno.test("SelectorEventLoop's readiness methods reject a number fd and foreign objects with TypeError", async () => {
  // On the Deno-ops selector: the epoll one takes descriptor numbers (epoll_loop_test.ts).
  await onSelector(async (loop) => {
    // deno-lint-ignore no-explicit-any
    const l = loop as any;
    const noFd = { name: "TypeError", message: /Deno has no raw file descriptors/ };
    assert.throws(() => l.addReader(3, () => {}), noFd);
    assert.throws(() => l.addWriter(3, () => {}), noFd);
    assert.throws(() => l.removeReader(3), noFd);
    assert.throws(() => l.removeWriter({}), TypeError);
    await assert.rejects(l.sockRecv(3, 10), noFd);
    await assert.rejects(l.sockRecvInto(3, new Uint8Array(1)), noFd);
    await assert.rejects(l.sockSendall(3, new Uint8Array(1)), noFd);
    await assert.rejects(l.sockConnect(3, ["127.0.0.1", 1]), noFd);
    await assert.rejects(l.sockAccept(3), noFd);
    const sock = createSocket();
    assert.throws(() => l.addReader(sock, "nope"), TypeError);
    await assert.rejects(l.sockRecv(sock, 0), RangeError);
    await assert.rejects(l.sockSendall(sock, "text"), TypeError);
    await assert.rejects(l.sockConnect(sock, "127.0.0.1"), TypeError);
    sock.bind(["127.0.0.1", 0]);
    await assert.rejects(l.sockConnect(sock, ["127.0.0.1", 1]), /cannot bind/);
    sock.close();
  }, { selector: "deno" });
  assert.throws(() => createSocket({ type: 2 }), /SOCK_STREAM/);
});

Deno.test("SelectorEventLoop.sockSendall() cancelled while the peer does not read leaves no writer behind", async () => {
  await onSelector(async (loop) => {
    const { client, close } = await connected(loop);
    // Far more than the socket buffers hold: the write stays in flight.
    const task = loop.createTask(() => loop.sockSendall(client, new Uint8Array(64 << 20)));
    await sleep(0.02);
    assert.equal(task.done(), false);
    task.cancel();
    await assert.rejects(async () => await task, CancelledError);
    assert.equal(loop.removeWriter(client), false);
    close(); // interrupts the write in flight (sanitizers are on)
  });
});

Deno.test("SelectorEventLoop.close() drops the registrations; the sockets stay open, as in asyncio", async () => {
  const loop = new SelectorEventLoop();
  let calls = 0;
  const { client, conn, close } = await loop.runUntilComplete(async () => {
    const pair = await connected(loop);
    loop.addReader(pair.conn, () => calls++);
    return pair;
  });
  loop.close();
  assert.equal(calls, 0);
  assert.equal(client.state, "connected");
  assert.equal(conn.state, "connected");
  close();
});

// A selector whose select() answers from a plan: given the number of the
// call (from 1) and the current registrations, the ready keys (or a throw).
class Scripted implements Selector<Socket> {
  readonly inFlight = 0;
  readonly #keys = new Map<Socket, SelectorKey<Socket>>();
  #wakeup: (() => void) | null = null;
  selects = 0;
  constructor(
    readonly plan: (
      call: number,
      keys: SelectorKey<Socket>[],
    ) => Array<[SelectorKey<Socket>, number]>,
  ) {}
  register(fileobj: Socket, events: number, data: unknown = null): SelectorKey<Socket> {
    const key = { fileobj, events, data };
    this.#keys.set(fileobj, key);
    this.#wakeup?.();
    return key;
  }
  modify(fileobj: Socket, events: number, data: unknown = null): SelectorKey<Socket> {
    return this.register(fileobj, events, data);
  }
  unregister(fileobj: Socket): SelectorKey<Socket> {
    const key = this.getKey(fileobj);
    this.#keys.delete(fileobj);
    return key;
  }
  select(): Array<[SelectorKey<Socket>, number]> {
    return this.plan(++this.selects, [...this.#keys.values()]);
  }
  getKey(fileobj: Socket): SelectorKey<Socket> {
    return this.#keys.get(fileobj)!;
  }
  getMap(): ReadonlyMap<Socket, SelectorKey<Socket>> {
    return this.#keys;
  }
  setWakeup(wakeup: (() => void) | null): void {
    this.#wakeup = wakeup;
  }
  wake(): void {
    this.#wakeup?.();
  }
  close(): void {
    this.#keys.clear();
  }
}

Deno.test("SelectorEventLoop: a select() that throws reaches the exception handler, and the loop goes on", async () => {
  // The first select() fails; the next reports every registration readable once.
  const selector = new Scripted((call, keys) => {
    if (call === 1) throw new Error("select failed");
    return call === 2 ? keys.map((key) => [key, EVENT_READ]) : [];
  });
  const contexts: Record<string, unknown>[] = [];
  await onSelector(async (loop) => {
    loop.setExceptionHandler((_loop, context) => contexts.push(context));
    const sock = createSocket();
    const read = loop.createFuture<string>();
    loop.addReader(sock, () => read.setResult("readable")); // registering asks for a select()
    await sleep(0);
    assert.equal(selector.selects, 1);
    assert.equal(contexts.length, 1);
    assert.equal(contexts[0].message, "Exception in the selector dispatch");
    assert.equal((contexts[0].exception as Error).message, "select failed");
    // The next wake-up dispatches again.
    selector.wake();
    assert.equal(await read, "readable");
    loop.removeReader(sock);
    sock.close();
    assert.equal(contexts.length, 1);
  }, { selector });
});

Deno.test("SelectorEventLoop: a reader removed or replaced by a callback earlier in the same batch does not run in it", async () => {
  // One select() reports three sockets readable at once.
  let batch: Array<[SelectorKey<Socket>, number]> = [];
  const selector = new Scripted((call, keys) => {
    if (call === 1) batch = keys.map((key) => [key, EVENT_READ]);
    return call === 1 ? batch : [];
  });
  await onSelector(async (loop) => {
    const [a, b, c] = [createSocket(), createSocket(), createSocket()];
    const ran: string[] = [];
    loop.addReader(a, () => {
      ran.push("a");
      loop.removeReader(b);
      loop.addReader(c, () => ran.push("c, added anew"));
    });
    loop.addReader(b, () => ran.push("b"));
    loop.addReader(c, () => ran.push("c"));
    await sleep(0);
    await sleep(0);
    assert.equal(batch.length, 3);
    // As asyncio's _process_events: the batch runs the handles its keys held.
    assert.deepEqual(ran, ["a"]);
    for (const sock of [a, b, c]) {
      loop.removeReader(sock);
      sock.close();
    }
  }, { selector });
});
