/**
 * The layering check of the test gate (`deno run --allow-read tools/check_layers.ts`).
 *
 * Every library module belongs to a layer (`RULES` below, the single source of truth; the reasons
 * are in `docs/architecture.md`, "Layers"). A module may import values only from its own layer or
 * lower ones. The check reads every `.ts` file of the library, finds its `import … from`,
 * `export … from`, side-effect `import "…"` and dynamic `import("…")` of relative paths, and
 * reports:
 *
 * - a value import of a higher layer, as `path:line: imports higher layer N module other/path
 *   (layer M)`, where N is the imported module's layer and M the importing module's own;
 * - a module that no rule matches ("unclassified module"), so that new files get a layer;
 * - an import cycle among value imports;
 * - a `_`-prefixed (private) module imported from another folder, and a private module listed in
 *   the `exports` of `deno.json`;
 * - an import of a module outside the library (`tests/`, `tools/`, …) or of a missing module.
 *
 * Type-only imports (`import type`, `export type`, and `import { type A, type B }` where every
 * name is a type) are exempt from the layer and cycle rules: they are erased at compile time and
 * create no load-time dependency. The private-file rule applies to them too. Files outside the
 * library (tests, examples, benchmarks, tools) are not checked: they may import anything,
 * private helpers included, so that tests can test them.
 *
 * It prints `layers ok (K modules)` and exits 0, or prints each violation and exits 1. The
 * functions are exported for `tests/tools/check_layers_test.ts`.
 *
 * @module
 */

/** A layer, lowest first; `"outside"` is code outside the library, which may import anything. */
export type Layer = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | "outside";

/** A classification rule: a glob-ish path pattern (`*` = within one folder, `**` = any depth). */
export type Rule = readonly [pattern: string, layer: Layer];

/** The layer table (DESIGN.md §1), as repo-relative path patterns. The first match wins. */
export const RULES: readonly Rule[] = [
  // Outside the library: may import anything, not checked.
  ["tests/**", "outside"],
  ["examples/**", "outside"],
  ["bench/**", "outside"],
  ["tools/**", "outside"],
  ["docs/**", "outside"],
  // 8: the root module re-exports everything.
  ["mod.ts", 8],
  // 7: each folder's `mod.ts` only re-exports, for users; no library module below layer 7 may
  // import one (import the concrete module instead), which keeps load-time graphs small.
  ["**/mod.ts", 7],
  // 1: errors and the loop's interfaces, plus private pure data structures.
  ["loop/exceptions.ts", 1],
  ["loop/context.ts", 1],
  ["loop/current.ts", 1],
  ["loop/handle.ts", 1],
  ["loop/abstract_event_loop.ts", 1],
  ["loop/logger.ts", 1],
  ["loop/_deque.ts", 1],
  ["loop/_timer_heap.ts", 1],
  // 2: Future, Task and composition.
  ["tasks/**", 2],
  // 3: the platform-free base loop and its private helpers.
  ["loop/base_event_loop.ts", 3],
  ["loop/clock.ts", 3],
  ["loop/io_driver.ts", 3],
  ["loop/_*.ts", 3],
  // 4: synchronization and queues.
  ["sync/**", 4],
  ["queues/**", 4],
  // 5: transports and protocols.
  ["transports/**", 5],
  // 6: concrete loops, runners, policies, executor, signals, the test loop.
  ["loop/*.ts", 6],
  ["testing/**", 6],
  // 7: streams and subprocesses.
  ["streams/**", 7],
  ["subprocess/**", 7],
];

/** One import or re-export of a module. */
export interface ImportRef {
  /** The specifier as written, e.g. `"./handle.ts"`. */
  specifier: string;
  /** The 1-based line of the `import` or `export` keyword. */
  line: number;
  /** True when the import is erased at compile time. */
  typeOnly: boolean;
}

/** A rule violation, printed as `path:line: message`. */
export interface Violation {
  /** The repo-relative path of the offending file. */
  path: string;
  /** The 1-based line, or 0 when the violation concerns the whole file. */
  line: number;
  /** What is wrong. */
  message: string;
}

