/**
 * Property tests (issue 3, item 9): random trees of tasks, composed with
 * TaskGroup, gather, Promise.all and plain awaits, some under a timeout, some failing,
 * cancelled at random points of virtual time. Whatever happens:
 *
 * - no task stays pending once the root is done;
 * - every body that started ran its `finally` exactly once, and a task
 *   whose body never started ended cancelled;
 * - no error is lost or duplicated: each error a task threw is observed
 *   exactly once by the code awaiting it (through an ExceptionGroup, a
 *   gather slot, an await, or the task object after a cancelled wait), and
 *   nothing reaches the exception handler.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  eagerTaskFactory,
  ExceptionGroup,
  gather,
  sleep,
  type Task,
  TaskGroup,
  timeout,
  TimeoutError,
  wait,
} from "../../mod.ts";
import { inLoop } from "./_task_helpers.ts";

type Mode = "group" | "gather" | "await" | "all";
type OnCancel = "rethrow" | "fail" | "swallow";

interface NodeSpec {
  /** Seconds slept before the children start, between their start and the wait, and after. */
  pre: number;
  mid: number;
  post: number;
  /** Throw this node's error at the end. */
  fail: boolean;
  /** What the body does with a CancelledError that reaches it. */
  onCancel: OnCancel;
  /** How the children are run and awaited. */
  mode: Mode;
  /** A deadline around the children, or none. */
  deadline: number | null;
  children: NodeSpec[];
}

interface CancelSpec {
  at: number;
  target: number;
}

const delay = fc.constantFrom(0, 0.5, 1, 2);

function nodeArb(depth: number): fc.Arbitrary<NodeSpec> {
  return fc.record({
    pre: delay,
    mid: delay,
    post: delay,
    fail: fc.boolean(),
    onCancel: fc.constantFrom<OnCancel>("rethrow", "rethrow", "fail", "swallow"),
    mode: fc.constantFrom<Mode>("group", "gather", "await", "all"),
    deadline: fc.option(fc.constantFrom(0, 0.5, 1.5, 3), { nil: null }),
    children: depth === 0 ? fc.constant([]) : fc.array(nodeArb(depth - 1), { maxLength: 3 }),
  });
}

const cancelsArb = fc.array(
  fc.record({ at: fc.constantFrom(0, 0.25, 0.5, 1, 1.5, 2, 3, 4.5), target: fc.nat(200) }),
  { maxLength: 6 },
);

/** The error node `id` throws: recognisable wherever it ends up. */
class NodeError extends Error {
  constructor(readonly id: number) {
    super(`node ${id} failed`);
    this.name = "NodeError";
  }
}

