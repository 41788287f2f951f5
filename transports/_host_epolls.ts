/**
 * Finds the host's own epoll sets (Deno's runtimes': tokio polls its sockets,
 * signals and finished calls through them) among the process's descriptors,
 * for the epoll selector's host watch (`docs/architecture.md`, "Deno's own
 * I/O under load"). Everything goes through libc (FFI), so no read
 * permission is needed for `/proc`.
 *
 * The epoll sets of this library's selectors, in this isolate, another
 * (a Worker) or another copy of the module, are told apart by their marks:
 * a selector's set holds its eventfd with the high word `WAKE_MARK`, a host
 * watch's set holds each watched set with `HOST_MARK`. `/proc/self/fdinfo`
 * shows them; tokio's tokens are small numbers or pointers, never those.
 *
 * @module
 */
import { type Libc, O_CLOEXEC, O_DIRECTORY } from "./_libc.ts";

/** The high word of the data of a selector's eventfd registration. */
export const WAKE_MARK = 0xffffffff;
/** The high word of the data of each set in a host watch. */
export const HOST_MARK = 0xfffffffe;

// `struct linux_dirent64`: d_ino, d_off, d_reclen (u16 at 16), d_type, then d_name (at 19).
const DIRENT_RECLEN_OFFSET = 16;
const DIRENT_NAME_OFFSET = 19;
const EVENTPOLL = "anon_inode:[eventpoll]";
// A line of an epoll set's fdinfo whose data carries one of the marks
// (`data: %16llx`, so the 16 hex digits of `mark << 32 | fd`).
const MARKED = /data:\s+ffffff(?:ff|fe)[0-9a-f]{8}\s/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The candidates found by the first scan in this isolate (a scan costs ~8 µs
// per open descriptor); each is checked again whenever it is used.
let candidates: number[] | null = null;

/** A NUL-terminated copy of `text`, for a `char *` parameter. */
export function cString(text: string): Uint8Array {
  return encoder.encode(`${text}\0`);
}

/**
 * The epoll sets of this process that no selector of this library made,
 * except `skip`. Throws whatever an unexpected `/proc` does: the caller
 * then watches nothing.
 */
export function hostEpollSets(lib: Libc, skip: readonly number[]): number[] {
  candidates ??= scan(lib);
  return candidates.filter((fd) => !skip.includes(fd) && isEpoll(lib, fd) && !isMarked(lib, fd));
}

// The epoll descriptors in /proc/self/fd (none without getdents64, glibc 2.30).
function scan(lib: Libc): number[] {
  const found: number[] = [];
  if (lib.fn.getdents64 === null) return found;
  const dir = lib.fn.open(cString("/proc/self/fd"), O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return found;
  try {
    const buf = new Uint8Array(4096);
    const view = new DataView(buf.buffer);
    for (;;) {
      const n = Number(lib.fn.getdents64(dir, buf, BigInt(buf.length)));
      if (n <= 0) return found;
      for (let at = 0, size = 0; at < n; at += size) {
        size = view.getUint16(at + DIRENT_RECLEN_OFFSET, true);
        if (size <= DIRENT_NAME_OFFSET) return found; // not a record: stop rather than loop
        const name = buf.subarray(at + DIRENT_NAME_OFFSET, at + size);
        const text = decoder.decode(name.subarray(0, Math.max(0, name.indexOf(0))));
        if (/^[0-9]+$/.test(text) && isEpoll(lib, Number(text))) found.push(Number(text));
      }
    }
  } finally {
    lib.fn.close(dir);
  }
}

function isEpoll(lib: Libc, fd: number): boolean {
  const link = new Uint8Array(EVENTPOLL.length + 1);
  const n = Number(lib.fn.readlink(cString(`/proc/self/fd/${fd}`), link, BigInt(link.length)));
  return n === EVENTPOLL.length && decoder.decode(link.subarray(0, n)) === EVENTPOLL;
}

// Whether the set holds a registration with one of this library's marks.
function isMarked(lib: Libc, fd: number): boolean {
  const file = lib.fn.open(cString(`/proc/self/fdinfo/${fd}`), O_CLOEXEC);
  if (file < 0) return false;
  try {
    const chunk = new Uint8Array(16384);
    let tail = "";
    for (;;) {
      const n = Number(lib.fn.read(file, chunk, BigInt(chunk.length)));
      if (n <= 0) return false;
      const text = tail + decoder.decode(chunk.subarray(0, n));
      if (MARKED.test(text)) return true;
      tail = text.slice(-80);
    }
  } finally {
    lib.fn.close(file);
  }
}
