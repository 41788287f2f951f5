/**
 * The one logger of the library (Python's `asyncio.log.logger`): the console
 * by default, replaceable with {@linkcode setLogger}.
 *
 * @module
 */

/** What the library logs through. `console` satisfies it. */
export interface Logger {
  /** Errors nobody could receive (the default exception handler). */
  error(message: string, ...details: unknown[]): void;
  /** Warnings, such as slow callbacks in debug mode. */
  warn(message: string, ...details: unknown[]): void;
  /** Debug-mode notes. */
  debug(message: string, ...details: unknown[]): void;
}

/** The current logger; read it at the point of use (it can be replaced). */
export let logger: Logger = console;

/**
 * Replaces the library's logger; returns the previous one.
 *
 * @example Capture the loop's error reports
 * ```ts
 * import { setLogger, type Logger } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * const capture: Logger = {
 *   error: (m) => lines.push(m),
 *   warn: (m) => lines.push(m),
 *   debug: (m) => lines.push(m),
 * };
 * const previous = setLogger(capture);
 * setLogger(previous);
 * assert.deepEqual(lines, []);
 * ```
 */
export function setLogger(next: Logger): Logger {
  if (next === null || typeof next !== "object" || typeof next.error !== "function") {
    throw new TypeError(
      "Cannot set logger as 'next' must be an object with error, warn and debug methods",
    );
  }
  const previous = logger;
  logger = next;
  return previous;
}
