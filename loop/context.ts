/**
 * Context variables: Python's `contextvars` on JavaScript.
 *
 * A {@linkcode Context} maps {@linkcode ContextVar}s to values. Every task runs
 * in its own copy of the context that was current when it was created, and
 * every callback scheduled with `callSoon`/`callLater` runs in a snapshot of
 * the context current when it was scheduled, exactly as in asyncio.
 *
 * How the current context is found (cheapest first): while the loop runs a
 * callback, the callback's context is active (set synchronously around the
 * call); otherwise the current task, which `AsyncLocalStorage` carries across
 * every `await`, provides its context; outside both, the root context.
 * A context's variables live in an immutable map that `set()` replaces, so a
 * snapshot is a reference, not a copy: scheduling a callback allocates nothing
 * for its context unless the callback sets a variable.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { RuntimeError } from "./exceptions.ts";

/** The immutable map of a context's variables (internal). */
export type VarMap = ReadonlyMap<ContextVar<unknown>, unknown>;

const EMPTY: VarMap = new Map();

/**
 * What `AsyncLocalStorage` carries through a task's awaits: the task itself.
 * Only tasks implement it.
 */
export interface ContextFrame {
  /** The context the frame runs in (made on demand). */
  getContext(): Context;
  /** The frame's variables, without making a Context object. */
  _contextVars(): VarMap;
}

/** The storage that carries the current task across awaits. */
export const frameStorage: AsyncLocalStorage<ContextFrame> = new AsyncLocalStorage<
  ContextFrame
>();

// The context of the callback the loop is running, if any: either an explicit
// Context, or (activeContext === null) a snapshot map made into a Context only
// when something needs the object.
let activeContext: Context | null = null;
let activeVars: VarMap | null = null;
let rootContext: Context | null = null;

// Accessors of Context's private state for this module, set in its static block.
let contextFromVars: (vars: VarMap) => Context;
let varsOf: (ctx: Context) => VarMap;
let isEntered: (ctx: Context) => boolean;
let setEntered: (ctx: Context, entered: boolean) => void;
// The explicit context a running callback entered (marked, so `run()` on it
// fails as in Python), to unmark on exit.
let enteredContext: Context | null = null;
let setVar: (ctx: Context, variable: ContextVar<unknown>, value: unknown, present: boolean) => void;

/**
 * A mapping of context variables to values. Equivalent to Python's
 * `contextvars.Context`.
 *
 * @example Run code in a copy of the current context
 * ```ts
 * import { ContextVar, copyContext } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const user = new ContextVar<string>("user", { default: "nobody" });
 * const ctx = copyContext();
 * ctx.run(() => user.set("ada"));
 * assert.equal(ctx.get(user), "ada");
 * assert.equal(user.get(), "nobody");
 * ```
 */
export class Context {
  #vars: VarMap;
  #entered = false;

  /** Creates an empty context (use {@linkcode copyContext} to copy the current one). */
  constructor() {
    this.#vars = EMPTY;
  }

