/**
 * `EpollSelector` on its own: readiness of real descriptors, the parked
 * wait and its wake-ups, generation numbers against descriptor reuse, and
 * the Deno-ops sockets it delegates.
 */
import assert from "node:assert/strict";
import {
  createFdSocket,
  createSocket,
  EpollSelector,
  EVENT_READ,
  EVENT_WRITE,
  type FdSocket,
} from "../../transports/mod.ts";
import { FFI } from "./_epoll.ts";

// A selector whose wake-ups resolve `woken()` promises.
function selectorWithWakeups(): { selector: EpollSelector; woken(): Promise<void> } {
  const selector = new EpollSelector();
  let next = Promise.withResolvers<void>();
  selector.setWakeup(() => next.resolve());
  return {
    selector,
    woken: async () => {
      await next.promise;
      next = Promise.withResolvers<void>();
    },
  };
}

function listening(): FdSocket {
  const sock = createFdSocket();
  sock.bind(["127.0.0.1", 0]);
  sock.listen();
  return sock;
}

// A client whose non-blocking connect to `server` is under way.
function connectTo(server: FdSocket): FdSocket {
  const client = createFdSocket();
  client._startConnect(server.getsockname());
  return client;
}

Deno.test({
  name:
    "EpollSelector.poll() waits on its thread, then parks when nothing is ready and wakes the loop when a descriptor becomes ready",
  ignore: !FFI,
  async fn() {
    const { selector, woken } = selectorWithWakeups();
    const server = listening();
    selector.register(server, EVENT_READ, "server");
    await woken(); // registering asks for a select()
    assert.deepEqual(selector.select(0), []);
    assert.equal(selector.parked, false, "select() never parks");
    assert.equal(selector.poll(0), false);
    assert.equal(selector.parked, false, "a busy loop's poll (timeout 0) neither blocks nor parks");
    // Without epoll_pwait2 (Linux < 5.11, glibc < 2.35) an idle poll parks at once.
    const waits = selector.waitsBeforeParking;
    const t0 = performance.now();
    assert.equal(selector.poll(Infinity), false);
    const waited = performance.now() - t0;
    if (waits) {
      assert.ok(waited >= 0.2 && waited < 500, `an idle poll waits 0.25 ms first: ${waited} ms`);
    }
    assert.equal(selector.parked, true, "then parks");
    assert.equal(selector.waitsBeforeParking, false, "a wait that found nothing is not repeated");
    const client = connectTo(server);
    await woken();
    const ready = selector.select(0);
    assert.equal(ready.length, 1);
    assert.equal(ready[0][0].data, "server");
    assert.equal(ready[0][1], EVENT_READ);
    assert.equal(selector.parked, false, "the parked wait returned");
    assert.equal(selector.waitsBeforeParking, waits, "a descriptor event: idle polls wait again");
    const [conn] = server._tryAccept()!;
    selector.unregister(server);
    selector.close();
    await selector.closed;
    for (const s of [conn, client, server]) s.close();
  },
});

Deno.test({
  name: "EpollSelector.select() is level-triggered and reports only the events asked for",
  ignore: !FFI,
  async fn() {
    const selector = new EpollSelector();
    const server = listening();
    const client = connectTo(server);
    const [conn] = server._tryAccept() ?? [null];
    assert.ok(conn !== null);
    selector.register(conn, EVENT_WRITE);
    assert.deepEqual(selector.select(0).map(([, e]) => e), [EVENT_WRITE]);
    assert.deepEqual(selector.select(0).map(([, e]) => e), [EVENT_WRITE], "still writable");
    selector.modify(conn, EVENT_READ);
    assert.deepEqual(selector.select(0), [], "nothing to read yet");
    while (!client._writable()) await new Promise((r) => setImmediate(r));
    client._startSend(new Uint8Array([1, 2, 3]));
    assert.deepEqual(selector.select(0).map(([, e]) => e), [EVENT_READ]);
    assert.deepEqual(selector.select(0).map(([, e]) => e), [EVENT_READ], "unread data stays ready");
    assert.equal(conn._tryRecvInto(new Uint8Array(8)), 3);
    assert.deepEqual(selector.select(0), []);
    selector.close();
    await selector.closed;
    for (const s of [conn, client, server]) s.close();
  },
});

Deno.test({
  name: "EpollSelector gives a reused descriptor number no stale event or unregistration",
  ignore: !FFI,
  async fn() {
    const selector = new EpollSelector();
    const server = listening();
    const stale = createFdSocket();
    const fd = stale.fileno();
    selector.register(stale, EVENT_WRITE, "stale");
    // Closed without unregistering: the kernel drops it from the set, and
    // the next socket gets the same number.
    stale.close();
    const client = connectTo(server);
    assert.equal(client.fileno(), fd, "the descriptor number was reused");
    selector.register(client, EVENT_WRITE, "fresh");
    const datas = () => selector.select(0).map(([key]) => key.data);
    // Connected at once over loopback, or soon: wait for writability without sleeping.
    while (datas().length === 0) await new Promise((r) => setImmediate(r));
    assert.deepEqual(datas(), ["fresh"], "the stale key gets nothing");
    selector.unregister(stale);
    assert.deepEqual(datas(), ["fresh"], "unregistering the stale key left the new one");
    const [conn] = server._tryAccept()!;
    selector.close();
    await selector.closed;
    for (const s of [conn, client, server]) s.close();
  },
});

