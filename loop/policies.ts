/**
 * Event loop policies and the current-loop functions. Equivalent to the
 * policy half of Python's `asyncio.events`.
 *
 * @module
 */
import { RuntimeError } from "./exceptions.ts";
import { runningLoopOrNull } from "./current.ts";
import type { AbstractEventLoop } from "./abstract_event_loop.ts";
import { SelectorEventLoop } from "./selector_event_loop.ts";
import { ProactorEventLoop } from "./proactor_event_loop.ts";
import { ffiUnavailableReason } from "../transports/ffi.ts";

/**
 * A policy: which loop is current outside a running loop, and how new loops
 * are made. Equivalent to Python's `asyncio.AbstractEventLoopPolicy`.
 */
export interface AbstractEventLoopPolicy {
  /** The current loop of this policy's context. */
  getEventLoop(): AbstractEventLoop;
  /** Sets the current loop (null clears it). */
  setEventLoop(loop: AbstractEventLoop | null): void;
  /** Makes a new loop. */
  newEventLoop(): AbstractEventLoop;
}

/**
 * The shared part of the policies: one current loop, set with
 * `setEventLoop`. Equivalent to Python's `asyncio.BaseDefaultEventLoopPolicy`.
 *
 * @example
 * ```ts
 * import { BaseDefaultEventLoopPolicy, SelectorEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * class MyPolicy extends BaseDefaultEventLoopPolicy {
 *   newEventLoop(): SelectorEventLoop {
 *     return new SelectorEventLoop({ debug: true });
 *   }
 * }
 * const loop = new MyPolicy().newEventLoop();
 * assert.ok(loop.getDebug());
 * loop.close();
 * ```
 */
export abstract class BaseDefaultEventLoopPolicy implements AbstractEventLoopPolicy {
  #loop: AbstractEventLoop | null = null;

  /** The loop set with `setEventLoop`. @throws {RuntimeError} None was set. */
  getEventLoop(): AbstractEventLoop {
    if (this.#loop === null) {
      throw new RuntimeError(
        "There is no current event loop: create one with newEventLoop() and setEventLoop(), or use run()",
      );
    }
    return this.#loop;
  }

  /** Sets the current loop (null clears it). @throws {TypeError} `loop` is not a loop. */
  setEventLoop(loop: AbstractEventLoop | null): void {
    if (loop !== null && (typeof loop !== "object" || typeof loop.runForever !== "function")) {
      throw new TypeError(
        `Cannot set event loop as 'loop' must be an event loop or null: received ${typeof loop}`,
      );
    }
    this.#loop = loop;
  }

  /** Makes a new loop. */
  abstract newEventLoop(): AbstractEventLoop;
}

/**
 * The policy whose loops are {@linkcode SelectorEventLoop}s. Equivalent to
 * Python's `asyncio.SelectorEventLoopPolicy` (deprecated in 3.14 there;
 * kept here so the two loops can be chosen by policy).
 *
 * @example
 * ```ts
 * import { SelectorEventLoop, SelectorEventLoopPolicy } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = new SelectorEventLoopPolicy().newEventLoop();
 * assert.ok(loop instanceof SelectorEventLoop);
 * loop.close();
 * ```
 */
export class SelectorEventLoopPolicy extends BaseDefaultEventLoopPolicy {
  /** The loop set with `setEventLoop`. @throws {RuntimeError} None was set. */
  override getEventLoop(): AbstractEventLoop {
    return super.getEventLoop();
  }

  /** Sets the current loop (null clears it). */
  override setEventLoop(loop: AbstractEventLoop | null): void {
    super.setEventLoop(loop);
  }

  /** A new {@linkcode SelectorEventLoop}. */
  newEventLoop(): SelectorEventLoop {
    return new SelectorEventLoop();
  }
}

/**
 * The policy whose loops are {@linkcode ProactorEventLoop}s. Equivalent to
 * Python's `asyncio.WindowsProactorEventLoopPolicy`, on every platform.
 *
 * @example
 * ```ts
 * import { ProactorEventLoop, ProactorEventLoopPolicy } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = new ProactorEventLoopPolicy().newEventLoop();
 * assert.ok(loop instanceof ProactorEventLoop);
 * loop.close();
 * ```
 */
export class ProactorEventLoopPolicy extends BaseDefaultEventLoopPolicy {
  /** The loop set with `setEventLoop`. @throws {RuntimeError} None was set. */
  override getEventLoop(): AbstractEventLoop {
    return super.getEventLoop();
  }

  /** Sets the current loop (null clears it). */
  override setEventLoop(loop: AbstractEventLoop | null): void {
    super.setEventLoop(loop);
  }

  /** A new {@linkcode ProactorEventLoop}. */
  newEventLoop(): ProactorEventLoop {
    return new ProactorEventLoop();
  }
}