/** Runs one tree and returns the problems found (empty when every property holds). */
async function runTree(
  root: NodeSpec,
  cancels: CancelSpec[],
  eager: boolean,
): Promise<string[]> {
  const nodes: NodeSpec[] = [];
  const ids = new Map<NodeSpec, number>();
  const number = (node: NodeSpec): void => {
    ids.set(node, nodes.length);
    nodes.push(node);
    node.children.forEach(number);
  };
  number(root);
  const n = nodes.length;
  const errors = nodes.map((_, i) => new NodeError(i));
  const started = new Array<number>(n).fill(0);
  const finallies = new Array<number>(n).fill(0);
  const thrown = new Array<number>(n).fill(0);
  const observed = new Array<number>(n).fill(0);
  const tasks = new Array<Task<string> | undefined>(n);
  const problems: string[] = [];

  const observe = (err: unknown, where: string): void => {
    if (err instanceof ExceptionGroup) {
      for (const e of err.errors) observe(e, `${where} group`);
    } else if (err instanceof NodeError) {
      observed[err.id]++;
    } else {
      problems.push(`${where}: unexpected ${String(err)}`);
    }
  };

  const spawn = (kid: NodeSpec, make: (fn: () => Promise<string>) => Task<string>) => {
    const id = ids.get(kid)!;
    const task = make(() => body(kid));
    tasks[id] = task;
    return task;
  };

  // Cancels the tasks, waits until they are all done (through cancellations
  // of the waiter itself), and observes the errors not observed yet.
  const settleAll = async (ts: Task<string>[], seen: Set<Task<string>>): Promise<void> => {
    for (const t of ts) if (!t.done()) t.cancel();
    for (;;) {
      const left = ts.filter((t) => !t.done());
      if (left.length === 0) break;
      try {
        await wait(left);
      } catch (err) {
        if (!(err instanceof CancelledError)) throw err;
      }
    }
    for (const t of ts) {
      if (seen.has(t) || t.cancelled()) continue;
      const exc = t.exception();
      if (exc !== undefined) observe(exc, "settled task");
    }
  };

  const runChildren = async (node: NodeSpec): Promise<void> => {
    const me = currentTask()!;
    const kids = node.children;
    if (node.mode === "group") {
      try {
        await new TaskGroup().run(async (tg) => {
          for (const kid of kids) spawn(kid, (fn) => tg.createTask(fn));
          await sleep(node.mid);
        });
      } catch (err) {
        if (!(err instanceof ExceptionGroup)) throw err;
        observe(err, "task group");
      }
      return;
    }
    const kidTasks = kids.map((kid) => spawn(kid, (fn) => createTask(fn)));
    const seen = new Set<Task<string>>();
    try {
      await sleep(node.mid);
      if (node.mode === "gather") {
        const results = await gather(...kidTasks, { returnExceptions: true });
        results.forEach((r, i) => {
          seen.add(kidTasks[i]);
          if (r instanceof Error && !(r instanceof CancelledError)) observe(r, "gather slot");
        });
      } else if (node.mode === "all") {
        const before = me.cancelling();
        try {
          await Promise.all(kidTasks);
          for (const t of kidTasks) seen.add(t);
        } catch (err) {
          if (
            err instanceof CancelledError &&
            (me.cancelling() > before || !kidTasks.some((t) => t.cancelled()))
          ) {
            throw err;
          }
          // A child failed or was cancelled: Promise.all stops at the first.
          const culprit = kidTasks.find((t) => t.done() && !t.cancelled() && t.exception() === err);
          if (culprit !== undefined) {
            seen.add(culprit);
            observe(err, "Promise.all");
          } else if (!(err instanceof CancelledError)) {
            problems.push(`Promise.all: unexpected ${String(err)}`);
          }
          await settleAll(kidTasks, seen);
        }
      } else {
        for (const t of kidTasks) {
          const before = me.cancelling();
          try {
            await t;
            seen.add(t);
          } catch (err) {
            if (!(err instanceof CancelledError)) {
              seen.add(t);
              observe(err, "await");
            } else if (!t.cancelled() || me.cancelling() > before) {
              // Our own cancellation (a cancelled child forwards one too).
              throw err;
            }
          }
        }
      }
    } catch (err) {
      if (!(err instanceof CancelledError)) throw err;
      await settleAll(kidTasks, seen);
      throw err;
    }
  };

  const body = async (node: NodeSpec): Promise<string> => {
    const id = ids.get(node)!;
    started[id]++;
    try {
      await sleep(node.pre);
      if (node.deadline === null) {
        await runChildren(node);
      } else {
        try {
          await timeout(node.deadline, () => runChildren(node));
        } catch (err) {
          if (!(err instanceof TimeoutError)) throw err;
        }
      }
      await sleep(node.post);
      if (node.fail) {
        thrown[id]++;
        throw errors[id];
      }
      return `node ${id} done`;
    } catch (err) {
      if (err instanceof CancelledError) {
        if (node.onCancel === "fail") {
          thrown[id]++;
          throw errors[id];
        }
        if (node.onCancel === "swallow") return `node ${id} swallowed`;
      }
      throw err;
    } finally {
      finallies[id]++;
    }
  };

  await inLoop(async ({ loop }) => {
    if (eager) loop.setTaskFactory(eagerTaskFactory);
    try {
      const main = currentTask()!;
      for (const c of cancels) loop.callLater(c.at, () => tasks[c.target % n]?.cancel());
      const rootTask = spawn(root, (fn) => createTask(fn));
      await wait([rootTask]);
      if (!rootTask.cancelled() && rootTask.exception() !== undefined) {
        observe(rootTask.exception(), "root");
      }
      // Let every scheduled cancel fire (on done tasks they do nothing).
      await sleep(5);
      const leftover = [...allTasks()].filter((t) => t !== main);
      if (leftover.length > 0) problems.push(`pending tasks: ${leftover.join(", ")}`);
    } finally {
      loop.setTaskFactory(null);
    }
  });

  for (let id = 0; id < n; id++) {
    const task = tasks[id];
    if (task === undefined) {
      if (started[id] !== 0) problems.push(`node ${id} started without a task`);
      continue;
    }
    if (!task.done()) problems.push(`node ${id} is still pending`);
    if (started[id] > 1) problems.push(`node ${id} started ${started[id]} times`);
    if (started[id] === 1 && finallies[id] !== 1) {
      problems.push(`node ${id} ran finally ${finallies[id]} times`);
    }
    if (started[id] === 0 && !task.cancelled()) {
      problems.push(`node ${id} never started but is not cancelled`);
    }
    if (thrown[id] !== observed[id]) {
      problems.push(`node ${id} threw ${thrown[id]} time(s), observed ${observed[id]} time(s)`);
    }
  }
  return problems;
}

Deno.test("Task.cancel() at random points of random task trees leaves nothing pending, runs each finally once and loses no error", async () => {
  await fc.assert(
    fc.asyncProperty(nodeArb(3), cancelsArb, fc.boolean(), async (root, cancels, eager) => {
      const problems = await runTree(root, cancels, eager);
      assert.deepEqual(problems, []);
    }),
    { numRuns: 300 },
  );
});

Deno.test("TaskGroup, gather() and Promise.all() trees without cancellations observe every error once", async () => {
  await fc.assert(
    fc.asyncProperty(nodeArb(3), async (root) => {
      assert.deepEqual(await runTree(root, [], false), []);
    }),
    { numRuns: 50 },
  );
});
