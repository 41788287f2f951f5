/**
 * Transports and servers dropped without `close()`: Python's
 * `ResourceWarning` "unclosed transport". A `FinalizationRegistry` (as the
 * base loop's for unclosed loops) runs when one is collected while its
 * conns, socket or listeners are still tracked by the loop's driver, i.e.
 * neither its owner nor `loop.close()` closed them: in debug mode it logs a
 * warning, and in any mode it closes them, as Python's `__del__` closes the
 * socket.
 *
 * A transport with a Deno read in flight is reachable from that operation,
 * so only an idle one (paused, or kept open after end of file) or a server
 * that does not accept can be collected unclosed; the others stay alive
 * while their I/O runs, as in Python.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { logger } from "../loop/logger.ts";
import type { Closable, ProactorIo } from "./proactor_io.ts";

interface Held {
  what: string;
  loop: WeakRef<AbstractEventLoop>;
  io: ProactorIo;
  resources: readonly Closable[];
}

const unclosed = new FinalizationRegistry<Held>((held) => {
  const open = held.resources.filter((r) => held.io.isTracked(r));
  if (open.length === 0) return; // closed by its owner or by loop.close()
  if (held.loop.deref()?.getDebug() === true) {
    logger.warn(`Unclosed ${held.what}: call close()`);
  }
  for (const resource of open) {
    held.io.untrack(resource);
    try {
      resource.close();
    } catch {
      // Closed already (a reset): nothing to release.
    }
  }
});

/**
 * Watches `owner` (a transport or server, described by `what`, such as
 * `transport <…>`): if it is collected while one of `resources` is still
 * tracked by `io`, warns (debug mode) and closes them.
 */
export function watchUnclosed(
  owner: object,
  what: string,
  loop: AbstractEventLoop,
  io: ProactorIo,
  resources: readonly Closable[],
): void {
  unclosed.register(owner, { what, loop: new WeakRef(loop), io, resources });
}
