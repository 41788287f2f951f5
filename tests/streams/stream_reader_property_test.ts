/**
 * Property test: whatever the chunking (copied or kept as views) and the
 * sequence of reads, a StreamReader returns the bytes a plain array model
 * returns, and nothing it returned changes afterwards (the zero-copy paths
 * never hand out bytes that a later feed overwrites).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { StreamReader } from "../../streams/mod.ts";
import { inLoop } from "../sync/_helpers.ts";

type Op =
  | { kind: "feed"; bytes: number[]; stable: boolean }
  | { kind: "read"; n: number }
  | { kind: "exactly"; n: number }
  | { kind: "until"; sep: number[] };

// A small alphabet so separators occur often.
const byte = fc.integer({ min: 0, max: 3 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("feed" as const),
    bytes: fc.array(byte, { minLength: 1, maxLength: 40 }),
    stable: fc.boolean(),
  }),
  fc.record({ kind: fc.constant("read" as const), n: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ kind: fc.constant("exactly" as const), n: fc.integer({ min: 0, max: 50 }) }),
  fc.record({
    kind: fc.constant("until" as const),
    sep: fc.array(byte, { minLength: 1, maxLength: 3 }),
  }),
);

function find(model: number[], sep: number[]): number {
  for (let i = 0; i + sep.length <= model.length; i++) {
    if (sep.every((b, j) => model[i + j] === b)) return i;
  }
  return -1;
}

Deno.test("StreamReader: any chunking and read sequence matches a plain array model", () =>
  inLoop(async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const reader = new StreamReader({ limit: 1 << 20 });
        const model: number[] = [];
        const results: Array<[Uint8Array, number[]]> = [];
        for (const o of ops) {
          if (o.kind === "feed") {
            const data = new Uint8Array(o.bytes);
            if (o.stable) reader.feedStableData(data);
            else {
              reader.feedData(data);
              data.fill(9); // the caller reuses its buffer
            }
            model.push(...o.bytes);
          } else if (o.kind === "read" && model.length > 0) {
            results.push([await reader.read(o.n), model.splice(0, o.n)]);
          } else if (o.kind === "exactly" && model.length >= o.n) {
            results.push([await reader.readexactly(o.n), model.splice(0, o.n)]);
          } else if (o.kind === "until") {
            const at = find(model, o.sep);
            if (at === -1) continue;
            results.push([
              await reader.readuntil(new Uint8Array(o.sep)),
              model.splice(0, at + o.sep.length),
            ]);
          }
          assert.equal(reader.buffered, model.length);
        }
        reader.feedEof();
        results.push([await reader.read(), model.splice(0)]);
        for (const [got, want] of results) assert.deepEqual([...got], want);
        assert.ok(reader.atEof());
      }),
      { numRuns: 300 },
    );
  }));
