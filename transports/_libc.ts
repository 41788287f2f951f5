/**
 * libc through Deno FFI, for the epoll selector and its descriptor sockets
 * (Linux on x86_64 and aarch64 only).
 *
 * Importing this module never needs `--allow-ffi`: where FFI is granted it
 * opens `libc.so.6` at once (see the end of the module), else it only
 * queries the permission, without prompting. `locateLibc()` finds libc where
 * it can be opened (FFI granted, Linux, a supported architecture); the
 * public `ffiUnavailableReason()` (`ffi.ts`) says why not.
 *
 * Conventions, from the measurements in DENO_FACTS.md §5:
 * - `size_t` arguments are declared `usize` and passed as BigInt: a number
 *   there falls off V8's fast call path (+120–200 ns per call). The data
 *   calls' `ssize_t` results are read as `i32` (see `recv`).
 * - `errno` is read right after each failing call, on the main thread,
 *   through the pointer `__errno_location()` returned once (it is
 *   per-thread and stable). A `nonblocking` call runs on another thread,
 *   so its errno cannot be read: `epoll_wait_park` returns -1 and the caller
 *   treats it as a wake-up.
 * - The errno values and socket constants below are asm-generic's, the
 *   same on x86_64 and aarch64; what differs per architecture is the
 *   layout of `struct epoll_event` (12 bytes packed on x86_64, 16 with the
 *   data at offset 8 on aarch64), in `ARCH`. `struct iovec` and
 *   `struct msghdr` (for `sendmsg`) are laid out alike on both (LP64):
 *   `MSGHDR_IOV`, `MSGHDR_IOVLEN`, `MSGHDR_SIZE`.
 *
 * @module
 */

/** Operation not permitted (a seccomp filter refusing a call). */
export const EPERM = 1;
/** No such file or directory (`epoll_ctl`: not registered). */
export const ENOENT = 2;
/** errno values (asm-generic, the same on x86_64 and aarch64). */
export const EINTR = 4;
/** Bad file descriptor. */
export const EBADF = 9;
/** Resource temporarily unavailable (`EWOULDBLOCK` too). */
export const EAGAIN = 11;
/** Broken pipe. */
export const EPIPE = 32;
/** Function not implemented (a kernel older than the call). */
export const ENOSYS = 38;
/** Address family not supported (no IPv6 in this kernel). */
export const EAFNOSUPPORT = 97;
/** Cannot assign requested address (no such local address, no IPv6). */
export const EADDRNOTAVAIL = 99;
/** Connection reset by peer. */
export const ECONNRESET = 104;
/** Transport endpoint is not connected. */
export const ENOTCONN = 107;
/** Operation now in progress (a non-blocking connect). */
export const EINPROGRESS = 115;

/** Socket and epoll constants (asm-generic). */
export const SOCK_NONBLOCK = 0o4000;
/** Close the descriptor on exec. */
export const SOCK_CLOEXEC = 0o2000000;
/** `SOL_SOCKET` level. */
export const SOL_SOCKET = 1;
/** `SO_REUSEADDR`. */
export const SO_REUSEADDR = 2;
/** `SO_REUSEPORT`. */
export const SO_REUSEPORT = 15;
/** `IPPROTO_IPV6`. */
export const IPPROTO_IPV6 = 41;
/** `IPV6_V6ONLY`: an `AF_INET6` socket takes IPv6 only. */
export const IPV6_V6ONLY = 26;
/** `SO_ERROR`: the pending error of a socket (a non-blocking connect's outcome). */
export const SO_ERROR = 4;
/** `IPPROTO_TCP` level. */
export const IPPROTO_TCP = 6;
/** `TCP_NODELAY`: no Nagle. */
export const TCP_NODELAY = 1;
/** `MSG_NOSIGNAL`: EPIPE instead of SIGPIPE. */
export const MSG_NOSIGNAL = 0x4000;
/**
 * `IOV_MAX`: the most buffers one `sendmsg`/`writev` takes (Linux's
 * `UIO_MAXIOV`; more fail with EINVAL).
 */
