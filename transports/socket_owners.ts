/**
 * Which transport owns a socket: Python's `loop._transports`, which its
 * selector loop consults (`_ensure_fd_no_transport`) so that no reader,
 * writer, `sock_*` call or second transport takes a live transport's
 * socket from it. Held weakly both ways, by socket object and, for a
 * descriptor, by number (the epoll selector also watches bare numbers).
 *
 * @module
 */
import { RuntimeError } from "../loop/exceptions.ts";
import { FdSocket } from "./fd_socket.ts";
import type { Socket } from "./socket.ts";

interface Owner {
  isClosing(): boolean;
  getExtraInfo(name: string): unknown;
}

const bySocket = new WeakMap<object, WeakRef<Owner>>();
// A number may be reused once its descriptor closes: an entry counts only
// while its owner's socket still has that number.
const byFd = new Map<number, WeakRef<Owner>>();

/** Records `transport` as the owner of `sock`. */
export function ownSocket(sock: Socket | FdSocket, transport: Owner): void {
  const ref = new WeakRef(transport);
  bySocket.set(sock, ref);
  if (sock instanceof FdSocket) byFd.set(sock.fileno(), ref);
}

/**
 * Throws when `sock` (a socket object, or a descriptor number) belongs to a
 * transport that is not closing; `action` says what was refused.
 *
 * @throws {RuntimeError} `sock` is a live transport's.
 */
export function checkSocketFree(sock: unknown, action: string): void {
  let owner: Owner | undefined;
  if (typeof sock === "number") {
    owner = byFd.get(sock)?.deref();
    const own = owner?.getExtraInfo("socket");
    if (!(own instanceof FdSocket) || own.fileno() !== sock) owner = undefined;
  } else if (typeof sock === "object" && sock !== null) {
    owner = bySocket.get(sock)?.deref();
  }
  if (owner !== undefined && !owner.isClosing()) {
    throw new RuntimeError(
      `Cannot ${action}: the socket is used by transport ${owner}; use the transport, or close it first`,
    );
  }
}
