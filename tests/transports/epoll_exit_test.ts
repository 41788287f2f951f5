/**
 * A program on the epoll selector exits by itself once its loop closed,
 * though a wait was parked when it closed (the eventfd ends it), and runs
 * unchanged on the Deno-ops selector without FFI. Each case is a child
 * `deno run`, with FFI granted narrowly to libc's path, or not at all.
 */
import assert from "node:assert/strict";
import { FFI } from "./_epoll.ts";

const ROOT = new URL("../../", import.meta.url).href;

const CHILD = `
import { SelectorEventLoop } from "${ROOT}loop/mod.ts";
import { createFdSocket, EpollSelector } from "${ROOT}transports/mod.ts";

const loop = new SelectorEventLoop();
let parked = false;
if (loop.selector instanceof EpollSelector) {
  const server = createFdSocket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  loop.addReader(server, () => {});
  loop.callLater(0.02, () => {
    parked = (loop.selector as EpollSelector).parked;
    loop.stop();
  });
  await loop.runForever();
  loop.close(); // not awaiting selector.closed: the process must still end
  server.close();
} else {
  loop.callLater(0.02, () => loop.stop());
  await loop.runForever();
  loop.close();
}
console.log(loop.selector.constructor.name, "parked=" + parked);
`;

// The absolute path of libc, for a grant scoped to it.
function libcPath(): string | undefined {
  const arch = Deno.build.arch;
  for (const p of [`/lib/${arch}-linux-gnu/libc.so.6`, "/lib64/libc.so.6", "/lib/libc.so.6"]) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // Not this distribution's layout.
    }
  }
  return undefined;
}

async function runChild(flags: string[]): Promise<{ code: number; out: string; err: string }> {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/child.ts`;
  await Deno.writeTextFile(script, CHILD);
  // A child that never exits is the failure this test looks for: kill it then.
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 30_000);
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-env=ASYNCIO_DEBUG", ...flags, script],
      env: { ASYNCIO_DEBUG: "1", NO_COLOR: "1" },
      signal: abort.signal,
    }).output();
    const text = new TextDecoder();
    return { code, out: text.decode(stdout), err: text.decode(stderr) };
  } finally {
    clearTimeout(timer);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "a program on the epoll selector (FFI granted to libc only) exits once its loop closed",
  ignore: !FFI || libcPath() === undefined,
  async fn() {
    const { code, out, err } = await runChild([`--allow-ffi=${libcPath()}`]);
    assert.equal(code, 0, err);
    assert.match(out, /uses the epoll selector: FFI is granted on linux/);
    assert.match(out, /EpollSelector parked=true/);
  },
});

Deno.test("a program without --allow-ffi runs on the Deno-ops selector and says why in debug mode", async () => {
  const { code, out, err } = await runChild([]);
  assert.equal(code, 0, err);
  assert.match(
    out,
    /uses the Deno-ops selector: the epoll selector cannot run \(FFI is not granted/,
  );
  assert.match(out, /DenoSelector parked=false/);
});