Deno.test({
  name: "EpollSelector releases its parked wait when the last descriptor leaves and on close()",
  ignore: !FFI,
  async fn() {
    const selector = new EpollSelector();
    const server = listening();
    selector.register(server, EVENT_READ);
    selector.poll(Infinity);
    assert.equal(selector.parked, true);
    let woken = 0;
    selector.setWakeup(() => woken++);
    selector.unregister(server);
    while (selector.parked) await new Promise((r) => setImmediate(r));
    assert.equal(woken, 1, "the released wait wakes the loop once");
    selector.register(server, EVENT_READ);
    // The registration's wake-up count is consumed, then an idle poll parks again.
    assert.equal(selector.poll(Infinity), true);
    assert.deepEqual(selector.select(0), []);
    assert.equal(selector.poll(Infinity), false);
    assert.equal(selector.parked, true);
    selector.close();
    await selector.closed;
    assert.equal(selector.parked, false);
    server.close();
  },
});

Deno.test({
  name: "EpollSelector merges the Deno-ops sockets' events into the same select()",
  ignore: !FFI,
  async fn() {
    const selector = new EpollSelector();
    const deno = createSocket();
    deno.bind(["127.0.0.1", 0]);
    deno.listen();
    const fd = listening();
    selector.register(deno, EVENT_READ, "deno");
    selector.register(fd, EVENT_READ, "fd");
    assert.deepEqual(selector.select(0), []);
    const [host, port] = deno.getsockname() as [string, number];
    const conn1 = await Deno.connect({ hostname: host, port });
    const client = connectTo(fd);
    const seen = new Set<unknown>();
    while (seen.size < 2) {
      for (const [key] of selector.select(0)) seen.add(key.data);
      await new Promise((r) => setImmediate(r));
    }
    assert.deepEqual([...seen].sort(), ["deno", "fd"]);
    assert.equal(selector.getKey(deno).data, "deno");
    assert.equal(selector.getMap().size, 2);
    const [accepted] = deno._tryAccept()!;
    const [conn2] = fd._tryAccept()!;
    selector.close();
    await selector.closed;
    for (const s of [accepted, deno, conn2, client, fd]) s.close();
    conn1.close();
  },
});

Deno.test({
  name: "EpollSelector.register() rejects closed sockets, bad masks and double registration",
  ignore: !FFI,
  async fn() {
    const selector = new EpollSelector();
    const sock = createFdSocket();
    assert.throws(() => selector.register(sock, 0), TypeError);
    assert.throws(() => selector.register(sock, 4), TypeError);
    selector.register(sock, EVENT_READ);
    assert.throws(() => selector.register(sock, EVENT_READ), /already registered/);
    assert.throws(() => selector.getKey(createSocket()), /not registered/);
    selector.unregister(sock);
    sock.close();
    assert.throws(() => selector.register(sock, EVENT_READ), /closed/);
    selector.close();
    await selector.closed;
  },
});

Deno.test({
  name:
    "EpollSelector.wantsParkingTurn() asks for a parking turn as soon as Deno's own epoll set has an event, else every 5 ms",
  ignore: !FFI,
  async fn() {
    const selector = new EpollSelector();
    // Blind until the epoll set exists: every 2 ms.
    assert.equal(selector.watchesHost, false);
    assert.equal(selector.wantsParkingTurn(1.9), false);
    assert.equal(selector.wantsParkingTurn(2), true);
    const fd = listening();
    selector.register(fd, EVENT_READ);
    assert.equal(selector.watchesHost, true, "Deno's runtime has an epoll set in /proc/self/fd");
    // A Deno TCP connection whose read is pending, fed by a descriptor of ours.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const client = createFdSocket();
    client._startConnect(["127.0.0.1", (listener.addr as Deno.NetAddr).port]);
    const conn = await listener.accept();
    assert.equal(client._writable(), true, "connected");
    const buf = new Uint8Array(8);
    const read = conn.read(buf);
    // Deno polls its I/O in a parking turn. Its set may be ready again just
    // after one (tokio's own wake-up): take turns until a check at 1 ms is quiet.
    const quiet = async (): Promise<void> => {
      for (let turn = 0; turn < 50; turn++) {
        await selector.parkingTurn();
        if (!selector.wantsParkingTurn(1)) return;
      }
      assert.fail("Deno's epoll set stayed ready through 50 parking turns with nothing to do");
    };
    await quiet();
    assert.equal(selector.wantsParkingTurn(5), true, "Deno's timers get a turn every 5 ms");
    await quiet();
    // Our send lands in Deno's socket: its epoll set becomes ready, and a
    // check (at most every 0.25 ms) asks for a turn before 5 ms.
    client._startSend(new Uint8Array([7]));
    assert.equal(selector.wantsParkingTurn(1.1), false, "checked at most every 0.25 ms");
    let asked = false;
    for (let ms = 1.25; ms < 5 && !asked; ms += 0.25) {
      // Loopback delivery is at once, unless the kernel defers it to a softirq thread.
      const until = performance.now() + 5;
      while (performance.now() < until) { /* let the kernel deliver */ }
      asked = selector.wantsParkingTurn(ms);
    }
    assert.equal(asked, true, "Deno has a read to complete");
    assert.equal(await read, 1);
    assert.equal(buf[0], 7);
    conn.close();
    listener.close();
    client.close();
    selector.unregister(fd);
    fd.close();
    selector.close();
    await selector.closed;
  },
});
