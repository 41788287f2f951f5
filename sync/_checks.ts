/**
 * Argument checks shared by the primitives of `sync/`, with messages in the
 * project's format.
 *
 * @module
 */

/** How a received value is named in a message: its value for primitives, else its type. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  return typeof value;
}

/** The TypeError for a `withLock` body that is not a function. */
export function fnTypeError(what: string, fn: unknown): TypeError {
  return new TypeError(
    `Cannot run with ${what} held as 'fn' must be a function: received ${describe(fn)}`,
  );
}

/**
 * Checks a count argument: a number (TypeError otherwise) that is an integer
 * of at least `min` (RangeError otherwise). `Infinity` passes when allowed.
 */
export function checkCount(
  action: string,
  name: string,
  value: unknown,
  min: number,
  allowInfinity = false,
): number {
  const integer = min === 0
    ? "a non-negative integer"
    : min === 1
    ? "a positive integer"
    : `an integer >= ${min}`;
  const expected = allowInfinity ? `${integer} or Infinity` : integer;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot ${action} as '${name}' must be ${expected}: received ${describe(value)}`,
    );
  }
  if (!(Number.isInteger(value) && value >= min) && !(allowInfinity && value === Infinity)) {
    throw new RangeError(`Cannot ${action} as '${name}' must be ${expected}: received ${value}`);
  }
  return value;
}
