/**
 * Shared helpers of the transport tests: a recording protocol and runners
 * for a fresh `ProactorEventLoop` or `SelectorEventLoop`.
 *
 * @module
 */
import {
  type BaseEventLoop,
  type ExceptionContext,
  ProactorEventLoop,
  SelectorEventLoop,
} from "../../loop/mod.ts";
import type { Future } from "../../tasks/future.ts";
import { EpollSelector } from "../../transports/epoll_selector.ts";
import {
  type BaseTransport,
  type CreateServerOptions,
  Protocol,
  type Server,
  type Transport,
} from "../../transports/mod.ts";

/** Both loops, by name: `for (const [name, make] of LOOPS)` runs a test on each. */
export const LOOPS: ReadonlyArray<
  [name: string, make: () => ProactorEventLoop | SelectorEventLoop]
> = [
  ["ProactorEventLoop", () => new ProactorEventLoop()],
  ["SelectorEventLoop", () => new SelectorEventLoop()],
];

/** Runs `main` on a fresh proactor loop, closes the loop, and returns what `main` returned. */
export function onProactor<T>(
  main: (loop: ProactorEventLoop) => Promise<T>,
  errors: ExceptionContext[] = [],
): Promise<T> {
  return onLoop(() => new ProactorEventLoop(), main, errors);
}

/** Runs `main` on a fresh loop from `make`, closes the loop, and returns what `main` returned. */
export async function onLoop<L extends BaseEventLoop, T>(
  make: () => L,
  main: (loop: L) => Promise<T>,
  errors: ExceptionContext[] = [],
): Promise<T> {
  const loop = make();
  loop.setExceptionHandler((_loop, context) => {
    errors.push(context);
  });
  try {
    return await loop.runUntilComplete(() => main(loop));
  } finally {
    loop.close();
    // No parked epoll_wait may outlive the test (the op sanitizer).
    if (loop instanceof SelectorEventLoop && loop.selector instanceof EpollSelector) {
      await loop.selector.closed;
    }
  }
}

/** A protocol that records its callbacks and lets tests wait for them. */
export class Recorder extends Protocol {
  readonly events: string[] = [];
  readonly chunks: Uint8Array[] = [];
  transport: Transport | null = null;
  lostWith: unknown = undefined;
  lostCount = 0;
  keepOpenOnEof = false;
  readonly made: Future<void>;
  readonly eof: Future<void>;
  readonly lost: Future<void>;
  #wanted = 0;
  #dataWaiter: Future<void> | null = null;

  constructor(loop: BaseEventLoop) {
    super();
    this.made = loop.createFuture<void>();
    this.eof = loop.createFuture<void>();
    this.lost = loop.createFuture<void>();
  }

  override connectionMade(transport: BaseTransport): void {
    this.events.push("made");
    this.transport = transport as Transport;
    this.made.setResult(undefined);
  }

  override dataReceived(data: Uint8Array): void {
    if (this.events.at(-1) !== "data") this.events.push("data");
    this.chunks.push(data.slice());
    if (this.#dataWaiter !== null && this.received >= this.#wanted) {
      this.#dataWaiter.setResult(undefined);
      this.#dataWaiter = null;
    }
  }

  override eofReceived(): boolean {
    this.events.push("eof");
    this.eof.setResult(undefined);
    return this.keepOpenOnEof;
  }

  override connectionLost(err: unknown): void {
    this.events.push("lost");
    this.lostCount++;
    this.lostWith = err;
    if (!this.lost.done()) this.lost.setResult(undefined);
  }

  /** Bytes received so far. */
  get received(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }

  /** The received bytes as text. */
  text(): string {
    return this.chunks.map((c) => new TextDecoder().decode(c)).join("");
  }

  /** Resolves once at least `n` bytes were received. */
  async waitFor(n: number, loop: BaseEventLoop): Promise<void> {
    if (this.received >= n) return;
    this.#wanted = n;
    this.#dataWaiter = loop.createFuture<void>();
    await this.#dataWaiter;
  }
}

/** A protocol that writes back what it receives. */
export class Echo extends Recorder {
  override dataReceived(data: Uint8Array): void {
    super.dataReceived(data);
    this.transport!.write(data);
  }
}

/** `[host, port]` of a server's first socket (a TCP server). */
export function addressOf(
  server: { sockets: readonly { getsockname(): [string, number] | string }[] },
): [string, number] {
  return server.sockets[0].getsockname() as [string, number];
}

/** UTF-8 bytes of `s`. */
export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/**
 * A TCP server on `loop` (on loopback unless `host` says otherwise) whose connections each get a
 * `Recorder`, listed in `served` in the order the connections came.
 */
export async function recordingServer(
  loop: ProactorEventLoop | SelectorEventLoop,
  options?: CreateServerOptions,
  host: string | null = "127.0.0.1",
): Promise<{ server: Server; served: Recorder[] }> {
  const served: Recorder[] = [];
  const server = await loop.createServer(
    () => {
      const p = new Recorder(loop);
      served.push(p);
      return p;
    },
    host,
    0,
    options,
  );
  return { server, served };
}