export const IOV_MAX = 1024;
/** The size of `struct msghdr` (LP64: x86_64 and aarch64). */
export const MSGHDR_SIZE = 56;
/** The offset of `msg_iov` (a pointer to `struct iovec[]`) in `struct msghdr`. */
export const MSGHDR_IOV = 16;
/** The offset of `msg_iovlen` (a `size_t`) in `struct msghdr`. */
export const MSGHDR_IOVLEN = 24;
/** `SHUT_WR`. */
export const SHUT_WR = 1;
/** `EPOLLIN`. */
export const EPOLLIN = 0x1;
/** `EPOLLOUT`. */
export const EPOLLOUT = 0x4;
/** `EPOLLERR`. */
export const EPOLLERR = 0x8;
/** `EPOLLHUP`. */
export const EPOLLHUP = 0x10;
/** `EPOLL_CTL_ADD`. */
export const EPOLL_CTL_ADD = 1;
/** `EPOLL_CTL_DEL`. */
export const EPOLL_CTL_DEL = 2;
/** `EPOLL_CTL_MOD`. */
export const EPOLL_CTL_MOD = 3;
/** `EPOLL_CLOEXEC` and `EFD_CLOEXEC`. */
export const O_CLOEXEC = 0o2000000;
/** `O_DIRECTORY`. */
export const O_DIRECTORY = 0o200000;
/** `EFD_NONBLOCK`. */
export const O_NONBLOCK = 0o4000;

/** The per-architecture layout of `struct epoll_event`. */
export interface EpollLayout {
  /** `sizeof(struct epoll_event)`. */
  size: number;
  /** The offset of `data` (a `u64`). */
  dataOffset: number;
}

/** `struct epoll_event`: packed on x86_64, naturally aligned on aarch64. */
export const ARCH: Readonly<Record<string, EpollLayout>> = {
  x86_64: { size: 12, dataOffset: 4 },
  aarch64: { size: 16, dataOffset: 8 },
};

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  listen: { parameters: ["i32", "i32"], result: "i32" },
  accept4: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // The data calls return `ssize_t`, read here as `i32`: Linux moves at most
  // 0x7ffff000 bytes per call, so the value (or -1) always fits in the low 32
  // bits of the result register, on x86_64 and aarch64 alike; an `isize`
  // result would be a BigInt to convert on every call (~20 ns more).
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "i32" },
  // A gather write: writev with flags, so MSG_NOSIGNAL turns SIGPIPE into EPIPE.
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  epoll_create1: { parameters: ["i32"], result: "i32" },
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  // The idle loop's short wait on its own thread: a nanosecond timeout
  // (struct timespec), Linux 5.11 and glibc 2.35; without it the loop parks at once.
  epoll_pwait2: {
    parameters: ["i32", "buffer", "i32", "buffer", "pointer"],
    result: "i32",
    optional: true,
  },
  epoll_wait_park: {
    name: "epoll_wait",
    parameters: ["i32", "buffer", "i32", "i32"],
    result: "i32",
    nonblocking: true,
  },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // Listing /proc/self/fd to find the host's own epoll sets (EpollSelector's
  // host watch); getdents64 is glibc 2.30: without it the watch is off.
  open: { parameters: ["buffer", "i32"], result: "i32" },
  getdents64: { parameters: ["i32", "buffer", "usize"], result: "isize", optional: true },
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  // Awaited only to let the host park for a moment (EpollSelector.parkingTurn).
  sched_yield_park: { name: "sched_yield", parameters: [], result: "i32", nonblocking: true },
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** The opened libc: its symbols, the errno reader and the epoll layout. */
export interface Libc {
  /** The bound functions. */
  readonly fn: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
  /** The errno of the last failing call on this thread. */
  errno(): number;
  /** The layout of `struct epoll_event` on this machine. */
  readonly epoll: EpollLayout;
}

let opened: Libc | null = null;

// Where distributions keep libc, for a grant scoped to its absolute path
// (`--allow-ffi=/lib/x86_64-linux-gnu/libc.so.6`); with a plain
// `--allow-ffi` the loader finds `libc.so.6` itself.
function candidates(arch: string): string[] {
  return [
    `/lib/${arch}-linux-gnu/libc.so.6`,
    `/usr/lib/${arch}-linux-gnu/libc.so.6`,
    "/lib64/libc.so.6",
    "/usr/lib64/libc.so.6",
    "/lib/libc.so.6",
  ];
}

