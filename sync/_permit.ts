/**
 * The one {@linkcode Permit} implementation of `sync/`.
 *
 * @module
 */
import type { Permit } from "./permit.ts";

/** What a permit releases. */
export interface Releasable {
  /** Releases one acquisition. */
  release(): void;
}

const DONE: Promise<void> = Promise.resolve();

/** A permit that calls its owner's `release()` once, on first release or disposal. */
export class OncePermit implements Permit {
  #owner: Releasable | null;

  /** Creates a permit for one acquisition of `owner`. */
  constructor(owner: Releasable) {
    this.#owner = owner;
  }

  /** Releases the acquisition once. */
  release(): void {
    const owner = this.#owner;
    if (owner === null) return;
    this.#owner = null;
    owner.release();
  }

  /** Releases the acquisition once (`using`). */
  [Symbol.dispose](): void {
    this.release();
  }

  /** Releases the acquisition once (`await using`); resolves at once. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return DONE;
  }

  /** `<Permit held>` or `<Permit released>`. */
  toString(): string {
    return `<Permit ${this.#owner === null ? "released" : "held"}>`;
  }
}
