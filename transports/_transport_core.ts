/**
 * What the two loops' stream transports share (`ProactorStreamTransport`,
 * `SelectorSocketTransport`): the water marks and `pauseWriting`/
 * `resumeWriting`, the checks of `write()`, and calling the protocol's
 * `connectionMade`/`connectionLost` with asyncio's error handling. Python
 * shares these through `_FlowControlMixin` and `_SelectorTransport`; here by
 * composition.
 *
 * @module
 */
import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";
import { logger } from "../loop/logger.ts";
import type { Future } from "../tasks/future.ts";
import type { BaseTransport } from "./base_transport.ts";
import type { WriteBufferLimits } from "./write_transport.ts";

const DEFAULT_HIGH = 64 * 1024;
// asyncio's threshold for warning about writes to a lost connection.
const LOG_THRESHOLD_FOR_CONNLOST_WRITES = 5;

/** The write buffer's water marks and the protocol's paused state (`_FlowControlMixin`). */
export class WaterMarks {
  #high = DEFAULT_HIGH;
  #low = DEFAULT_HIGH / 4;
  #paused = false;
  readonly #loop: AbstractEventLoop;
  readonly #transport: BaseTransport;

  constructor(loop: AbstractEventLoop, transport: BaseTransport) {
    this.#loop = loop;
    this.#transport = transport;
  }

  /**
   * Sets the marks: `high` defaults to 64 KiB (or 4 × `low`), `low` to `high / 4`.
   *
   * @throws {RangeError} Unless `high >= low >= 0`.
   */
  set(limits: WriteBufferLimits | undefined): void {
    let high = limits?.high;
    let low = limits?.low;
    if (high === undefined) high = low === undefined ? DEFAULT_HIGH : 4 * low;
    if (low === undefined) low = Math.floor(high / 4);
    if (!(high >= low && low >= 0)) {
      throw new RangeError(
        `Cannot set write buffer limits as 'high' (${high}) must be >= 'low' (${low}) must be >= 0`,
      );
    }
    this.#high = high;
    this.#low = low;
  }

  /** `[low, high]`. */
  get(): [low: number, high: number] {
    return [this.#low, this.#high];
  }

  /** Calls `pauseWriting()` once `size` is above the high-water mark. */
  maybePause(size: number): void {
    if (size <= this.#high || this.#paused) return;
    this.#paused = true;
    this.#call("pauseWriting");
  }

  /** Calls `resumeWriting()` once `size` drained to the low-water mark. */
  maybeResume(size: number): void {
    if (!this.#paused || size > this.#low) return;
    this.#paused = false;
    this.#call("resumeWriting");
  }

  #call(method: "pauseWriting" | "resumeWriting"): void {
    const protocol = this.#transport.getProtocol();
    try {
      protocol[method]();
    } catch (err) {
      this.#loop.callExceptionHandler({
        message: `protocol.${method}() failed`,
        exception: err,
        transport: this.#transport,
        protocol,
      });
    }
  }
}

/**
 * Checks `write()`'s argument.
 *
 * @throws {TypeError} `data` is not a `Uint8Array`.
 */
export function checkWriteData(data: unknown): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot write as 'data' must be a Uint8Array: received ${
        data === null ? "null" : typeof data
      }`,
    );
  }
}

/** A write after the connection was lost is ignored; from the fifth on, with a warning. */
export function ignoreLostWrite(lostWrites: number): void {
  if (lostWrites >= LOG_THRESHOLD_FOR_CONNLOST_WRITES) {
    logger.warn("Cannot write: the connection is lost (socket.send() raised exception)");
  }
}

/**
 * Calls `connectionMade`; if it throws, the error goes to the waiter (so
 * `createConnection` fails) or else to the exception handler, and `fail`
 * runs with it. Whether it succeeded.
 */
export function callConnectionMade(
  loop: AbstractEventLoop,
  transport: BaseTransport,
  waiter: Future<void> | undefined,
  fail: (err: unknown) => void,
): boolean {
  try {
    transport.getProtocol().connectionMade(transport);
    return true;
  } catch (err) {
    if (waiter !== undefined && !waiter.done()) waiter.setException(err);
    else loop.callExceptionHandler({ message: "Error in connectionMade()", exception: err });
    fail(err);
    return false;
  }
}

/** Resolves the waiter of `createConnection`, unless it is done (cancelled). */
export function settleWaiter(waiter: Future<void> | undefined): void {
  if (waiter !== undefined && !waiter.done()) waiter.setResult(undefined);
}

/** Calls `connectionLost(err)`, reporting an error it throws to the exception handler. */
export function callConnectionLost(
  loop: AbstractEventLoop,
  transport: BaseTransport,
  err: unknown,
): void {
  const protocol = transport.getProtocol();
  try {
    protocol.connectionLost(err);
  } catch (error) {
    loop.callExceptionHandler({
      message: "Error in connectionLost()",
      exception: error,
      transport,
      protocol,
    });
  }
}

/**
 * Reports a fatal transport error to the exception handler, except a
 * connection error of the peer's making (reset, broken pipe) outside debug
 * mode, as asyncio.
 */
export function reportFatalError(
  loop: AbstractEventLoop,
  transport: BaseTransport,
  err: unknown,
  message: string,
): void {
  if (isConnectionError(err) && !loop.getDebug()) return;
  loop.callExceptionHandler({
    message,
    exception: err,
    transport,
    protocol: transport.getProtocol(),
  });
}

/** Whether `err` is a connection error of the peer's making (reset, broken pipe, ...). */
export function isConnectionError(err: unknown): boolean {
  const errors = (globalThis as { Deno?: typeof Deno }).Deno?.errors;
  if (errors === undefined) return false;
  return err instanceof errors.ConnectionReset || err instanceof errors.ConnectionAborted ||
    err instanceof errors.BrokenPipe || err instanceof errors.NotConnected ||
    err instanceof errors.UnexpectedEof;
}
