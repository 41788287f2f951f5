/**
 * The error of a stream whose connection is gone.
 *
 * @module
 */

/**
 * A fresh "connection lost" error: Deno's `ConnectionReset` (Python's
 * `ConnectionResetError`), or a plain `Error` of that name where `Deno` is
 * not available.
 */
export function connectionLostError(): Error {
  const Reset = (globalThis as { Deno?: typeof Deno }).Deno?.errors?.ConnectionReset;
  if (Reset !== undefined) return new Reset("Connection lost");
  const err = new Error("Connection lost");
  err.name = "ConnectionResetError";
  return err;
}