const ruleCache = new Map<string, RegExp>();

function globToRegExp(pattern: string): RegExp {
  let cached = ruleCache.get(pattern);
  if (cached === undefined) {
    const body = pattern.split(/(\*\*\/|\*\*|\*)/).map((part: string): string => {
      if (part === "**/") return "(?:.*/)?";
      if (part === "**") return ".*";
      if (part === "*") return "[^/]*";
      return part.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
    }).join("");
    cached = new RegExp(`^${body}$`);
    ruleCache.set(pattern, cached);
  }
  return cached;
}

/**
 * Returns the layer of a repo-relative path (`loop/handle.ts`), or `undefined` when no rule
 * matches.
 */
export function classify(path: string, rules: readonly Rule[] = RULES): Layer | undefined {
  for (const [pattern, layer] of rules) {
    if (globToRegExp(pattern).test(path)) return layer;
  }
  return undefined;
}

const REGEX_PRECEDERS = new Set("(,=:[!&|?{};+-*%<>~^".split(""));
const REGEX_KEYWORDS = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "yield",
  "await",
]);

/**
 * Blanks out comments and the contents of string, template and regular-expression literals
 * (keeping quotes, newlines and every offset), so that text inside them is never taken for an
 * import. Regular expressions are recognised by the usual heuristic (what precedes the `/`).
 */
export function maskSource(source: string): string {
  const out: string[] = source.split("");
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  // `{` opened in code, or `${` opened in a template literal.
  const braces: ("{" | "${")[] = [];
  let lastChar = "";
  let lastWord = "";
  let i = 0;
  // Scans a template literal from just after its backtick (or after the `}` ending a
  // substitution) to the closing backtick or the next `${`.
  const template = (): void => {
    const start = i;
    while (i < source.length && source[i] !== "`") {
      if (source[i] === "\\") i += 2;
      else if (source[i] === "$" && source[i + 1] === "{") {
        blank(start, i);
        braces.push("${");
        i += 2;
        lastChar = "{";
        return;
      } else i++;
    }
    blank(start, i);
    i++;
    lastChar = "`";
    lastWord = "";
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== c && source[j] !== "\n") {
        j += source[j] === "\\" ? 2 : 1;
      }
      blank(i + 1, j);
      i = j + 1;
      lastChar = c;
      lastWord = "";
    } else if (c === "`") {
      i++;
      template();
    } else if (
      c === "/" &&
      (lastChar === "" || REGEX_PRECEDERS.has(lastChar) || REGEX_KEYWORDS.has(lastWord))
    ) {
      let j = i + 1;
      let inClass = false;
      while (j < source.length && source[j] !== "\n" && (inClass || source[j] !== "/")) {
        if (source[j] === "\\") j++;
        else if (source[j] === "[") inClass = true;
        else if (source[j] === "]") inClass = false;
        j++;
      }
      blank(i + 1, j);
      i = j + 1;
      lastChar = "/";
      lastWord = "";
    } else if (/[\w$]/.test(c)) {
      let j = i;
      while (j < source.length && /[\w$]/.test(source[j])) j++;
      lastWord = source.slice(i, j);
      lastChar = source[j - 1];
      i = j;
    } else {
      if (c === "{") braces.push("{");
      if (c === "}" && braces.pop() === "${") {
        i++;
        template();
        continue;
      }
      if (!/\s/.test(c)) {
        lastChar = c;
        lastWord = "";
      }
      i++;
    }
  }
  return out.join("");
}

