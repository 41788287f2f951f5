/**
 * `getaddrinfo` and `getnameinfo` over `node:dns/promises` (`lookup` is the
 * system's getaddrinfo, `lookupService` its getnameinfo). A numeric host
 * (and, for `getnameinfo`, numeric flags) skips the lookup. The loops'
 * methods and `createConnection`/`createServer` call these.
 *
 * Differences from Python, by necessity: socket addresses are `[host, port]`
 * for IPv6 too (Deno has no flow info or scope id); `canonname` is always
 * `""` (`lookup` does not report it); a port must be a number or a numeric
 * string (Deno has no `getservbyname`); with `type: 0` each address comes
 * once as `SOCK_STREAM` and once as `SOCK_DGRAM` (no `SOCK_RAW` in Deno).
 *
 * @module
 */
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_NUMERICHOST,
  AI_PASSIVE,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  SOCK_DGRAM,
  SOCK_STREAM,
} from "./socket_constants.ts";

/** One answer of `getaddrinfo`: `[family, type, proto, canonname, [host, port]]`. */
export type AddrInfo = [
  family: number,
  type: number,
  proto: number,
  canonname: string,
  sockaddr: [host: string, port: number],
];

/** Options of {@linkcode getaddrinfo}, as the keyword arguments of Python's. */
export interface GetaddrinfoOptions {
  /** `AF_INET`, `AF_INET6` or `AF_UNSPEC` (default). */
  family?: number;
  /** `SOCK_STREAM`, `SOCK_DGRAM` or 0 (default: both). */
  type?: number;
  /** A protocol number, or 0 (default: the type's). */
  proto?: number;
  /** `AI_*` flags (`AI_PASSIVE`, `AI_NUMERICHOST` are honoured). */
  flags?: number;
}

/**
 * A name resolution failure. Equivalent to Python's `socket.gaierror`:
 * `errno` is the `EAI_*` number (Linux's), `code` the resolver's code.
 */
export class GaiError extends Error {
  /** The `EAI_*` number, as `gaierror.errno` (for example -2, `EAI_NONAME`). */
  readonly errno: number;
  /** The resolver's code (for example `"ENOTFOUND"`). */
  readonly code: string;

  /** Creates the error. */
  constructor(errno: number, code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "GaiError";
    this.errno = errno;
    this.code = code;
  }
}

// Linux's EAI_* values, as Python's gaierror.errno carries them.
const EAI_NONAME = -2;
const EAI_AGAIN = -3;
const EAI_FAIL = -4;
const EAI_FAMILY = -6;
const EAI_SERVICE = -8;

/** 4 or 6 when `host` is a numeric IPv4 or IPv6 address, else 0. */
export function numericFamily(host: string): 0 | 4 | 6 {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(host)) {
    return 4;
  }
  if (!host.includes(":") || /[\[\]/]/.test(host)) return 0;
  try {
    new URL(`http://[${host}]/`);
    return 6;
  } catch {
    return 0;
  }
}

/**
 * Resolves `host` and `port` into socket addresses. Equivalent to Python's
 * `loop.getaddrinfo()`.
 *
 * @throws {GaiError} The host does not resolve, the family is not
 *   supported, or the port is not numeric.
 */
