/**
 * The asyncio exceptions: exported from every entry point, named, and
 * catchable with `instanceof`.
 */
import assert from "node:assert/strict";
import * as root from "../../mod.ts";
import * as loopModule from "../../loop/mod.ts";
import {
  CancelledError,
  ExceptionGroup,
  InvalidStateError,
  NotImplementedError,
  RuntimeError,
  TimeoutError,
} from "../../mod.ts";

const CLASSES = [
  ["CancelledError", CancelledError],
  ["InvalidStateError", InvalidStateError],
  ["TimeoutError", TimeoutError],
  ["NotImplementedError", NotImplementedError],
  ["RuntimeError", RuntimeError],
] as const;

for (const [name, Cls] of CLASSES) {
  Deno.test(`${name} is an Error with its name, message and cause`, () => {
    const cause = new Error("root cause");
    const err = new Cls("what happened", { cause });
    assert.ok(err instanceof Error);
    assert.ok(err instanceof Cls);
    assert.equal(err.name, name);
    assert.equal(err.message, "what happened");
    assert.equal(err.cause, cause);
    assert.equal(String(err), `${name}: what happened`);
    assert.match(err.stack ?? "", /exceptions_test\.ts/);
  });

  Deno.test(`${name} is exported from @aio/asyncio and @aio/asyncio/loop`, () => {
    assert.equal((root as Record<string, unknown>)[name], Cls);
    assert.equal((loopModule as Record<string, unknown>)[name], Cls);
  });
}

Deno.test("CancelledError and TimeoutError have an empty message by default", () => {
  assert.equal(new CancelledError().message, "");
  assert.equal(new TimeoutError().message, "");
});

Deno.test("The asyncio errors are distinct classes", () => {
  const errors = CLASSES.map(([, Cls]) => new Cls("x"));
  for (const [i, [, Cls]] of CLASSES.entries()) {
    assert.deepEqual(errors.map((e) => e instanceof Cls), errors.map((_, j) => i === j));
  }
  // Not the host's own classes.
  assert.ok(!(new TimeoutError() instanceof DOMException));
});

Deno.test("ExceptionGroup holds its errors and refuses an empty list", () => {
  const a = new Error("a");
  const b = new TypeError("b");
  const group = new ExceptionGroup("two failures", [a, b]);
  assert.ok(group instanceof AggregateError);
  assert.equal(group.name, "ExceptionGroup");
  assert.equal(group.message, "two failures");
  assert.deepEqual(group.exceptions, [a, b]);
  assert.deepEqual(group.errors, [a, b]);
  assert.throws(() => new ExceptionGroup("none", []), TypeError);
});
