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
import { locateLibc } from "./_libc.ts";

/**
 * Why the epoll selector cannot run here, or `null` when it can: Linux,
 * x86_64 or aarch64, `Deno.dlopen` present, and FFI granted, for all
 * libraries or for libc's absolute path (the permission is queried, never
 * prompted for).
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
  const where = locateLibc();
  return "reason" in where ? where.reason : null;
}
