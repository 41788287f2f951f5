/**
 * Runs a sample of `examples/` as a child process (`deno run` with the permissions its JSDoc
 * asks for), collects its output by line, and stops it with Ctrl-C (SIGINT).
 *
 * @module
 */
import assert from "node:assert/strict";

/** `n` bytes that are not all one value, so a reordering would show. */
export function payload(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >> 8) + seed) & 0xff;
  return out;
}

/** Whether `command` runs with `args` here (to skip a test whose tool is missing). */
export async function have(command: string, args: string[]): Promise<boolean> {
  try {
    const result = await new Deno.Command(command, { args, stdout: "null", stderr: "null" })
      .output();
    return result.success;
  } catch {
    return false;
  }
}

/** What {@linkcode output} returns. */
export interface Output {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Runs `command` to completion, with `stdin` as its input (none when null). */
export async function output(
  command: string,
  args: string[],
  stdin: Uint8Array | null = null,
): Promise<Output> {
  const child = new Deno.Command(command, {
    args,
    stdin: stdin === null ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== null) {
    const writer = child.stdin.getWriter();
    await writer.write(stdin);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return { code, stdout, stderr: new TextDecoder().decode(stderr) };
}

/** The loops a sample runs on (`--loop=...`). */
export const LOOP_NAMES: readonly string[] = ["selector", "proactor"];

/** The lines of a child's output stream, with a way to wait for one that matches. */
export class Lines {
  readonly lines: string[] = [];
  readonly done: Promise<void>;
  #waiters: (() => void)[] = [];
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#collect(stream);
  }

  async #collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    try {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        const parts = (partial + text).split("\n");
        partial = parts.pop()!;
        this.lines.push(...parts);
        this.#wake();
      }
      if (partial !== "") this.lines.push(partial);
    } finally {
      this.#ended = true;
      this.#wake();
    }
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /**
   * Resolves to the match of the first line matching `pattern`.
   *
   * @throws {Error} The stream ended, or `seconds` passed, without such a line.
   */
  async waitFor(pattern: RegExp, seconds = 10): Promise<RegExpMatchArray> {
    const deadline = Date.now() + seconds * 1000;
    for (;;) {
      for (const line of this.lines) {
        const match = line.match(pattern);
        if (match !== null) return match;
      }
      if (this.#ended) throw new Error(`No line matches ${pattern}: ${this.text()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No line matches ${pattern} in ${seconds} s: ${this.text()}`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /** The lines so far, joined. */
  text(): string {
    return JSON.stringify(this.lines.join("\n"));
  }
}

/** A running sample. */
export class Sample implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly stdout: Lines;
  readonly stderr: Lines;
  #status: Deno.CommandStatus | null = null;

  constructor(child: Deno.ChildProcess) {
    this.child = child;
    this.stdout = new Lines(child.stdout);
    this.stderr = new Lines(child.stderr);
  }

  /** Waits for the "listening on HOST:PORT" line and returns the port. */
  async port(): Promise<number> {
    const match = await this.stdout.waitFor(/listening on (?:http:\/\/)?\S*:(\d+)/);
    return Number(match[1]);
  }

  /** Waits until the child exits by itself, and for all its output. */
  async exited(): Promise<Deno.CommandStatus> {
    this.#status ??= await this.child.status;
    await Promise.all([this.stdout.done, this.stderr.done]);
    return this.#status;
  }

  /** Sends Ctrl-C (SIGINT) and asserts that the sample exits cleanly with status 0. */
  async interrupt(): Promise<void> {
    this.child.kill("SIGINT");
    const status = await this.exited();
    assert.equal(status.code, 0, `exit status ${status.code}, stderr: ${this.stderr.text()}`);
  }

  /** Kills the child if it still runs (a failed test) and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#status === null) {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // It has exited meanwhile.
      }
    }
    await this.exited();
  }
}

/**
 * Starts `examples/<file>` with `args` under `deno run --allow-net=127.0.0.1` (or `permissions`),
 * its stdin piped when `stdin` is true (closed otherwise).
 */
export function startSample(
  file: string,
  args: readonly string[],
  options: { permissions?: string[]; stdin?: boolean } = {},
): Sample {
  const path = new URL(`../../examples/${file}`, import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...(options.permissions ?? ["--allow-net=127.0.0.1"]), path, ...args],
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  return new Sample(child);
}