export async function getaddrinfo(
  host: string | null | undefined,
  port: string | number | null | undefined,
  options?: GetaddrinfoOptions,
): Promise<AddrInfo[]> {
  const family = options?.family ?? AF_UNSPEC;
  const type = options?.type ?? 0;
  const proto = options?.proto ?? 0;
  const flags = options?.flags ?? 0;
  if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) {
    throw new GaiError(EAI_FAMILY, "EAI_FAMILY", `Address family ${family} not supported`);
  }
  const portNumber = parsePort(port);
  let addresses: { address: string; family: number }[];
  if (host === null || host === undefined || host === "") {
    const passive = (flags & AI_PASSIVE) !== 0;
    addresses = [
      { address: passive ? "0.0.0.0" : "127.0.0.1", family: 4 },
      { address: passive ? "::" : "::1", family: 6 },
    ];
  } else if (numericFamily(host) !== 0) {
    addresses = [{ address: host, family: numericFamily(host) }];
  } else if ((flags & AI_NUMERICHOST) !== 0) {
    throw new GaiError(EAI_NONAME, "EAI_NONAME", "Name or service not known");
  } else {
    addresses = await lookupAll(host);
  }
  const wanted = family === AF_INET ? 4 : family === AF_INET6 ? 6 : 0;
  const types = type === 0 ? [SOCK_STREAM, SOCK_DGRAM] : [type];
  const result: AddrInfo[] = [];
  for (const address of addresses) {
    if (wanted !== 0 && address.family !== wanted) continue;
    for (const t of types) {
      const p = proto !== 0
        ? proto
        : t === SOCK_STREAM
        ? IPPROTO_TCP
        : t === SOCK_DGRAM
        ? IPPROTO_UDP
        : 0;
      result.push([address.family === 6 ? AF_INET6 : AF_INET, t, p, "", [
        address.address,
        portNumber,
      ]]);
    }
  }
  if (result.length === 0) {
    throw new GaiError(
      EAI_NONAME,
      "EAI_NONAME",
      `Cannot resolve ${JSON.stringify(host)}: no address of the requested family`,
    );
  }
  return result;
}

/**
 * Resolves a socket address into `[host, service]`. Equivalent to Python's
 * `loop.getnameinfo()`; with `NI_NUMERICHOST | NI_NUMERICSERV` no lookup runs.
 *
 * @throws {GaiError} The address is not numeric or the lookup fails.
 */
export async function getnameinfo(
  sockaddr: [host: string, port: number],
  flags = 0,
): Promise<[host: string, service: string]> {
  const [host, port] = sockaddr;
  if (typeof host !== "string" || numericFamily(host) === 0) {
    throw new GaiError(
      EAI_NONAME,
      "EAI_NONAME",
      `Cannot resolve name as 'sockaddr' must hold a numeric host: received ${
        JSON.stringify(host)
      }`,
    );
  }
  const numericHost = (flags & NI_NUMERICHOST) !== 0;
  const numericServ = (flags & NI_NUMERICSERV) !== 0;
  if (numericHost && numericServ) return [host, String(port)];
  const { lookupService } = await import("node:dns/promises");
  let answer: { hostname: string; service: string };
  try {
    answer = await lookupService(host, port);
  } catch (err) {
    throw gaiError(err, host);
  }
  return [numericHost ? host : answer.hostname, numericServ ? String(port) : answer.service];
}

async function lookupAll(host: string): Promise<{ address: string; family: number }[]> {
  // Loaded on first use: edge runtimes without node:dns can still import this module.
  const { lookup } = await import("node:dns/promises");
  try {
    return await lookup(host, { all: true });
  } catch (err) {
    throw gaiError(err, host);
  }
}

function gaiError(err: unknown, host: string): GaiError {
  const code = (err as { code?: unknown })?.code;
  const name = typeof code === "string" ? code : "EAI_FAIL";
  const errno = name === "ENOTFOUND" || name === "ENODATA"
    ? EAI_NONAME
    : name === "EAI_AGAIN"
    ? EAI_AGAIN
    : EAI_FAIL;
  const reason = errno === EAI_NONAME
    ? "Name or service not known"
    : errno === EAI_AGAIN
    ? "Temporary failure in name resolution"
    : "Non-recoverable failure in name resolution";
  return new GaiError(errno, name, `Cannot resolve ${JSON.stringify(host)}: ${reason} (${name})`, {
    cause: err,
  });
}

function parsePort(port: string | number | null | undefined): number {
  if (port === null || port === undefined) return 0;
  const value = typeof port === "string" && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new GaiError(
      EAI_SERVICE,
      "EAI_SERVICE",
      `Cannot resolve as 'port' must be an integer from 0 to 65535 or a numeric string: received ${
        JSON.stringify(port)
      }`,
    );
  }
  return value;
}
