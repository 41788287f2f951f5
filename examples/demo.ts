/**
 * A tour of asyncio for Deno: the loop and its timers, futures, tasks,
 * cancellation, a timeout over a task tree, and a task group.
 *
 *   deno run examples/demo.ts
 *
 * It needs no permissions: the loop, tasks and timeouts use no Deno API.
 *
 * @module
 */
import {
  CancelledError,
  createTask,
  ExceptionGroup,
  gather,
  getRunningLoop,
  run,
  sleep,
  TaskGroup,
  timeout,
  TimeoutError,
} from "../mod.ts";

const t0 = performance.now();
function say(line: string): void {
  console.log(`[${((performance.now() - t0) / 1000).toFixed(3)}s] ${line}`);
}

async function loopAndTimers(): Promise<void> {
  say("1. The loop runs callbacks in FIFO order and timers in deadline order.");
  const loop = getRunningLoop();
  const done = loop.createFuture<void>();
  loop.callLater(0.02, () => say("   timer after 20 ms"));
  loop.callLater(0.01, () => say("   timer after 10 ms"));
  loop.callSoon(() => say("   callSoon runs at the next iteration"));
  loop.callLater(0.03, () => done.setResult());
  await done;
}

async function futures(): Promise<void> {
  say("2. A future hands a result from a callback to a waiting coroutine.");
  const loop = getRunningLoop();
  const answer = loop.createFuture<number>();
  loop.callLater(0.01, () => answer.setResult(42));
  say(`   awaited the future: ${await answer}`);
}

async function cancellation(): Promise<void> {
  say("3. Cancelling a task throws CancelledError at its await; finally runs.");
  const worker = createTask(async () => {
    try {
      say("   worker: sleeping for an hour");
      await sleep(3600);
    } finally {
      say("   worker: cleaning up");
    }
  }, { name: "worker" });
  await sleep(0.01);
  worker.cancel("shutting down");
  try {
    await worker;
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err;
    say(`   ${worker.getName()} was cancelled: "${err.message}"`);
  }
}

async function fetchPart(name: string, seconds: number): Promise<string> {
  try {
    await sleep(seconds);
    return `${name} (${seconds * 1000} ms)`;
  } catch (err) {
    if (err instanceof CancelledError) say(`   ${name}: cancelled`);
    throw err;
  }
}

async function taskTreeWithTimeout(): Promise<void> {
  say("4. A timeout over a tree of tasks: the slow branch is cancelled.");
  const fast = await timeout(0.1, () =>
    gather(
      () => fetchPart("header", 0.01),
      () => fetchPart("body", 0.02),
    ));
  say(`   in time: ${fast.join(", ")}`);
  try {
    await timeout(0.05, () =>
      gather(
        () => fetchPart("thumbnail", 0.01),
        () => fetchPart("video", 5),
      ));
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    say("   the whole tree timed out after 50 ms (TimeoutError)");
  }
}

async function taskGroup(): Promise<void> {
  say("5. A task group: the first failure cancels its siblings.");
  try {
    await new TaskGroup().run((tg) => {
      tg.createTask(() => fetchPart("replica A", 5));
      tg.createTask(async () => {
        await sleep(0.01);
        throw new Error("replica B is down");
      });
    });
  } catch (err) {
    if (!(err instanceof ExceptionGroup)) throw err;
    const messages = err.exceptions.map((e) => (e as Error).message);
    say(`   ExceptionGroup: ${messages.join("; ")}`);
  }
}

await run(async () => {
  await loopAndTimers();
  await futures();
  await cancellation();
  await taskTreeWithTimeout();
  await taskGroup();
  say("Done.");
});
