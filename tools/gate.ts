/**
 * The whole test gate, run by `deno task test` (DESIGN.md §9).
 *
 * Runs each step as a child process of the running deno binary, with `NO_COLOR=1`, streaming its
 * output, and goes on after a failing step so that one run reports everything:
 *
 * 1. `deno fmt --check`, `deno lint`, `deno check .`
 * 2. `deno test --doc --junit-path=…`, once per permission group of `TEST_GROUPS`, each also
 *    running the doc tests of its library folders (`docs`): the I/O layers' with the I/O
 *    permissions, every other module's with none; the I/O suites run twice, with `-A` (the
 *    selector loop on epoll through FFI) and without `--allow-ffi` (on Deno's own I/O)
 * 3. `deno doc --lint` on every entry point of `deno.json` `"exports"`
 * 4. `deno publish --dry-run --allow-dirty`
 * 5. the layering check, `tools/check_layers.ts`
 *
 * Then it prints a table of the steps and, as its very last line, `N passed, N failed` (plus
 * `, N skipped` when tests were skipped). Test cases are counted from the JUnit reports; every
 * other step counts as one. A test step that fails without a failed test case in its report
 * (a type error, an uncaught error at module level, no report) counts as one failure. The exit
 * code is 1 when anything failed.
 *
 * To add a test folder, add it to the group whose permissions it needs in `TEST_GROUPS`; a folder
 * of `tests/` that is in no group fails the gate, so none is forgotten.
 *
 * @module
 */

import { listLibraryModules } from "./check_layers.ts";

/** A `deno test` run over some folders, with the permissions those tests need. */
interface TestGroup {
  name: string;
  /** Permission and feature flags for `deno test`. */
  flags: string[];
  /** Test folders; those that do not exist yet are left out. */
  folders: string[];
  /**
   * Library folders (or root files) whose modules' JSDoc examples run in this group: `"*"` is
   * every library module not claimed by another group.
   */
  docs: string[];
}

const TEST_GROUPS: TestGroup[] = [
  {
    // These layers must work on edge runtimes, without Deno.* I/O.
    name: "test (no permissions)",
    flags: ["--no-prompt"],
    folders: [
      "tests/loop",
      "tests/tasks",
      "tests/sync",
      "tests/queues",
      "tests/testing",
      "tests/tools",
    ],
    docs: ["*"],
  },
  {
    name: "test (I/O: -A --unstable-net)",
    // --expose-gc: tests that a dropped object is not reported force a collection.
    flags: ["-A", "--unstable-net", "--v8-flags=--expose-gc"],
    folders: ["tests/transports", "tests/streams", "tests/subprocess", "tests/examples"],
    // Their examples talk to loopback servers.
    docs: ["transports", "streams", "subprocess"],
  },
  {
    // The same suites again without --allow-ffi: SelectorEventLoop then runs
    // on the Deno-ops selector (with -A it picks the epoll selector), and
    // nothing may need FFI. The epoll tests are ignored here.
    name: "test (I/O without FFI)",
    flags: [
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      "--allow-sys",
      "--unstable-net",
      "--v8-flags=--expose-gc",
    ],
    folders: ["tests/transports", "tests/streams", "tests/subprocess", "tests/examples"],
    // The doc tests ran once already, in the group above.
    docs: [],
  },
];

/** A step of the gate: the arguments of one `deno` command. */
interface Step {
  name: string;
  args: string[];
  /** For a test step, where its JUnit report goes. */
  junitPath?: string;
  /** Why the step cannot start, when it cannot. */
  problem?: string;
}

interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

interface StepResult {
  name: string;
  ok: boolean;
  seconds: number;
}

const ROOT: string = decodeURIComponent(new URL("..", import.meta.url).pathname);

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(`${ROOT}/${path}`);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Counts the `<testcase>` elements of a JUnit report: failed, skipped, or passed. */
function countJunit(xml: string): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  // Attribute values are quoted and may hold `>`; the body runs to `</testcase>`.
  const testcase = /<testcase\b(?:\s+[\w:-]+="[^"]*")*\s*(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const [, body = ""] of xml.matchAll(testcase)) {
    if (/<(failure|error)\b/.test(body)) counts.failed++;
    else if (/<skipped\b/.test(body)) counts.skipped++;
    else counts.passed++;
  }
  return counts;
}

/** Runs a step in the repo root; returns whether it exited with code 0. */
async function run({ name, args, problem }: Step): Promise<boolean> {
  console.log(`\n==> deno ${args.join(" ")}`);
  if (problem !== undefined) {
    console.log(`gate: cannot start '${name}': ${problem}`);
    return false;
  }
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return (await child.status).success;
  } catch (error) {
    console.log(`gate: cannot start '${name}': ${error}`);
    return false;
  }
}

