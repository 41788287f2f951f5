/**
 * `DenoSelector`'s readiness semantics over loopback TCP: registration,
 * level-triggered read and write readiness, EOF, wake-ups, and no operation
 * left behind.
 */
import assert from "node:assert/strict";
import {
  createSocket,
  DenoSelector,
  EVENT_READ,
  EVENT_WRITE,
  type Socket,
} from "../../transports/mod.ts";
import { SelectorEventLoop } from "../../loop/mod.ts";

// A connected pair: `ours` is a project socket, `peer` a plain Deno conn.
async function pair(): Promise<{ ours: Socket; peer: Deno.TcpConn; close(): void }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  const ours = createSocket();
  const loop = new SelectorEventLoop();
  try {
    await loop.runUntilComplete(() =>
      loop.sockConnect(ours, ["127.0.0.1", (listener.addr as Deno.NetAddr).port])
    );
  } finally {
    loop.close();
  }
  const peer = await accepting;
  listener.close();
  return {
    ours,
    peer,
    close() {
      ours.close();
      try {
        peer.close();
      } catch {
        // The test closed it already.
      }
    },
  };
}

// Resolves at the selector's next wake-up.
function nextWake(selector: DenoSelector): Promise<void> {
  return new Promise((resolve) => selector.setWakeup(() => resolve()));
}

Deno.test("DenoSelector.register(), modify(), unregister(), getKey() and getMap() keep the registrations", async () => {
  const { ours, close } = await pair();
  const selector = new DenoSelector();
  const key = selector.register(ours, EVENT_READ, "r");
  assert.deepEqual([key.fileobj, key.events, key.data], [ours, EVENT_READ, "r"]);
  assert.equal(selector.getKey(ours), key);
  assert.equal(selector.getMap().size, 1);
  assert.throws(() => selector.register(ours, EVENT_READ), /already registered/);
  const modified = selector.modify(ours, EVENT_READ | EVENT_WRITE, "rw");
  assert.equal(selector.getKey(ours), modified);
  assert.equal(modified.data, "rw");
  assert.equal(selector.unregister(ours), modified);
  assert.throws(() => selector.getKey(ours), TypeError);
  assert.throws(() => selector.unregister(ours), TypeError);
  selector.close();
  close();
});

Deno.test("DenoSelector.register() rejects a number, a foreign object and a bad event mask", () => {
  const selector = new DenoSelector();
  // deno-lint-ignore no-explicit-any
  const s = selector as any;
  assert.throws(() => s.register(3, EVENT_READ), {
    name: "TypeError",
    message: /Deno has no raw file descriptors/,
  });
  assert.throws(() => s.register({ fd: 3 }, EVENT_READ), TypeError);
  const sock = createSocket();
  assert.throws(() => selector.register(sock, 0), /EVENT_READ \| EVENT_WRITE/);
  assert.throws(() => selector.register(sock, 4), TypeError);
  sock.close();
  selector.close();
});

Deno.test("DenoSelector.select(0) is empty while nothing is ready, and readable after the peer writes", async () => {
  const { ours, peer, close } = await pair();
  const selector = new DenoSelector();
  const woken = nextWake(selector);
  const key = selector.register(ours, EVENT_READ, null);
  assert.deepEqual(selector.select(0), []);
  await peer.write(new Uint8Array([1, 2, 3]));
  await woken;
  assert.deepEqual(selector.select(0), [[key, EVENT_READ]]);
  // Level-triggered: still readable until consumed.
  assert.deepEqual(selector.select(0), [[key, EVENT_READ]]);
  const buf = new Uint8Array(2);
  assert.equal(ours._tryRecvInto(buf), 2);
  assert.deepEqual(selector.select(0), [[key, EVENT_READ]]);
  assert.equal(ours._tryRecvInto(buf), 1);
  assert.equal(buf[0], 3);
  assert.deepEqual(selector.select(0), []);
  selector.close();
  close();
});

Deno.test("DenoSelector reports EOF as readable, and _tryRecvInto() then returns 0", async () => {
  const { ours, peer, close } = await pair();
  const selector = new DenoSelector();
  const woken = nextWake(selector);
  const key = selector.register(ours, EVENT_READ, null);
  peer.close();
  await woken;
  assert.deepEqual(selector.select(0), [[key, EVENT_READ]]);
  assert.equal(ours._tryRecvInto(new Uint8Array(8)), 0);
  selector.close();
  close();
});

Deno.test("DenoSelector reports a connected socket with no write in flight as writable, and not while a write is", async () => {
  const { ours, peer, close } = await pair();
  const selector = new DenoSelector();
  const key = selector.register(ours, EVENT_WRITE, null);
  assert.deepEqual(selector.select(0), [[key, EVENT_WRITE]]);
  const woken = nextWake(selector);
  ours._startSend(new Uint8Array([9]));
  assert.deepEqual(selector.select(0), []);
  await woken;
  assert.deepEqual(selector.select(0), [[key, EVENT_WRITE]]);
  const got = new Uint8Array(1);
  assert.equal(await peer.read(got), 1);
  assert.equal(got[0], 9);
  selector.close();
  close();
});

Deno.test("DenoSelector.unregister() stops reporting; the read in flight keeps its data and closing drops it without a leaked op", async () => {
  const { ours, peer, close } = await pair();
  const selector = new DenoSelector();
  selector.register(ours, EVENT_READ, null);
  selector.unregister(ours);
  let woken = false;
  selector.setWakeup(() => woken = true);
  await peer.write(new Uint8Array([7]));
  // The data still lands on the socket: a new registration sees it at once.
  for (let i = 0; i < 50 && !ours._readable(); i++) await new Promise((r) => setTimeout(r, 2));
  assert.equal(woken, false);
  const key = selector.register(ours, EVENT_READ, null);
  assert.deepEqual(selector.select(0), [[key, EVENT_READ]]);
  assert.equal(ours._tryRecvInto(new Uint8Array(4)), 1);
  // Re-arms a read; unregistering and closing must leave no op behind (sanitizers are on).
  assert.deepEqual(selector.select(0), []);
  selector.unregister(ours);
  selector.close();
  close();
});
