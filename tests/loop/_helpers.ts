/**
 * Shared helpers of the loop tests: the families of loops the generic tests
 * run over, a capturing logger and an exception-handler recorder.
 *
 * @module
 */
import {
  type AbstractEventLoop,
  type BaseEventLoop,
  type ExceptionContext,
  type Logger,
  ProactorEventLoop,
  SelectorEventLoop,
  setLogger,
} from "../../loop/mod.ts";
import { TestLoop, VirtualClock } from "../../testing/mod.ts";

/** Makes a fresh, not yet running loop. */
export type LoopMaker = () => BaseEventLoop;

/**
 * Every concrete loop on a virtual clock: the generic tests run over this
 * family, so both I/O models pass the same scheduler tests without waiting
 * for real time.
 */
export const LOOPS: ReadonlyArray<readonly [string, LoopMaker]> = [
  ["SelectorEventLoop", () => new SelectorEventLoop({ clock: new VirtualClock() })],
  ["ProactorEventLoop", () => new ProactorEventLoop({ clock: new VirtualClock() })],
  ["TestLoop", () => new TestLoop()],
];

/** The concrete loops on their real clocks, for the few tests about the host. */
export const REAL_LOOPS: ReadonlyArray<readonly [string, LoopMaker]> = [
  ["SelectorEventLoop", () => new SelectorEventLoop()],
  ["ProactorEventLoop", () => new ProactorEventLoop()],
];

/** One logged line: the level, the message and its details. */
export interface LogEntry {
  level: "error" | "warn" | "debug";
  message: string;
  details: unknown[];
}

/**
 * Replaces the library's logger with one that records every line, until
 * disposed (`using log = captureLog()`).
 */
export function captureLog(): LogEntry[] & Disposable {
  const entries = [] as unknown as LogEntry[] & Disposable;
  const logger: Logger = {
    error: (message, ...details) => entries.push({ level: "error", message, details }),
    warn: (message, ...details) => entries.push({ level: "warn", message, details }),
    debug: (message, ...details) => entries.push({ level: "debug", message, details }),
  };
  const previous = setLogger(logger);
  entries[Symbol.dispose] = () => {
    setLogger(previous);
  };
  return entries;
}

/** Sets an exception handler on `loop` that records every context it receives. */
export function recordErrors(loop: AbstractEventLoop): ExceptionContext[] {
  const contexts: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => {
    contexts.push(context);
  });
  return contexts;
}

/**
 * Runs one iteration of `loop`: what is ready now runs, and what those
 * callbacks schedule waits (Python's `test_utils.run_briefly`, by `stop()`
 * before `runForever()`).
 */
export async function runOnce(loop: AbstractEventLoop): Promise<void> {
  loop.stop();
  await loop.runForever();
}

/** Runs `fn` with a fresh loop from `make`, and closes the loop afterwards. */
export async function withLoop<L extends BaseEventLoop, T>(
  make: () => L,
  fn: (loop: L) => Promise<T> | T,
): Promise<T> {
  const loop = make();
  try {
    return await fn(loop);
  } finally {
    if (!loop.isRunning()) loop.close();
  }
}

/**
 * A validator for `assert.throws`/`assert.rejects`: the error is an instance
 * of `cls` and its message matches `message` (a string must be equal).
 */
export function errorLike(
  // deno-lint-ignore no-explicit-any
  cls: new (...args: any[]) => Error,
  message: RegExp | string,
): (err: unknown) => true {
  return (err: unknown): true => {
    if (!(err instanceof cls)) {
      throw new Error(`expected a ${cls.name}, got ${String(err)}`, { cause: err });
    }
    const ok = typeof message === "string" ? err.message === message : message.test(err.message);
    if (!ok) {
      throw new Error(
        `${cls.name} message ${JSON.stringify(err.message)} does not match ${message}`,
        {
          cause: err,
        },
      );
    }
    return true;
  };
}