function granted(deno: typeof Deno, path?: string): boolean {
  try {
    return deno.permissions.querySync({ name: "ffi", path }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * The libc to open, and why none can be: Linux, x86_64 or aarch64,
 * `Deno.dlopen` present, and FFI granted for `libc.so.6` (all of FFI) or
 * for the absolute path of libc. The permission is queried, never prompted
 * for.
 */
export function locateLibc(): { path: string } | { reason: string } {
  const deno = (globalThis as { Deno?: typeof Deno }).Deno;
  if (deno === undefined || typeof deno.dlopen !== "function") {
    return { reason: "Deno.dlopen is missing" };
  }
  if (deno.build.os !== "linux") return { reason: `the platform is ${deno.build.os}, not linux` };
  const arch = deno.build.arch;
  if (!(arch in ARCH)) return { reason: `the architecture ${arch} is not supported` };
  if (granted(deno)) return { path: "libc.so.6" };
  const path = candidates(arch).find((p) => granted(deno, p));
  if (path !== undefined) return { path };
  return {
    reason: `FFI is not granted (--allow-ffi, or --allow-ffi=${candidates(arch)[0]})`,
  };
}

/**
 * Opens libc on first use.
 *
 * @throws {Deno.errors.NotCapable} FFI is not granted.
 */
export function libc(): Libc {
  if (opened !== null) return opened;
  const where = locateLibc();
  if ("reason" in where) {
    throw new Deno.errors.NotCapable(`Cannot open libc: ${where.reason}`);
  }
  const lib = Deno.dlopen(where.path, SYMBOLS);
  const fn = lib.symbols;
  const errnoView = new Deno.UnsafePointerView(fn.__errno_location()!);
  opened = {
    fn,
    errno: (): number => errnoView.getInt32(),
    epoll: ARCH[Deno.build.arch],
  };
  return opened;
}

const ERRORS: Record<number, [string, keyof typeof Deno.errors]> = {
  1: ["EPERM", "PermissionDenied"],
  2: ["ENOENT", "NotFound"],
  9: ["EBADF", "BadResource"],
  13: ["EACCES", "PermissionDenied"],
  [EPIPE]: ["EPIPE", "BrokenPipe"],
  98: ["EADDRINUSE", "AddrInUse"],
  [EADDRNOTAVAIL]: ["EADDRNOTAVAIL", "AddrNotAvailable"],
  101: ["ENETUNREACH", "NetworkUnreachable"],
  103: ["ECONNABORTED", "ConnectionAborted"],
  [ECONNRESET]: ["ECONNRESET", "ConnectionReset"],
  [ENOTCONN]: ["ENOTCONN", "NotConnected"],
  110: ["ETIMEDOUT", "TimedOut"],
  111: ["ECONNREFUSED", "ConnectionRefused"],
};

/**
 * The error for `errno`, shaped as Deno's own I/O errors: the matching
 * `Deno.errors` class, `"<strerror> (os error N)"`, and `code` and `errno`
 * properties, so code handling the Deno-ops transports' errors handles these.
 */
export function osError(errno: number, action: string): Error {
  const { fn } = libc();
  const ptr = fn.strerror(errno);
  const text = ptr === null ? `errno ${errno}` : Deno.UnsafePointerView.getCString(ptr);
  const [code, kind] = ERRORS[errno] ?? [`E${errno}`, undefined];
  const message = `Cannot ${action}: ${text} (os error ${errno})`;
  const err = kind === undefined ? new Error(message) : new Deno.errors[kind](message);
  Object.assign(err, { code, errno });
  return err;
}

// Where FFI is granted, libc is opened when this module is imported, not when
// the first descriptor is made: it stays open for the life of the process
// either way, and opened before any test starts, Deno's resource sanitizer
// does not report it as a library leaked by the first test (ours or a user's)
// that makes a descriptor. Without the permission this only queries it.
if (!("reason" in locateLibc())) libc();
