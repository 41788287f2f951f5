/**
 * The `socket` module constants that asyncio's name resolution and
 * `createConnection`/`createServer` options use, with Linux's values (as
 * Python's `socket` module has them on Linux).
 *
 * @example
 * ```ts
 * import { AF_INET, SOCK_STREAM } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * assert.equal(AF_INET, 2);
 * assert.equal(SOCK_STREAM, 1);
 * ```
 *
 * @module
 */

/** Any address family. Equivalent to `socket.AF_UNSPEC`. */
export const AF_UNSPEC = 0;
/** Unix domain sockets. Equivalent to `socket.AF_UNIX`. */
export const AF_UNIX = 1;
/** IPv4. Equivalent to `socket.AF_INET`. */
export const AF_INET = 2;
/** IPv6. Equivalent to `socket.AF_INET6` (Linux's value). */
export const AF_INET6 = 10;
/** Stream sockets (TCP). Equivalent to `socket.SOCK_STREAM`. */
export const SOCK_STREAM = 1;
/** Datagram sockets (UDP). Equivalent to `socket.SOCK_DGRAM`. */
export const SOCK_DGRAM = 2;
/** TCP. Equivalent to `socket.IPPROTO_TCP`. */
export const IPPROTO_TCP = 6;
/** UDP. Equivalent to `socket.IPPROTO_UDP`. */
export const IPPROTO_UDP = 17;
/** Addresses for binding (a null host means every interface). Equivalent to `socket.AI_PASSIVE`. */
export const AI_PASSIVE = 1;
/** Only a numeric host, no lookup. Equivalent to `socket.AI_NUMERICHOST`. */
export const AI_NUMERICHOST = 4;
/** Only a numeric port. Equivalent to `socket.AI_NUMERICSERV` (Linux's value). */
export const AI_NUMERICSERV = 0x400;
/** A numeric host in the answer. Equivalent to `socket.NI_NUMERICHOST`. */
export const NI_NUMERICHOST = 1;
/** A numeric port in the answer. Equivalent to `socket.NI_NUMERICSERV`. */
export const NI_NUMERICSERV = 2;
