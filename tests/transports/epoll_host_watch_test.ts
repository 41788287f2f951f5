/**
 * The epoll selector's host watch (`transports/_host_epolls.ts`): of the
 * process's epoll sets it takes Deno's, never one a selector of this library
 * made, which its marks in `/proc/self/fdinfo` tell apart. Run in a child
 * process, so the first scan of the isolate sees a selector's sets.
 */
import assert from "node:assert/strict";
import { FFI } from "./_epoll.ts";

const ROOT = new URL("../../", import.meta.url).href;

const CHILD = `
import { libc } from "${ROOT}transports/_libc.ts";
import { hostEpollSets } from "${ROOT}transports/_host_epolls.ts";
import { createFdSocket, EpollSelector, EVENT_READ } from "${ROOT}transports/mod.ts";

const selector = new EpollSelector();
const server = createFdSocket();
server.bind(["127.0.0.1", 0]);
server.listen();
selector.register(server, EVENT_READ); // opens its set and its host watch: the isolate's first scan
const epolls = [];
for (const entry of Deno.readDirSync("/proc/self/fd")) {
  try {
    if (Deno.readLinkSync("/proc/self/fd/" + entry.name) === "anon_inode:[eventpoll]") {
      epolls.push(Number(entry.name));
    }
  } catch {
    // the directory's own descriptor, gone by now
  }
}
const marked = epolls.filter((fd) => /data:\\s+ffffff(ff|fe)/.test(Deno.readTextFileSync("/proc/self/fdinfo/" + fd)));
console.log(JSON.stringify({
  watches: selector.watchesHost,
  epolls: epolls.sort((x, y) => x - y),
  marked: marked.sort((x, y) => x - y),
  host: hostEpollSets(libc(), []).sort((x, y) => x - y),
}));
selector.close();
await selector.closed;
server.close();
`;

Deno.test({
  name: "the host watch takes Deno's epoll sets and leaves out a selector's own set and watch",
  ignore: !FFI,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const script = `${dir}/child.ts`;
      await Deno.writeTextFile(script, CHILD);
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", "-A", script], // reading /proc/self/fd needs all permissions
        env: { NO_COLOR: "1" },
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const { watches, epolls, marked, host } = JSON.parse(new TextDecoder().decode(stdout));
      assert.equal(watches, true);
      assert.equal(marked.length, 2, "the selector's set (its eventfd) and its host watch");
      assert.ok(host.length > 0, "Deno's runtime has at least one epoll set");
      assert.deepEqual(
        [...host, ...marked].sort((x: number, y: number) => x - y),
        epolls,
        "every epoll set is either Deno's or marked as the selector's",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
