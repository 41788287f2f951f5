/**
 * Whether the epoll selector of `SelectorEventLoop` can run: it reaches
 * libc through Deno FFI, so it needs Linux on x86_64 or aarch64 and the FFI
 * permission.
 *
 * `--allow-ffi` is native access: code that can call libc can do anything
 * the process can, whatever the other permission flags say (`--allow-net`
 * does not bind a socket made with `socket()`). Grant it narrowly, to libc
 * alone: `--allow-ffi=/lib/x86_64-linux-gnu/libc.so.6` (or
 * `/lib/aarch64-linux-gnu/libc.so.6`); without it everything works on
 * Deno's own I/O.
 *
 * @module
 */
import { ARCH } from "./_libc.ts";

/**
 * Why the epoll selector cannot run here, or `null` when it can: Linux,
 * x86_64 or aarch64, `Deno.dlopen` present and FFI granted (the permission
 * is queried, never prompted for).
 *
 * @example
 * ```ts
 * import { ffiUnavailableReason } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const reason = ffiUnavailableReason();
 * assert.ok(reason === null || reason.length > 0);
 * ```
 */
export function ffiUnavailableReason(): string | null {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno === undefined || typeof deno.dlopen !== "function") return "Deno.dlopen is missing";
  if (deno.build.os !== "linux") return `the platform is ${deno.build.os}, not linux`;
  if (!(deno.build.arch in ARCH)) return `the architecture ${deno.build.arch} is not supported`;
  let state: string;
  try {
    state = deno.permissions.querySync({ name: "ffi" }).state;
  } catch {
    state = "unknown";
  }
  if (state !== "granted") return `FFI is not granted (--allow-ffi; the permission is ${state})`;
  return null;
}
