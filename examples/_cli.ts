/**
 * What the samples share: a small command-line parser (positional arguments, `--name=value`
 * options, `--loop=selector|proactor`, `--help`), running the sample on the chosen loop, and
 * waiting for Ctrl-C (SIGINT, through `Deno.addSignalListener`).
 *
 * @module
 */
import {
  type AbstractEventLoop,
  type Future,
  getRunningLoop,
  ProactorEventLoop,
  run,
  SelectorEventLoop,
} from "../mod.ts";

/** A parsed command line: positional arguments and `--name=value` options. */
export interface CommandLine {
  /** The arguments that are not options, in order. */
  args: string[];
  /** The options by name (without the dashes); a bare `--name` has the value `""`. */
  options: Map<string, string>;
}

/**
 * Parses `argv` against `usage`; `--help` prints `usage` and exits, an option not in `known`
 * (plus `loop` and `help`) or more than `maxArgs` positional arguments print `usage` and exit
 * with status 2.
 */
export function parseCommandLine(
  argv: readonly string[],
  usage: string,
  known: readonly string[],
  maxArgs: number,
): CommandLine {
  const args: string[] = [];
  const options = new Map<string, string>();
  for (const arg of argv) {
    if (!arg.startsWith("--")) {
      args.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (name === "help") {
      console.log(usage);
      Deno.exit(0);
    }
    if (name !== "loop" && !known.includes(name)) fail(usage, `unknown option --${name}`);
    options.set(name, eq === -1 ? "" : arg.slice(eq + 1));
  }
  if (args.length > maxArgs) fail(usage, `too many arguments: ${args.slice(maxArgs).join(" ")}`);
  return { args, options };
}

/** Prints `message` and `usage` to stderr and exits with status 2 (a usage error). */
export function fail(usage: string, message: string): never {
  console.error(`error: ${message}\n\n${usage}`);
  Deno.exit(2);
}

/** `text` as a port number (0 to 65535), or a usage error naming `what`. */
export function parsePort(text: string, what: string, usage: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    fail(usage, `${what} must be a port number (0 to 65535): received ${text}`);
  }
  return port;
}

/** The option `name` as a positive number of seconds, or `fallback` when absent. */
export function parseSeconds(
  cli: CommandLine,
  name: string,
  fallback: number,
  usage: string,
): number {
  const text = cli.options.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text === "" || !(value > 0)) {
    fail(usage, `--${name} must be a positive number of seconds: received ${text}`);
  }
  return value;
}

/**
 * Runs `main` as `asyncio.run()` does: on the loop `--loop` names (`selector` or `proactor`), or
 * without `--loop` on the default policy's loop (`DefaultEventLoopPolicy`), and returns its result.
 */
export function runSample<T>(cli: CommandLine, usage: string, main: () => Promise<T>): Promise<T> {
  const kind = cli.options.get("loop");
  if (kind === undefined) return run(main);
  if (kind !== "selector" && kind !== "proactor") {
    fail(usage, `--loop must be 'selector' or 'proactor': received ${kind}`);
  }
  const loopFactory = kind === "selector"
    ? () => new SelectorEventLoop()
    : () => new ProactorEventLoop();
  return run(main, { loopFactory });
}

/**
 * A future that resolves at the first Ctrl-C (SIGINT); the listener is in place when this
 * returns. The signal arrives outside the loop, so it is handed over with `callSoonThreadsafe`;
 * the listener is removed once the future is done (resolved or cancelled), so a second Ctrl-C
 * ends the process the default way.
 */
export function interrupted(): Future<void> {
  const loop: AbstractEventLoop = getRunningLoop();
  const signalled = loop.createFuture<void>();
  const onSignal = (): void => {
    loop.callSoonThreadsafe(() => {
      if (!signalled.done()) signalled.setResult(undefined);
    });
  };
  Deno.addSignalListener("SIGINT", onSignal);
  signalled.addDoneCallback(() => Deno.removeSignalListener("SIGINT", onSignal));
  return signalled;
}

/** `host:port` of a TCP address, with IPv6 hosts in brackets. */
export function formatAddress(address: [string, number] | string): string {
  if (typeof address === "string") return address;
  const [host, port] = address;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