/**
 * The default policy: the fastest loop this process can run, by the echo
 * benchmarks of `docs/performance.md`. With the FFI permission on Linux
 * (x86_64 or aarch64) that is a {@linkcode SelectorEventLoop} on the epoll
 * selector (real descriptors: 1.0–1.8× the proactor loop); otherwise a
 * {@linkcode ProactorEventLoop}, ahead of the selector loop over Deno's own
 * I/O. Equivalent to Python's `asyncio.DefaultEventLoopPolicy` (which is the
 * selector loop on Unix).
 *
 * @example
 * ```ts
 * import { DefaultEventLoopPolicy, ProactorEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * // Doc tests of this module run without permissions: no FFI, so a proactor loop.
 * const loop = new DefaultEventLoopPolicy().newEventLoop();
 * assert.ok(loop instanceof ProactorEventLoop);
 * loop.close();
 * ```
 */
export class DefaultEventLoopPolicy extends BaseDefaultEventLoopPolicy {
  /** The loop set with `setEventLoop`. @throws {RuntimeError} None was set. */
  override getEventLoop(): AbstractEventLoop {
    return super.getEventLoop();
  }

  /** Sets the current loop (null clears it). */
  override setEventLoop(loop: AbstractEventLoop | null): void {
    super.setEventLoop(loop);
  }

  /**
   * A new {@linkcode SelectorEventLoop} on the epoll selector where it can
   * run (`ffiUnavailableReason()` is `null`), else a new
   * {@linkcode ProactorEventLoop}.
   */
  newEventLoop(): SelectorEventLoop | ProactorEventLoop {
    return ffiUnavailableReason() === null
      ? new SelectorEventLoop({ selector: "epoll" })
      : new ProactorEventLoop();
  }
}

let policy: AbstractEventLoopPolicy | null = null;

/**
 * The current policy (a {@linkcode DefaultEventLoopPolicy} until one is set).
 * Equivalent to Python's `asyncio.get_event_loop_policy()`.
 *
 * @example
 * ```ts
 * import { getEventLoopPolicy } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof getEventLoopPolicy().newEventLoop, "function");
 * ```
 */
export function getEventLoopPolicy(): AbstractEventLoopPolicy {
  return policy ??= new DefaultEventLoopPolicy();
}

/**
 * Sets the policy; null restores the default. Equivalent to Python's
 * `asyncio.set_event_loop_policy()`.
 *
 * @throws {TypeError} `next` is not a policy.
 *
 * @example
 * ```ts
 * import { ProactorEventLoop, ProactorEventLoopPolicy, newEventLoop, setEventLoopPolicy } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * setEventLoopPolicy(new ProactorEventLoopPolicy());
 * const loop = newEventLoop();
 * assert.ok(loop instanceof ProactorEventLoop);
 * loop.close();
 * setEventLoopPolicy(null);
 * ```
 */
export function setEventLoopPolicy(next: AbstractEventLoopPolicy | null): void {
  if (next !== null && (typeof next !== "object" || typeof next.newEventLoop !== "function")) {
    throw new TypeError(
      `Cannot set event loop policy as 'next' must be a policy or null: received ${typeof next}`,
    );
  }
  policy = next;
}

/**
 * The running loop, else the policy's current loop. Equivalent to Python
 * 3.14's `asyncio.get_event_loop()`, which no longer creates a loop.
 *
 * @throws {RuntimeError} No loop is running and none was set.
 *
 * @example
 * ```ts
 * import { getEventLoop, newEventLoop, setEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = newEventLoop();
 * setEventLoop(loop);
 * assert.equal(getEventLoop(), loop);
 * setEventLoop(null);
 * loop.close();
 * ```
 */
export function getEventLoop(): AbstractEventLoop {
  return runningLoopOrNull() ?? getEventLoopPolicy().getEventLoop();
}

/**
 * Sets the policy's current loop. Equivalent to Python's `asyncio.set_event_loop()`.
 *
 * @example
 * ```ts
 * import { newEventLoop, setEventLoop } from "@aio/asyncio/loop";
 *
 * const loop = newEventLoop();
 * setEventLoop(loop);
 * setEventLoop(null);
 * loop.close();
 * ```
 */
export function setEventLoop(loop: AbstractEventLoop | null): void {
  getEventLoopPolicy().setEventLoop(loop);
}

/**
 * A new loop from the current policy. Equivalent to Python's `asyncio.new_event_loop()`.
 *
 * @example
 * ```ts
 * import { newEventLoop } from "@aio/asyncio/loop";
 * import assert from "node:assert/strict";
 *
 * const loop = newEventLoop();
 * assert.equal(await loop.runUntilComplete(Promise.resolve(1)), 1);
 * loop.close();
 * ```
 */
export function newEventLoop(): AbstractEventLoop {
  return getEventLoopPolicy().newEventLoop();
}
