/**
 * `struct sockaddr_in`, `sockaddr_in6` and `sockaddr_un` in a byte buffer
 * (Linux layouts, the same on x86_64 and aarch64), for the descriptor
 * sockets. Numeric addresses only: names are resolved by the caller
 * (`getaddrinfo`).
 *
 * @module
 */
import type { SockAddr } from "./fd_socket.ts";
import { AF_INET, AF_INET6, AF_UNIX } from "./socket_constants.ts";

/** `sizeof(struct sockaddr_un)`, the largest address we encode. */
export const SOCKADDR_MAX = 110;

function parseIpv4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

function parseIpv6(host: string): number[] | null {
  const halves = host.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * Writes `address` for `family` into `buf`; the address length.
 *
 * @throws {TypeError} The address does not fit the family, or the host is not numeric.
 */
export function encodeSockaddr(family: number, address: unknown, buf: Uint8Array): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf.fill(0);
  view.setUint16(0, family, true);
  if (family === AF_UNIX) {
    if (typeof address !== "string" || address.length === 0) {
      throw new TypeError(
        `Cannot use address as 'address' must be a non-empty path for AF_UNIX: received ${
          String(address)
        }`,
      );
    }
    const path = new TextEncoder().encode(address);
    if (path.length > SOCKADDR_MAX - 3) {
      throw new TypeError(`Cannot use address: the path is ${path.length} bytes, at most 107`);
    }
    buf.set(path, 2);
    // An abstract name ("\0name") has no terminating NUL.
    return path[0] === 0 ? 2 + path.length : 3 + path.length;
  }
  if (
    !Array.isArray(address) || typeof address[0] !== "string" ||
    !Number.isInteger(address[1]) || address[1] < 0 || address[1] > 65535
  ) {
    throw new TypeError(
      `Cannot use address as 'address' must be [host, port] with a port from 0 to 65535: received ${
        String(address)
      }`,
    );
  }
  const [host, port] = address as [string, number];
  view.setUint16(2, port, false);
  if (family === AF_INET) {
    const ip = parseIpv4(host === "" ? "0.0.0.0" : host);
    if (ip === null) throw numericOnly(host, "IPv4");
    buf.set(ip, 4);
    return 16;
  }
  if (family === AF_INET6) {
    const ip = parseIpv6(host === "" ? "::" : host);
    if (ip === null) throw numericOnly(host, "IPv6");
    buf.set(ip, 8);
    return 28;
  }
  throw new TypeError(`Cannot use address: family ${family} is not AF_INET, AF_INET6 or AF_UNIX`);
}

function numericOnly(host: string, kind: string): TypeError {
  return new TypeError(
    `Cannot use address as the host must be a numeric ${kind} address (resolve names with loop.getaddrinfo()): received '${host}'`,
  );
}

/** Reads the address of `len` bytes in `buf`. */
export function decodeSockaddr(buf: Uint8Array, len: number): SockAddr {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const family = len >= 2 ? view.getUint16(0, true) : AF_UNIX;
  if (family === AF_INET) {
    return [Array.from(buf.subarray(4, 8)).join("."), view.getUint16(2, false)];
  }
  if (family === AF_INET6) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(view.getUint16(8 + 2 * i, false).toString(16));
    return [compressIpv6(groups), view.getUint16(2, false)];
  }
  if (len <= 2) return "";
  const path = buf.subarray(2, len);
  const end = path[0] === 0 ? path.length : path.indexOf(0);
  return new TextDecoder().decode(path.subarray(0, end < 0 ? path.length : end));
}

// RFC 5952: the longest run (at least two) of zero groups becomes "::".
function compressIpv6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}
