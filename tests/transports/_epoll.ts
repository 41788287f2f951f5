/**
 * Shared helpers of the epoll selector tests: whether FFI is granted (the
 * tests are ignored without it), a runner on a loop with the epoll
 * selector, and the count of open descriptors (Deno's resource sanitizer
 * does not see descriptors made through FFI).
 *
 * @module
 */
import assert from "node:assert/strict";
import { SelectorEventLoop } from "../../loop/mod.ts";
import { EpollSelector } from "../../transports/epoll_selector.ts";
import { ffiUnavailableReason } from "../../transports/ffi.ts";

/** Whether the epoll selector can run here (FFI granted, Linux x86_64/aarch64). */
export const FFI: boolean = ffiUnavailableReason() === null;

/** Runs `main` on a fresh loop with the epoll selector, then closes it and waits for the selector. */
export async function onEpoll<T>(main: (loop: SelectorEventLoop) => Promise<T>): Promise<T> {
  const loop = new SelectorEventLoop({ selector: "epoll" });
  try {
    return await loop.runUntilComplete(() => main(loop));
  } finally {
    loop.close();
    if (loop.selector instanceof EpollSelector) await loop.selector.closed;
  }
}

/**
 * Runs `main` as {@linkcode onEpoll} does, in a fresh temporary directory
 * (removed afterwards), and checks that it left no descriptor open.
 */
export async function onEpollLeavingNoFd(
  main: (loop: SelectorEventLoop, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "aio_epoll_" });
  try {
    const before = openFds();
    await onEpoll((loop) => main(loop, dir));
    assert.equal(openFds(), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The number of open descriptors of this process. */
export function openFds(): number {
  let n = 0;
  for (const _ of Deno.readDirSync("/proc/self/fd")) n++;
  return n;
}
