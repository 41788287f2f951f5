/**
 * The floors of a Deno echo server on epoll through FFI, with nothing of this library: what any
 * implementation on this runtime pays at least, measured beside ours and uvloop's
 * (`bench/ab_echo.sh`; `docs/performance.md`, "The floor of each model").
 *
 *   deno run -A bench/floor_echo.ts PORT loop|task|batch
 *
 * - `loop`: the shape of `../shared/DENO_FACTS.md` §5's probe, a protocol server's floor: a
 *   readiness loop (`epoll_wait(0)` while busy, a `nonblocking` wait when idle, a `setImmediate`
 *   every 64 iterations), one `recv` into a reused buffer per event, `send` back.
 * - `task`: a streams server's floor: one async function per connection that awaits a plain
 *   promise per read and a resolved promise per write (as `await writer.drain()`), fed views of
 *   fresh memory (the data is the reader's to keep) by the same loop, which lets each resumed
 *   function run to its next wait before the next event, as an asyncio loop runs a task's step.
 *   No futures, no cancellation, no ready queue: the cost of the await model itself.
 * - `batch`: `task` with the functions of one `epoll_wait` batch resumed together (two turns per
 *   batch instead of per event): the tightest await-per-read server, though not asyncio's order,
 *   in which each resumed task runs to its next wait before the next callback runs.
 *
 * Linux on x86_64 or aarch64 only; no error handling beyond what an echo under load needs.
 *
 * @module
 */
const [portArg, mode] = Deno.args;
if (mode !== "loop" && mode !== "task" && mode !== "batch") {
  throw new TypeError(`mode must be 'loop', 'task' or 'batch': received ${mode}`);
}
const perEvent = mode === "task";
const EVENT_SIZE = Deno.build.arch === "x86_64" ? 12 : 16; // struct epoll_event
const DATA_OFFSET = Deno.build.arch === "x86_64" ? 4 : 8;
const MAX_EVENTS = 64;
const { symbols: f } = Deno.dlopen(Deno.build.os === "linux" ? "libc.so.6" : "", {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  accept4: { parameters: ["i32", "pointer", "pointer", "i32"], result: "i32" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  epoll_park: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
});
const SOCK_STREAM_NONBLOCK = 1 | 0o4000;
const MSG_NOSIGNAL = 0x4000;
const one = new Uint8Array(new Int32Array([1]).buffer);

const listener = f.socket(2, SOCK_STREAM_NONBLOCK, 0);
f.setsockopt(listener, 1, 2, one, 4); // SO_REUSEADDR
const address = new Uint8Array(16);
new DataView(address.buffer).setUint16(0, 2, true); // AF_INET
new DataView(address.buffer).setUint16(2, Number(portArg), false);
address.set([127, 0, 0, 1], 4);
if (f.bind(listener, address, 16) < 0 || f.listen(listener, 1024) < 0) {
  throw new Error(`cannot listen on 127.0.0.1:${portArg}`);
}
const epfd = f.epoll_create1(0);
const ctl = new Uint8Array(EVENT_SIZE);
function watch(fd: number): void {
  const view = new DataView(ctl.buffer);
  view.setUint32(0, 1, true); // EPOLLIN
  view.setUint32(DATA_OFFSET, fd, true);
  f.epoll_ctl(epfd, 1, fd, ctl); // EPOLL_CTL_ADD
}
watch(listener);

// `task` mode: each connection's function waits on a plain promise, resolved with a view.
const waiting = new Map<number, (data: Uint8Array) => void>();
const drained = Promise.resolve();
let slab = new Uint8Array(512 * 1024);
let used = 0;

async function serve(fd: number): Promise<void> {
  for (;;) {
    const data = await new Promise<Uint8Array>((resolve) => waiting.set(fd, resolve));
    if (data.length === 0) break;
    f.send(fd, data, BigInt(data.length), MSG_NOSIGNAL);
    await drained;
  }
  f.close(fd);
}

const buffer = new Uint8Array(256 * 1024);
const events = new Uint8Array(MAX_EVENTS * EVENT_SIZE);
const eventsView = new DataView(events.buffer);
const parkEvents = new Uint8Array(MAX_EVENTS * EVENT_SIZE);
const hostTurn = () => new Promise((resolve) => setImmediate(resolve));
console.error(`floor_echo (${mode}) on 127.0.0.1:${portArg}`);
for (let iteration = 1;; iteration++) {
  let n = f.epoll_wait(epfd, events, MAX_EVENTS, 0);
  if (n === 0) {
    await hostTurn();
    n = f.epoll_wait(epfd, events, MAX_EVENTS, 0);
    if (n === 0) {
      await f.epoll_park(epfd, parkEvents, MAX_EVENTS, -1);
      continue;
    }
  }
  for (let i = 0; i < n; i++) {
    const fd = eventsView.getInt32(i * EVENT_SIZE + DATA_OFFSET, true);
    if (fd === listener) {
      for (let conn; (conn = f.accept4(listener, null, null, 0o4000)) >= 0;) {
        f.setsockopt(conn, 6, 1, one, 4); // TCP_NODELAY
        watch(conn);
        if (mode !== "loop") serve(conn);
      }
    } else if (mode === "loop") {
      const got = f.recv(fd, buffer, BigInt(buffer.length), 0);
      if (got > 0) f.send(fd, buffer.subarray(0, got), BigInt(got), MSG_NOSIGNAL);
      else if (got === 0) f.close(fd);
    } else {
      const resolve = waiting.get(fd);
      if (resolve === undefined) continue;
      if (slab.length - used < 65536) [slab, used] = [new Uint8Array(512 * 1024), 0];
      const got = f.recv(fd, slab.subarray(used, used + 65536), 65536n, 0);
      if (got < 0) continue;
      waiting.delete(fd);
      resolve(new Uint8Array(slab.buffer, used, got));
      used += got;
      // Two turns: the function resumes, then passes its `await drained` to its next read.
      if (perEvent) {
        await null;
        await null;
      }
    }
  }
  if (mode === "batch") {
    await null;
    await null;
  }
  if (iteration % 64 === 0) await hostTurn();
}
