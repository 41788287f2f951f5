/**
 * The exceptions of asyncio, as JavaScript error classes.
 *
 * Each class sets `name`, so `err.name` and `instanceof` both work, and keeps
 * the Python name so code reads like asyncio.
 *
 * @module
 */

/**
 * The operation was cancelled. Equivalent to Python's `asyncio.CancelledError`.
 *
 * Thrown at the `await` where a cancelled task is suspended. In asyncio it is a
 * `BaseException`; here it is an `Error`, so a blanket `catch (e)` sees it too:
 * re-throw it (or check `e instanceof CancelledError`) unless you mean to swallow
 * the cancellation.
 *
 * @example Recognise a cancellation
 * ```ts
 * import { CancelledError } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const err = new CancelledError("stop now");
 * assert.ok(err instanceof CancelledError);
 * assert.equal(err.message, "stop now");
 * ```
 */
export class CancelledError extends Error {
  /** Creates the error; `message` is the cancel message, if any. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "CancelledError";
  }
}

/**
 * An operation is not allowed in the object's current state, such as setting
 * the result of a done future. Equivalent to Python's `asyncio.InvalidStateError`.
 *
 * @example
 * ```ts
 * import { InvalidStateError } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new InvalidStateError("Result is not set").name, "InvalidStateError");
 * ```
 */
export class InvalidStateError extends Error {
  /** Creates the error with a message that names the state. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "InvalidStateError";
  }
}

/**
 * A deadline passed. Equivalent to Python's `TimeoutError` (which
 * `asyncio.TimeoutError` aliases since 3.11).
 *
 * @example
 * ```ts
 * import { TimeoutError } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new TimeoutError().name, "TimeoutError");
 * ```
 */
export class TimeoutError extends Error {
  /** Creates the error. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
    this.name = "TimeoutError";
  }
}

/**
 * A method exists for asyncio compatibility but cannot work here; the message
 * says why. Equivalent to Python's `NotImplementedError`.
 *
 * @example
 * ```ts
 * import { NotImplementedError } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const err = new NotImplementedError("Cannot pass a raw socket: Deno has no file descriptors");
 * assert.equal(err.name, "NotImplementedError");
 * ```
 */
export class NotImplementedError extends Error {
  /** Creates the error; the message must give the reason. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NotImplementedError";
  }
}

/**
 * An error in the caller's use of the loop, such as running a loop that is
 * already running. Equivalent to the cases where asyncio raises Python's
 * `RuntimeError`.
 *
 * @example
 * ```ts
 * import { RuntimeError } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new RuntimeError("Event loop is closed").name, "RuntimeError");
 * ```
 */
export class RuntimeError extends Error {
  /** Creates the error with a message that names the state. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RuntimeError";
  }
}

/**
 * Raised by `loop.sendfile()` and `loop.sockSendfile()` with `fallback: false`:
 * Deno has no zero-copy `sendfile` path, so only the chunked fallback exists.
 * Equivalent to Python's `asyncio.SendfileNotAvailableError`, a
 * `RuntimeError` as there.
 *
 * @example
 * ```ts
 * import { RuntimeError, SendfileNotAvailableError } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const err = new SendfileNotAvailableError("no native sendfile");
 * assert.ok(err instanceof RuntimeError);
 * assert.equal(err.name, "SendfileNotAvailableError");
 * ```
 */
export class SendfileNotAvailableError extends RuntimeError {
  /** Creates the error with a message that names the call. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SendfileNotAvailableError";
  }
}

/**
 * Several errors raised together, as by a failing `TaskGroup`. Equivalent to
 * Python's `ExceptionGroup`; an `AggregateError`, so `errors` holds every
 * child error and `exceptions` is its Python-named alias.
 *
 * @example
 * ```ts
 * import { ExceptionGroup } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const group = new ExceptionGroup("two failures", [new Error("a"), new TypeError("b")]);
 * assert.equal(group.exceptions.length, 2);
 * assert.ok(group instanceof AggregateError);
 * ```
 */
export class ExceptionGroup extends AggregateError {
  /** Creates the group; `errors` must not be empty. */
  constructor(message: string, errors: readonly unknown[]) {
    if (errors.length === 0) {
      throw new TypeError(
        "Cannot create ExceptionGroup as 'errors' must be a non-empty array: received an empty array",
      );
    }
    super(errors, message);
    this.name = "ExceptionGroup";
  }

  /** The child errors, in the order they were raised (Python's name for `errors`). */
  get exceptions(): readonly unknown[] {
    return this.errors;
  }
}

/**
 * The stream ended before a read was satisfied. Equivalent to Python's
 * `asyncio.IncompleteReadError` (an `EOFError` there); `partial` holds the
 * bytes read before the end, and the reader's buffer no longer has them.
 *
 * @example
 * ```ts
 * import { IncompleteReadError } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const err = new IncompleteReadError(new Uint8Array([1, 2]), 4);
 * assert.equal(err.partial.length, 2);
 * assert.equal(err.expected, 4);
 * ```
 */
export class IncompleteReadError extends Error {
  /** The bytes read before the end of the stream. */
  readonly partial: Uint8Array;
  /** The number of bytes wanted, or `null` when a separator was wanted. */
  readonly expected: number | null;

  /** Creates the error from the bytes read and the number wanted (`null`: until a separator). */
  constructor(partial: Uint8Array, expected: number | null, options?: ErrorOptions) {
    super(
      `Incomplete read: the stream ended after ${partial.length} bytes of ${
        expected === null ? "an unknown number" : expected
      } expected`,
      options,
    );
    this.name = "IncompleteReadError";
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * A separator was not found within the reader's limit. Equivalent to
 * Python's `asyncio.LimitOverrunError`; `consumed` is the number of bytes to
 * skip to get past the data examined (the bytes stay in the buffer).
 *
 * @example
 * ```ts
 * import { LimitOverrunError } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const err = new LimitOverrunError("separator not found within the limit", 10);
 * assert.equal(err.consumed, 10);
 * ```
 */
export class LimitOverrunError extends Error {
  /** How many bytes to consume to get past the examined data. */
  readonly consumed: number;

  /** Creates the error with a message and the number of bytes examined. */
  constructor(message: string, consumed: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "LimitOverrunError";
    this.consumed = consumed;
  }
}