  /**
   * Runs `fn` synchronously with this context as the current one, and returns
   * its result. Equivalent to Python's `Context.run`. Variables set by `fn`
   * stay in this context. Like Python's, it covers the synchronous part of
   * `fn`: to carry a context across awaits, run the work as a task with
   * `createTask(fn, { context })`.
   *
   * @throws {RuntimeError} The context is already entered.
   */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    if (this.#entered) {
      throw new RuntimeError("Cannot enter context: the context is already entered");
    }
    const savedContext = activeContext;
    const savedVars = activeVars;
    activeContext = this;
    activeVars = null;
    this.#entered = true;
    try {
      return fn(...args);
    } finally {
      this.#entered = false;
      activeContext = savedContext;
      activeVars = savedVars;
    }
  }

  /** A new context with the same variables. Equivalent to Python's `Context.copy`. */
  copy(): Context {
    return contextFromVars(this.#vars);
  }

  /** The value of `variable` in this context, or `defaultValue` if unset. */
  get<T>(variable: ContextVar<T>, defaultValue?: T): T | undefined {
    return this.#vars.has(variable) ? this.#vars.get(variable) as T : defaultValue;
  }

  /** Whether `variable` has a value in this context. */
  has(variable: ContextVar<unknown>): boolean {
    return this.#vars.has(variable);
  }

  /** The number of variables set in this context. */
  get size(): number {
    return this.#vars.size;
  }

  /** The variables set in this context. */
  keys(): IterableIterator<ContextVar<unknown>> {
    return this.#vars.keys();
  }

  /** The values set in this context. */
  values(): IterableIterator<unknown> {
    return this.#vars.values();
  }

  /** The `[variable, value]` pairs of this context. */
  entries(): IterableIterator<[ContextVar<unknown>, unknown]> {
    return this.#vars.entries();
  }

  /** Iterates over `[variable, value]` pairs. */
  [Symbol.iterator](): IterableIterator<[ContextVar<unknown>, unknown]> {
    return this.#vars.entries();
  }

  static {
    contextFromVars = (vars) => {
      const ctx = new Context();
      ctx.#vars = vars;
      return ctx;
    };
    varsOf = (ctx) => ctx.#vars;
    isEntered = (ctx) => ctx.#entered;
    setEntered = (ctx, entered) => {
      ctx.#entered = entered;
    };
    setVar = (ctx, variable, value, present) => {
      const next = new Map(ctx.#vars);
      if (present) next.set(variable, value);
      else next.delete(variable);
      ctx.#vars = next;
    };
  }
}

/**
 * The context code runs in right now (the running callback's, else the current
 * task's, else the root context). Equivalent to the context Python's
 * `contextvars` functions act on.
 */
function currentContext(): Context {
  if (activeContext !== null) return activeContext;
  if (activeVars !== null) {
    activeContext = contextFromVars(activeVars);
    activeVars = null;
    return activeContext;
  }
  const frame = frameStorage.getStore();
  if (frame !== undefined) return frame.getContext();
  return rootContext ??= new Context();
}

/** The variable map of the current context, without allocating anything. */
export function currentVars(): VarMap {
  if (activeContext !== null) return varsOf(activeContext);
  if (activeVars !== null) return activeVars;
  const frame = frameStorage.getStore();
  if (frame !== undefined) return frame._contextVars();
  return rootContext === null ? EMPTY : varsOf(rootContext);
}

/**
 * {@linkcode currentVars} for a caller that already read the current frame
 * (`frameStorage.getStore()`): saves the second lookup (internal).
 */
export function currentVarsWithFrame(frame: ContextFrame | undefined): VarMap {
  if (activeContext !== null) return varsOf(activeContext);
  if (activeVars !== null) return activeVars;
  if (frame !== undefined) return frame._contextVars();
  return rootContext === null ? EMPTY : varsOf(rootContext);
}

/** The variable map of `context` (internal). */
export function varsOfContext(context: Context): VarMap {
  return varsOf(context);
}

/** A context holding `vars` (used by handles to expose their snapshot). */
export function contextOf(vars: VarMap): Context {
  return contextFromVars(vars);
}

/**
 * Makes `context` (or, when `context` is null, the snapshot `vars`) current
 * for a callback the loop is about to run; undo it with
 * {@linkcode exitCallbackContext}. Only handles call this.
 */
export function enterCallbackContext(context: Context | null, vars: VarMap | null): void {
  if (context !== null) {
    if (isEntered(context)) {
      throw new RuntimeError("Cannot enter context: the context is already entered");
    }
    setEntered(context, true);
    enteredContext = context;
  }
  activeContext = context;
  activeVars = vars;
}

/**
 * Runs `fn(arg)` with no callback context active, then restores it: a task
 * started eagerly inside a callback must see its own context, not the
 * callback's.
 */
export function outsideCallbackContext<A>(fn: (arg: A) => void, arg: A): void {
  const savedContext = activeContext;
  const savedVars = activeVars;
  activeContext = null;
  activeVars = null;
  try {
    fn(arg);
  } finally {
    activeContext = savedContext;
    activeVars = savedVars;
  }
}

/** Leaves the callback's context; see {@linkcode enterCallbackContext}. */
export function exitCallbackContext(): void {
  if (enteredContext !== null) {
    setEntered(enteredContext, false);
    enteredContext = null;
  }
  activeContext = null;
  activeVars = null;
}

/**
 * A copy of the current context. Equivalent to Python's
 * `contextvars.copy_context()`.
 *
 * @example
 * ```ts
 * import { ContextVar, copyContext } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const level = new ContextVar<number>("level", { default: 0 });
 * level.set(1);
 * const snapshot = copyContext();
 * level.set(2);
 * assert.equal(snapshot.get(level), 1);
 * ```
 */
export function copyContext(): Context {
  return contextFromVars(currentVars());
}

/** Options of {@linkcode ContextVar}. */
export interface ContextVarOptions<T> {
  /** The value `get()` returns when the variable is not set. */
  default?: T;
}

const MISSING: unique symbol = Symbol("MISSING");

/**
 * A variable whose value depends on the context it is read in. Equivalent to
 * Python's `contextvars.ContextVar`.
 *
 * Each task sees the values current when it was created and its own changes;
 * changes made in a task never leak to its parent or siblings.
 *
 * @example A request id visible to everything a task calls
 * ```ts
 * import { ContextVar } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const requestId = new ContextVar<number>("requestId", { default: 0 });
 * const token = requestId.set(42);
 * assert.equal(requestId.get(), 42);
 * requestId.reset(token);
 * assert.equal(requestId.get(), 0);
 * ```
 */
export class ContextVar<T> {
  readonly #name: string;
  readonly #default: T | typeof MISSING;

  /**
   * Creates a variable called `name`.
   *
   * @throws {TypeError} `name` is not a string.
   */
  constructor(name: string, options?: ContextVarOptions<T>) {
    if (typeof name !== "string") {
      throw new TypeError(
        `Cannot create ContextVar as 'name' must be a string: received ${typeof name}`,
      );
    }
    this.#name = name;
    this.#default = options !== undefined && "default" in options ? options.default as T : MISSING;
  }

  /** The variable's name. */
  get name(): string {
    return this.#name;
  }

  /**
   * The variable's value in the current context; else `defaultValue` if given;
   * else the variable's default.
   *
   * @throws {RangeError} There is no value and no default (Python's `LookupError`).
   */
  get(defaultValue?: T): T {
    const vars = currentVars();
    if (vars.has(this as ContextVar<unknown>)) return vars.get(this as ContextVar<unknown>) as T;
    if (arguments.length > 0) return defaultValue as T;
    if (this.#default !== MISSING) return this.#default;
    throw new RangeError(
      `Cannot get context variable '${this.#name}': it has no value and no default`,
    );
  }

  /** Sets the value in the current context; returns a token for {@linkcode reset}. */
  set(value: T): Token<T> {
    const ctx = currentContext();
    const vars = varsOf(ctx);
    const had = vars.has(this as ContextVar<unknown>);
    const token = new Token<T>(
      this,
      had ? vars.get(this as ContextVar<unknown>) as T : Token.MISSING,
      ctx,
    );
    setVar(ctx, this as ContextVar<unknown>, value, true);
    return token;
  }

  /**
   * Restores the value the variable had before the `set()` that returned
   * `token`.
   *
   * @throws {RangeError} The token belongs to another variable or context.
   * @throws {RangeError} The token was already used.
   */
  reset(token: Token<T>): void {
    if (!(token instanceof Token)) {
      throw new TypeError(
        `Cannot reset context variable '${this.#name}' as 'token' must be a Token: received ${typeof token}`,
      );
    }
    if (token.var !== this) {
      throw new RangeError(
        `Cannot reset context variable '${this.#name}': the token was created by another ContextVar`,
      );
    }
    if (tokenContext(token) !== currentContext()) {
      throw new RangeError(
        `Cannot reset context variable '${this.#name}': the token was created in a different Context`,
      );
    }
    if (tokenUsed(token)) {
      throw new RangeError(
        `Cannot reset context variable '${this.#name}': the token has already been used once`,
      );
    }
    markUsed(token);
    const old = token.oldValue;
    setVar(
      currentContext(),
      this as ContextVar<unknown>,
      old,
      old !== Token.MISSING,
    );
  }

  /** A readable form, such as `<ContextVar name='user'>`. */
  toString(): string {
    return `<ContextVar name='${this.#name}'>`;
  }
}

let tokenContext: (token: Token<unknown>) => Context;
let tokenUsed: (token: Token<unknown>) => boolean;
let markUsed: (token: Token<unknown>) => void;

/**
 * What {@linkcode ContextVar.set} returns: the previous value, for
 * {@linkcode ContextVar.reset}. Equivalent to Python's `contextvars.Token`.
 *
 * @example
 * ```ts
 * import { ContextVar, Token } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const v = new ContextVar<string>("v");
 * const token = v.set("x");
 * assert.equal(token.oldValue, Token.MISSING);
 * ```
 */
export class Token<T> {
  /** The marker `oldValue` holds when the variable had no value before. */
  static readonly MISSING: unique symbol = Symbol("Token.MISSING");
  readonly #var: ContextVar<T>;
  readonly #old: T | typeof Token.MISSING;
  readonly #context: Context;
  #used = false;

  /** Tokens are made by {@linkcode ContextVar.set}. */
  constructor(variable: ContextVar<T>, oldValue: T | typeof Token.MISSING, context: Context) {
    this.#var = variable;
    this.#old = oldValue;
    this.#context = context;
  }

  /** The variable that made this token. */
  get var(): ContextVar<T> {
    return this.#var;
  }

  /** The value before the `set()`, or {@linkcode Token.MISSING}. */
  get oldValue(): T | typeof Token.MISSING {
    return this.#old;
  }

  static {
    tokenContext = (t) => t.#context;
    tokenUsed = (t) => t.#used;
    markUsed = (t) => {
      t.#used = true;
    };
  }
}
