import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  checkLayers,
  classify,
  parseImports,
  resolveSpecifier,
  type Violation,
} from "../../tools/check_layers.ts";

function check(files: Record<string, string>, exports: Record<string, string> = {}): string[] {
  return checkLayers(new Map(Object.entries(files)), exports).map((v: Violation): string =>
    `${v.path}:${v.line}: ${v.message}`
  );
}

Deno.test("classify() applies the first matching rule", () => {
  strictEqual(classify("loop/handle.ts"), 1);
  strictEqual(classify("loop/_timer_heap.ts"), 1);
  strictEqual(classify("loop/_ready_queue.ts"), 3);
  strictEqual(classify("loop/runners.ts"), 6);
  strictEqual(classify("loop/mod.ts"), 7);
  strictEqual(classify("tasks/task_group.ts"), 2);
  strictEqual(classify("mod.ts"), 8);
  strictEqual(classify("tests/loop/handle_test.ts"), "outside");
  strictEqual(classify("loop/deep/thing.ts"), undefined);
  strictEqual(classify("other.ts"), undefined);
});

Deno.test("resolveSpecifier() resolves relative paths and skips the others", () => {
  strictEqual(resolveSpecifier("tasks/task.ts", "../loop/handle.ts"), "loop/handle.ts");
  strictEqual(resolveSpecifier("tasks/task.ts", "./future.ts"), "tasks/future.ts");
  strictEqual(resolveSpecifier("mod.ts", "./loop/mod.ts"), "loop/mod.ts");
  strictEqual(resolveSpecifier("mod.ts", "../x.ts"), "../x.ts");
  strictEqual(resolveSpecifier("mod.ts", "node:assert"), undefined);
  strictEqual(resolveSpecifier("mod.ts", "npm:fast-check"), undefined);
});

Deno.test("parseImports() finds every form and ignores comments and strings", () => {
  const source = [
    'import { a, b } from "./a.ts";', // 1
    'import type { T } from "./t.ts";', // 2
    'import { type U, type V } from "./u.ts";', // 3
    'import { type W, w } from "./w.ts";', // 4
    "export {", // 5
    "  x,", // 6
    '} from "./x.ts";', // 7
    'export type * from "./types.ts";', // 8
    'export * as all from "./all.ts";', // 9
    'import "./side_effect.ts";', // 10
    'const lazy = await import("./lazy.ts");', // 11
    'type M = typeof import("./m.ts");', // 12
    '// import { no } from "./comment.ts";', // 13
    '/** import { no } from "./jsdoc.ts"; */', // 14
    "const s = \"import { no } from './string.ts'\";", // 15
    'const t = `import("./template.ts") ${import("./in_template.ts")}`;', // 16
    'const r = /import "x"/;', // 17
    'import * as fc from "npm:fast-check";', // 18
  ].join("\n");
  deepStrictEqual(
    parseImports(source).map((r) => [r.line, r.specifier, r.typeOnly]),
    [
      [1, "./a.ts", false],
      [2, "./t.ts", true],
      [3, "./u.ts", true],
      [4, "./w.ts", false],
      [5, "./x.ts", false],
      [8, "./types.ts", true],
      [9, "./all.ts", false],
      [10, "./side_effect.ts", false],
      [11, "./lazy.ts", false],
      [12, "./m.ts", true],
      [16, "./in_template.ts", false],
      [18, "npm:fast-check", false],
    ],
  );
});

Deno.test("checkLayers() reports a value import of a higher layer", () => {
  deepStrictEqual(
    check({
      "loop/handle.ts": 'import { Task } from "../tasks/task.ts";\n',
      "tasks/task.ts": 'import { Handle } from "../loop/handle.ts";\n',
    }),
    [
      "loop/handle.ts:1: imports higher layer 2 module tasks/task.ts (layer 1)",
      "loop/handle.ts:1: import cycle: loop/handle.ts -> tasks/task.ts -> loop/handle.ts",
    ],
  );
});

Deno.test("checkLayers() allows a type-only import of a higher layer", () => {
  deepStrictEqual(
    check({
      "loop/abstract_event_loop.ts": [
        'import type { Task } from "../tasks/task.ts";',
        'import { type Transport } from "../transports/transport.ts";',
      ].join("\n"),
      "tasks/task.ts": 'import type { AbstractEventLoop } from "../loop/abstract_event_loop.ts";',
      "transports/transport.ts": "export interface Transport {}",
    }),
    [],
  );
});

Deno.test("checkLayers() reports an unclassified module", () => {
  deepStrictEqual(check({ "loop/sub/thing.ts": "export const x = 1;" }), [
    "loop/sub/thing.ts:0: unclassified module: add a rule for it to RULES in tools/check_layers.ts",
  ]);
});

Deno.test("checkLayers() reports a private module imported from another folder", () => {
  deepStrictEqual(
    check({
      "loop/_deque.ts": "export class Deque {}",
      "loop/base_event_loop.ts": 'import { Deque } from "./_deque.ts";',
      "sync/lock.ts": 'import type { Deque } from "../loop/_deque.ts";',
    }),
    ["sync/lock.ts:1: imports private module loop/_deque.ts from another folder"],
  );
});

Deno.test("checkLayers() reports a private module in the exports", () => {
  deepStrictEqual(check({ "loop/_deque.ts": "" }, { "./deque": "./loop/_deque.ts" }), [
    'deno.json:0: export "./deque" is the private module loop/_deque.ts',
  ]);
});

Deno.test("checkLayers() reports imports of missing modules and of tests", () => {
  deepStrictEqual(
    check({ "sync/lock.ts": 'import "./gone.ts";\nimport { h } from "../tests/helper.ts";' }),
    [
      "sync/lock.ts:1: imports missing module sync/gone.ts",
      "sync/lock.ts:2: imports module tests/helper.ts, which is outside the library",
    ],
  );
});

Deno.test("checkLayers() reports a cycle within one layer", () => {
  deepStrictEqual(
    check({
      "sync/a.ts": 'import "./b.ts";',
      "sync/b.ts": 'import "./c.ts";',
      "sync/c.ts": 'import "./a.ts";',
      "sync/d.ts": 'import "./a.ts";',
    }),
    ["sync/a.ts:1: import cycle: sync/a.ts -> sync/b.ts -> sync/c.ts -> sync/a.ts"],
  );
});