// `import|export [type] <clause> from "…"`; the clause holds names, braces, commas and `*` only.
const FROM_RE =
  /(?<![\w$.])(import|export)\s+(type\s+)?((?:(?!\b(?:import|export)\b)[\w$\s{},*])*?)\s*(?<![\w$])from\s*(["'])[^"'\n]*\4/g;
// `import "…"` (side effect only).
const BARE_RE = /(?<![\w$.])import\s*(["'])[^"'\n]*\1/g;
// `import("…")`, or `typeof import("…")` in a type.
const DYNAMIC_RE = /(?<![\w$.])import\s*\(\s*(["'])[^"'\n]*\1/g;

function isTypeOnlyClause(typeKeyword: boolean, clause: string): boolean {
  if (typeKeyword) return true;
  const named = /^\{([^}]*)\}$/.exec(clause.trim());
  if (named === null) return false;
  const names = named[1].split(",").map((n: string): string => n.trim()).filter(Boolean);
  return names.length > 0 && names.every((n: string): boolean => /^type\s/.test(n));
}

/** Finds the imports and re-exports of a TypeScript source, with line numbers. */
export function parseImports(source: string): ImportRef[] {
  const masked = maskSource(source);
  const lineAt = (index: number): number => masked.slice(0, index).split("\n").length;
  // The specifier is read from the original text at the position of the masked literal.
  const specifierOf = (match: RegExpExecArray): string => {
    const end = match.index + match[0].length - 1;
    const start = masked.lastIndexOf(masked[end], end - 1);
    return source.slice(start + 1, end);
  };
  const refs: ImportRef[] = [];
  for (const m of masked.matchAll(FROM_RE)) {
    refs.push({
      specifier: specifierOf(m),
      line: lineAt(m.index),
      typeOnly: isTypeOnlyClause(m[2] !== undefined, m[3]),
    });
  }
  for (const m of masked.matchAll(BARE_RE)) {
    refs.push({ specifier: specifierOf(m), line: lineAt(m.index), typeOnly: false });
  }
  for (const m of masked.matchAll(DYNAMIC_RE)) {
    const typeOnly = /\btypeof\s*$/.test(masked.slice(0, m.index));
    refs.push({ specifier: specifierOf(m), line: lineAt(m.index), typeOnly });
  }
  return refs.sort((a: ImportRef, b: ImportRef): number => a.line - b.line);
}

function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Resolves a relative specifier against the importing file, both repo-relative. Returns
 * `undefined` for a non-relative specifier (`node:`, `npm:`, `jsr:`, a bare name) and a path
 * starting with `../` when it leaves the repository.
 */
export function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return undefined;
  const parts: string[] = dirname(from) === "" ? [] : dirname(from).split("/");
  for (const segment of specifier.split("/")) {
    if (segment === "..") {
      if (parts.length === 0 || parts[parts.length - 1] === "..") parts.push("..");
      else parts.pop();
    } else if (segment !== "." && segment !== "") parts.push(segment);
  }
  return parts.join("/");
}

interface Edge {
  to: string;
  line: number;
}

/**
 * Checks the library modules, given as a map from repo-relative path to source text, and the
 * `exports` of `deno.json`. Returns the violations sorted by path and line.
 */
export function checkLayers(
  files: ReadonlyMap<string, string>,
  exports: Readonly<Record<string, string>> = {},
  rules: readonly Rule[] = RULES,
): Violation[] {
  const violations: Violation[] = [];
  const graph = new Map<string, Edge[]>();
  for (const [path, source] of files) {
    const layer = classify(path, rules);
    if (layer === undefined) {
      violations.push({
        path,
        line: 0,
        message: "unclassified module: add a rule for it to RULES in tools/check_layers.ts",
      });
    }
    const edges: Edge[] = [];
    graph.set(path, edges);
    for (const ref of parseImports(source)) {
      const target = resolveSpecifier(path, ref.specifier);
      if (target === undefined) continue;
      const at = (message: string): void => {
        violations.push({ path, line: ref.line, message });
      };
      if (target.startsWith("../")) {
        at(`imports ${ref.specifier}, which is outside the repository`);
        continue;
      }
      if (!target.endsWith(".ts")) continue;
      if (basename(target).startsWith("_") && dirname(target) !== dirname(path)) {
        at(`imports private module ${target} from another folder`);
      }
      if (ref.typeOnly) continue;
      const targetLayer = classify(target, rules);
      if (targetLayer === "outside") {
        at(`imports module ${target}, which is outside the library`);
      } else if (!files.has(target)) {
        at(`imports missing module ${target}`);
      } else {
        edges.push({ to: target, line: ref.line });
        if (
          typeof layer === "number" && typeof targetLayer === "number" && targetLayer > layer
        ) {
          at(`imports higher layer ${targetLayer} module ${target} (layer ${layer})`);
        }
      }
    }
  }
  violations.push(...findCycles(graph));
  for (const [key, target] of Object.entries(exports)) {
    const path = resolveSpecifier("deno.json", target) ?? target;
    if (path.split("/").some((segment: string): boolean => segment.startsWith("_"))) {
      violations.push({
        path: "deno.json",
        line: 0,
        message: `export "${key}" is the private module ${path}`,
      });
    }
  }
  return violations.sort((a: Violation, b: Violation): number =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line
  );
}

/** Reports one cycle per strongly connected component of the value-import graph (Tarjan). */
function findCycles(graph: ReadonlyMap<string, readonly Edge[]>): Violation[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const { to } of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component);
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);

  const violations: Violation[] = [];
  for (const component of components) {
    const members = new Set(component);
    const start = component.sort()[0];
    const selfEdge = graph.get(start)!.find((e: Edge): boolean => e.to === start);
    if (members.size === 1 && selfEdge === undefined) continue;
    // Shortest path from `start` back to itself inside the component (breadth first).
    const previous = new Map<string, string>();
    const queue: string[] = [start];
    while (queue.length > 0 && !previous.has(start)) {
      const node = queue.shift()!;
      for (const { to } of graph.get(node)!) {
        if (members.has(to) && !previous.has(to)) {
          previous.set(to, node);
          queue.push(to);
        }
      }
    }
    const cycle: string[] = [start];
    for (let node = previous.get(start)!; node !== start; node = previous.get(node)!) {
      cycle.unshift(node);
    }
    cycle.unshift(start);
    const first = graph.get(start)!.find((e: Edge): boolean => e.to === cycle[1])!;
    violations.push({
      path: start,
      line: first.line,
      message: `import cycle: ${cycle.join(" -> ")}`,
    });
  }
  return violations;
}

/** Lists the repo-relative paths of the `.ts` files under `root`, skipping dot folders. */
export async function listTsFiles(root: string, dir = ""): Promise<string[]> {
  const paths: string[] = [];
  for await (const entry of Deno.readDir(dir === "" ? root : `${root}/${dir}`)) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory && !entry.name.startsWith(".") && entry.name !== "node_modules") {
      paths.push(...await listTsFiles(root, path));
    } else if (entry.isFile && entry.name.endsWith(".ts")) {
      paths.push(path);
    }
  }
  return paths.sort();
}

/** Lists the library's modules: the `.ts` files of the repo that are not outside the library. */
export async function listLibraryModules(root: string): Promise<string[]> {
  return (await listTsFiles(root)).filter((path: string): boolean => classify(path) !== "outside");
}

function formatViolation(v: Violation): string {
  return v.line > 0 ? `${v.path}:${v.line}: ${v.message}` : `${v.path}: ${v.message}`;
}

async function main(): Promise<number> {
  const root = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
  const files = new Map<string, string>();
  for (const path of await listLibraryModules(root)) {
    files.set(path, await Deno.readTextFile(`${root}/${path}`));
  }
  const config: { exports?: string | Record<string, string> } = JSON.parse(
    await Deno.readTextFile(`${root}/deno.json`),
  );
  const exports: Record<string, string> = typeof config.exports === "string"
    ? { ".": config.exports }
    : config.exports ?? {};
  const violations = checkLayers(files, exports);
  for (const v of violations) console.log(formatViolation(v));
  if (violations.length > 0) {
    console.log(`layers FAILED (${violations.length} violations in ${files.size} modules)`);
    return 1;
  }
  console.log(`layers ok (${files.size} modules)`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