/** The library modules whose doc tests `group` runs. */
function docModules(group: TestGroup, modules: string[]): string[] {
  const inFolder = (path: string, folder: string): boolean =>
    path === folder || path.startsWith(`${folder}/`);
  const claimed = TEST_GROUPS.flatMap((g: TestGroup): string[] => g.docs)
    .filter((folder: string): boolean => folder !== "*");
  return modules.filter((path: string): boolean =>
    group.docs.some((folder: string): boolean =>
      folder === "*"
        ? !claimed.some((other: string): boolean => inFolder(path, other))
        : inFolder(path, folder)
    )
  );
}

/** Lists the test steps, and the folders of `tests/` that no group covers. */
async function testSteps(): Promise<{ steps: Step[]; uncovered: string[] }> {
  const steps: Step[] = [];
  const modules = await listLibraryModules(ROOT);
  for (const group of TEST_GROUPS) {
    const targets: string[] = [];
    for (const folder of group.folders) if (await exists(folder)) targets.push(folder);
    targets.push(...docModules(group, modules));
    if (targets.length === 0) continue;
    const junitPath = await Deno.makeTempFile({ prefix: "gate-", suffix: ".xml" });
    steps.push({
      name: group.name,
      args: ["test", ...group.flags, "--doc", "--permit-no-files", `--junit-path=${junitPath}`]
        .concat(targets),
      junitPath,
    });
  }
  const covered = new Set(TEST_GROUPS.flatMap((group: TestGroup): string[] => group.folders));
  const uncovered: string[] = [];
  if (await exists("tests")) {
    for await (const entry of Deno.readDir(`${ROOT}/tests`)) {
      const path = `tests/${entry.name}`;
      if (!covered.has(path) && (entry.isDirectory || entry.name.endsWith(".ts"))) {
        uncovered.push(path);
      }
    }
  }
  return { steps, uncovered };
}

/** The `deno doc --lint` step, over the `"exports"` entry points of deno.json. */
async function docLintStep(): Promise<Step> {
  const step: Step = { name: "doc lint", args: ["doc", "--lint"] };
  try {
    const config: { exports?: string | Record<string, string> } = JSON.parse(
      await Deno.readTextFile(`${ROOT}/deno.json`),
    );
    const exports = config.exports ?? {};
    step.args.push(...typeof exports === "string" ? [exports] : Object.values(exports));
    if (step.args.length === 2) step.problem = "deno.json has no exports";
  } catch (error) {
    step.problem = `cannot read the exports of deno.json: ${error}`;
  }
  return step;
}

/** Reads and removes the JUnit report of a test step; `undefined` when it is missing or empty. */
async function readJunit(step: Step): Promise<Counts | undefined> {
  try {
    const xml = await Deno.readTextFile(step.junitPath!);
    if (xml.includes("<testsuites")) return countJunit(xml);
    console.log(`gate: the JUnit report of '${step.name}' is empty`);
  } catch (error) {
    console.log(`gate: cannot read the JUnit report of '${step.name}': ${error}`);
  } finally {
    await Deno.remove(step.junitPath!).catch((): void => {});
  }
  return undefined;
}

async function main(): Promise<number> {
  const { steps: tests, uncovered } = await testSteps();
  const steps: Step[] = [
    { name: "fmt", args: ["fmt", "--check"] },
    { name: "lint", args: ["lint"] },
    { name: "check", args: ["check", "."] },
    ...tests,
    await docLintStep(),
    { name: "publish dry run", args: ["publish", "--dry-run", "--allow-dirty"] },
    { name: "layers", args: ["run", "--allow-read", "tools/check_layers.ts"] },
  ];

  const results: StepResult[] = [];
  const total: Counts = { passed: 0, failed: 0, skipped: 0 };
  if (uncovered.length > 0) {
    console.log(`gate: in no test group of tools/gate.ts: ${uncovered.join(", ")}`);
    results.push({ name: "test groups cover tests/", ok: false, seconds: 0 });
    total.failed++;
  }
  for (const step of steps) {
    const start = performance.now();
    let ok = await run(step);
    if (step.junitPath === undefined) {
      if (ok) total.passed++;
      else total.failed++;
    } else {
      const counts: Counts | undefined = await readJunit(step);
      ok &&= counts !== undefined;
      total.passed += counts?.passed ?? 0;
      total.skipped += counts?.skipped ?? 0;
      // A run that fails with no failed test case in its report still counts as a failure.
      total.failed += !ok && (counts?.failed ?? 0) === 0 ? 1 : counts?.failed ?? 0;
    }
    results.push({ name: step.name, ok, seconds: (performance.now() - start) / 1000 });
  }

  console.log("\ngate summary");
  for (const r of results) {
    const status = r.ok ? "ok" : "FAILED";
    console.log(`  ${status.padEnd(7)} ${r.name.padEnd(32)} ${r.seconds.toFixed(1)}s`);
  }
  const skipped = total.skipped > 0 ? `, ${total.skipped} skipped` : "";
  console.log(`${total.passed} passed, ${total.failed} failed${skipped}`);
  return total.failed > 0 ? 1 : 0;
}

Deno.exit(await main());
