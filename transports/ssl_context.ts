/**
 * `SSLContext`: the part of Python's `ssl.SSLContext` that Deno's own TLS
 * (rustls, through `Deno.startTls` and `Deno.listenTls`) can honour, and
 * the objects a TLS transport shows through `getExtraInfo`.
 *
 * What Deno cannot do fails with `NotImplementedError`, never silently: where
 * the context is used (the first three below) or where it is loaded (the
 * last):
 * - a client cannot skip the verification of the server's chain
 *   (`verifyMode = CERT_NONE`): only the process-wide
 *   `--unsafely-ignore-certificate-errors` flag does that;
 * - a client cannot send a certificate (`Deno.startTls` takes none);
 * - a server cannot ask for client certificates (`CERT_OPTIONAL`,
 *   `CERT_REQUIRED` on a server context);
 * - Deno always trusts its root store (Mozilla's, or the system's with
 *   `DENO_TLS_CA_STORE=system`) besides the CAs loaded here: a context
 *   cannot trust only its own CAs;
 * - keys must be unencrypted PEM (no `password`), and a CA directory
 *   (`capath`) cannot be loaded.
 *
 * @module
 */
import { NotImplementedError } from "../loop/exceptions.ts";

/** A client context: verifies the server's chain and name. Equivalent to `ssl.PROTOCOL_TLS_CLIENT`. */
export const PROTOCOL_TLS_CLIENT = 16;
/** A server context. Equivalent to `ssl.PROTOCOL_TLS_SERVER`. */
export const PROTOCOL_TLS_SERVER = 17;
/** Do not verify the peer's certificate. Equivalent to `ssl.CERT_NONE`. */
export const CERT_NONE = 0;
/** Verify the peer's certificate if it sends one. Equivalent to `ssl.CERT_OPTIONAL`. */
export const CERT_OPTIONAL = 1;
/** Require and verify the peer's certificate. Equivalent to `ssl.CERT_REQUIRED`. */
export const CERT_REQUIRED = 2;

/**
 * What a context made by {@linkcode createDefaultContext} is for.
 * Equivalent to Python's `ssl.Purpose`: `SERVER_AUTH` makes a client
 * context (it authenticates servers), `CLIENT_AUTH` a server context.
 */
export const Purpose = {
  /** A client context, to authenticate servers. */
  SERVER_AUTH: "SERVER_AUTH",
  /** A server context, to authenticate clients. */
  CLIENT_AUTH: "CLIENT_AUTH",
} as const;

/** One of {@linkcode Purpose}'s values. */
export type Purpose = typeof Purpose[keyof typeof Purpose];

/**
 * A TLS failure: a handshake the peer or the local end refused. Equivalent
 * to Python's `ssl.SSLError`; Deno's own error is the `cause`.
 *
 * @example
 * ```ts
 * import { SSLError } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new SSLError("received fatal alert: UnknownCA").name, "SSLError");
 * ```
 */
export class SSLError extends Error {
  /** Creates the error; `options.cause` holds Deno's error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SSLError";
  }
}

/**
 * The peer's certificate failed verification (unknown issuer, wrong name,
 * expired). Equivalent to Python's `ssl.SSLCertVerificationError`.
 *
 * @example
 * ```ts
 * import { SSLCertVerificationError, SSLError } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * assert.ok(new SSLCertVerificationError("invalid peer certificate") instanceof SSLError);
 * ```
 */
export class SSLCertVerificationError extends SSLError {
  /** Creates the error; `options.cause` holds Deno's error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SSLCertVerificationError";
  }
}

/** A certificate chain and its key, as PEM text: the argument of `loadCertChainPem`. */
export interface CertChainPem {
  /** The certificate chain: the leaf first, then its intermediates. */
  cert: string;
  /** The unencrypted private key (PKCS#8, PKCS#1 or SEC1). */
  key: string;
}

/** Options of {@linkcode createDefaultContext}. Equivalent to the keyword arguments of Python's. */
export interface CreateDefaultContextOptions {
  /** `Purpose.SERVER_AUTH` (default: a client context) or `Purpose.CLIENT_AUTH` (a server context). */
  purpose?: Purpose;
  /** A PEM file of CA certificates to trust (needs `--allow-read`). */
  cafile?: string | null;
  /** Not supported: a directory of CA certificates (throws `NotImplementedError`). */
  capath?: string | null;
  /** CA certificates to trust: PEM text, or DER bytes. */
  cadata?: string | Uint8Array | null;
}

/** What a client hands to `Deno.startTls`. */
export interface ClientTlsOptions {
  /** The name sent as SNI and verified against the certificate. */
  hostname: string;
  /** CAs trusted besides Deno's root store. */
  caCerts: string[];
  /** ALPN protocols offered (absent when none). */
  alpnProtocols?: string[];
  /** Whether the name check is off (`checkHostname = false`). */
  unsafelyDisableHostnameVerification: boolean;
}

/** What a server hands to `Deno.listenTls`. */
export interface ServerTlsOptions {
  /** The certificate chain, PEM. */
  cert: string;
  /** The private key, PEM. */
  key: string;
  /** ALPN protocols accepted (absent when none). */
  alpnProtocols?: string[];
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * TLS settings for `createConnection`, `createServer` and the streams.
 * Equivalent to Python's `ssl.SSLContext`, the subset Deno's TLS can
 * honour (see the module notes): a protocol (client or server), a
 * certificate chain, trusted CAs, `checkHostname`, `verifyMode` and ALPN.
 *
 * A client context starts with `checkHostname = true` and
 * `verifyMode = CERT_REQUIRED`, a server context with `false` and
 * `CERT_NONE`, as in Python. What Deno cannot do is refused when the
 * context is used: a client with `CERT_NONE` or with a certificate chain,
 * a server with `CERT_OPTIONAL`/`CERT_REQUIRED` or without a chain
 * (`NotImplementedError` or `TypeError`, naming the reason).
 *
 * @example A server context and a client context that trusts its CA
 * ```ts
 * import {
 *   createDefaultContext,
 *   Purpose,
 *   SSLContext,
 *   PROTOCOL_TLS_SERVER,
 * } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const fixtures = new URL("../tests/transports/fixtures/", import.meta.url);
 * const server = new SSLContext(PROTOCOL_TLS_SERVER);
 * server.loadCertChain(new URL("cert.pem", fixtures).pathname, new URL("key.pem", fixtures).pathname);
 * server.setAlpnProtocols(["http/1.1"]);
 *
 * const client = createDefaultContext({ purpose: Purpose.SERVER_AUTH });
 * client.loadVerifyLocations(new URL("ca.pem", fixtures).pathname);
 * assert.equal(client.checkHostname, true);
 * ```
 */
export class SSLContext {
  readonly #protocol: number;
  #checkHostname: boolean;
  #verifyMode: number;
  #chain: CertChainPem | null = null;
  readonly #caCerts: string[] = [];
  #alpn: string[] | null = null;

  /**
   * Creates a context for `protocol`: `PROTOCOL_TLS_CLIENT` (the default)
   * or `PROTOCOL_TLS_SERVER`. Equivalent to `ssl.SSLContext(protocol)`.
   *
   * @throws {RangeError} `protocol` is neither.
   */
  constructor(protocol: number = PROTOCOL_TLS_CLIENT) {
    if (protocol !== PROTOCOL_TLS_CLIENT && protocol !== PROTOCOL_TLS_SERVER) {
      throw new RangeError(
        `Cannot create SSL context as 'protocol' must be PROTOCOL_TLS_CLIENT (16) or PROTOCOL_TLS_SERVER (17): received ${
          String(protocol)
        }`,
      );
    }
    this.#protocol = protocol;
    const client = protocol === PROTOCOL_TLS_CLIENT;
    this.#checkHostname = client;
    this.#verifyMode = client ? CERT_REQUIRED : CERT_NONE;
  }

  /** `PROTOCOL_TLS_CLIENT` or `PROTOCOL_TLS_SERVER`. Equivalent to `protocol`. */
  get protocol(): number {
    return this.#protocol;
  }

  /**
   * Whether a client checks the server's name against its certificate.
   * Turning it on also sets `verifyMode` to `CERT_REQUIRED` when it was
   * `CERT_NONE`, as in Python; off maps to Deno's
   * `unsafelyDisableHostnameVerification` (the chain is still verified).
   */
  get checkHostname(): boolean {
    return this.#checkHostname;
  }

  set checkHostname(value: boolean) {
    if (typeof value !== "boolean") {
      throw new TypeError(
        `Cannot set checkHostname as it must be a boolean: received ${typeof value}`,
      );
    }
    if (value && this.#verifyMode === CERT_NONE) this.#verifyMode = CERT_REQUIRED;
    this.#checkHostname = value;
  }

  /**
   * `CERT_NONE`, `CERT_OPTIONAL` or `CERT_REQUIRED`. Equivalent to
   * `verify_mode`. A client context with `CERT_NONE` cannot be used (Deno
   * always verifies the server's chain unless the process runs with
   * `--unsafely-ignore-certificate-errors`); a server context with
   * `CERT_OPTIONAL` or `CERT_REQUIRED` cannot either (Deno's TLS server
   * asks for no client certificate).
   *
   * @throws {RangeError} Not one of the three.
   * @throws {TypeError} `CERT_NONE` while `checkHostname` is on (Python's `ValueError`).
   */
  get verifyMode(): number {
    return this.#verifyMode;
  }

  set verifyMode(value: number) {
    if (value !== CERT_NONE && value !== CERT_OPTIONAL && value !== CERT_REQUIRED) {
      throw new RangeError(
        `Cannot set verifyMode as it must be CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED: received ${
          String(value)
        }`,
      );
    }
    if (value === CERT_NONE && this.#checkHostname) {
      throw new TypeError(
        "Cannot set verifyMode to CERT_NONE as checkHostname is enabled: turn checkHostname off first",
      );
    }
    this.#verifyMode = value;
  }

  /**
   * Reads the certificate chain from the PEM file `certfile` and the
   * private key from `keyfile` (default: `certfile` too, which then holds
   * both). Equivalent to `load_cert_chain()`. Needs `--allow-read`.
   *
   * @throws {TypeError} A path is not a non-empty string, or the files hold
   *   no certificate or no private key.
   * @throws {NotImplementedError} `password` is given, or the key is
   *   encrypted: Deno takes only unencrypted keys.
   * @throws {Deno.errors.NotFound} A file does not exist.
   * @throws {Deno.errors.NotCapable} No read permission.
   */
  loadCertChain(certfile: string, keyfile?: string | null, password?: unknown): void {
    checkPath(certfile, "certfile");
    if (keyfile !== undefined && keyfile !== null) checkPath(keyfile, "keyfile");
    if (password !== undefined && password !== null) {
      throw new NotImplementedError(
        "Cannot load cert chain with 'password': Deno's TLS takes only unencrypted PEM keys",
      );
    }
    const certText = Deno.readTextFileSync(certfile);
    const keyText = keyfile === undefined || keyfile === null
      ? certText
      : Deno.readTextFileSync(keyfile);
    this.#chain = splitChain(certText, keyText, `'${certfile}'`);
  }

  /**
   * Uses the certificate chain and key given as PEM text: the Deno-style
   * form of `loadCertChain`, needing no file access.
   *
   * @throws {TypeError} `pem.cert` holds no certificate or `pem.key` no private key.
   * @throws {NotImplementedError} The key is encrypted: Deno takes only
   *   unencrypted keys.
   */
  loadCertChainPem(pem: CertChainPem): void {
    if (pem === null || typeof pem !== "object") {
      throw new TypeError("Cannot load cert chain as 'pem' must be an object with cert and key");
    }
    if (typeof pem.cert !== "string" || typeof pem.key !== "string") {
      throw new TypeError(
        "Cannot load cert chain as 'pem.cert' and 'pem.key' must be PEM strings",
      );
    }
    this.#chain = splitChain(pem.cert, pem.key, "'pem'");
  }

  /**
   * Trusts the CA certificates in the PEM file `cafile` and/or `cadata`
   * (PEM text, or DER bytes), besides Deno's root store. Equivalent to
   * `load_verify_locations()`. `cafile` needs `--allow-read`.
   *
   * @throws {TypeError} None is given, or they hold no certificate.
   * @throws {NotImplementedError} `capath` is given: Deno's TLS cannot
   *   look certificates up in a directory (load the files as `cafile`).
   */
  loadVerifyLocations(
    cafile?: string | null,
    capath?: string | null,
    cadata?: string | Uint8Array | null,
  ): void {
    const none = (v: unknown) => v === undefined || v === null;
    if (none(cafile) && none(capath) && none(cadata)) {
      throw new TypeError(
        "Cannot load verify locations as 'cafile', 'capath' or 'cadata' must be given",
      );
    }
    if (!none(capath)) {
      throw new NotImplementedError(
        "Cannot load verify locations from 'capath': Deno's TLS cannot look CA certificates up in a directory; load each file as 'cafile'",
      );
    }
    const found: string[] = [];
    if (!none(cafile)) {
      checkPath(cafile, "cafile");
      found.push(...certificates(Deno.readTextFileSync(cafile as string), `'${cafile}'`));
    }
    if (typeof cadata === "string") {
      found.push(...certificates(cadata, "'cadata'"));
    } else if (cadata instanceof Uint8Array) {
      found.push(...derToPem(cadata));
    } else if (!none(cadata)) {
      throw new TypeError(
        `Cannot load verify locations as 'cadata' must be a string or a Uint8Array: received ${typeof cadata}`,
      );
    }
    this.#caCerts.push(...found);
  }

  /**
   * The protocols to offer (client) or accept (server) through ALPN, in
   * order of preference. Equivalent to `set_alpn_protocols()`.
   *
   * @throws {TypeError} `protocols` is not a list of strings of 1 to 255 bytes.
   */
  setAlpnProtocols(protocols: readonly string[]): void {
    if (!Array.isArray(protocols)) {
      throw new TypeError(
        `Cannot set ALPN protocols as 'protocols' must be a list of strings: received ${typeof protocols}`,
      );
    }
    for (const p of protocols) {
      const size = typeof p === "string" ? new TextEncoder().encode(p).length : 0;
      if (size === 0 || size > 255) {
        throw new TypeError(
          `Cannot set ALPN protocols as each must be a string of 1 to 255 bytes: received ${
            typeof p === "string" ? JSON.stringify(p) : typeof p
          }`,
        );
      }
    }
    this.#alpn = protocols.length === 0 ? null : [...protocols];
  }

  /** A readable form: the protocol and the settings. */
  toString(): string {
    const side = this.#protocol === PROTOCOL_TLS_CLIENT ? "client" : "server";
    return `<SSLContext ${side} checkHostname=${this.#checkHostname} verifyMode=${this.#verifyMode}>`;
  }

  /**
   * What `Deno.startTls` needs to connect to `serverHostname`; used by
   * `createConnection`, not meant for users.
   *
   * @throws {TypeError} This is a server context.
   * @throws {NotImplementedError} `verifyMode` is `CERT_NONE`, or a
   *   certificate chain is loaded.
   */
  _clientOptions(serverHostname: string): ClientTlsOptions {
    if (this.#protocol !== PROTOCOL_TLS_CLIENT) {
      throw new TypeError(
        "Cannot create connection as 'ssl' must be a client context (PROTOCOL_TLS_CLIENT): received a server context",
      );
    }
    if (this.#verifyMode === CERT_NONE) {
      throw new NotImplementedError(
        "Cannot create connection with verifyMode CERT_NONE: Deno's TLS client always verifies the server's certificate chain; only the process-wide --unsafely-ignore-certificate-errors flag turns that off (checkHostname = false skips the name check alone)",
      );
    }
    if (this.#chain !== null) {
      throw new NotImplementedError(
        "Cannot create connection with a client certificate: Deno.startTls() sends none",
      );
    }
    return {
      hostname: serverHostname,
      caCerts: [...this.#caCerts],
      ...(this.#alpn === null ? {} : { alpnProtocols: [...this.#alpn] }),
      unsafelyDisableHostnameVerification: !this.#checkHostname,
    };
  }

  /**
   * What `Deno.listenTls` needs; used by `createServer`, not meant for users.
   *
   * @throws {TypeError} This is a client context, or no certificate chain is loaded.
   * @throws {NotImplementedError} `verifyMode` asks for client certificates.
   */
  _serverOptions(): ServerTlsOptions {
    if (this.#protocol !== PROTOCOL_TLS_SERVER) {
      throw new TypeError(
        "Cannot create server as 'ssl' must be a server context (PROTOCOL_TLS_SERVER): received a client context",
      );
    }
    if (this.#verifyMode !== CERT_NONE) {
      throw new NotImplementedError(
        "Cannot create server with verifyMode CERT_OPTIONAL or CERT_REQUIRED: Deno's TLS server cannot ask for client certificates",
      );
    }
    if (this.#chain === null) {
      throw new TypeError(
        "Cannot create server as the 'ssl' context has no certificate chain: call loadCertChain() first",
      );
    }
    return {
      cert: this.#chain.cert,
      key: this.#chain.key,
      ...(this.#alpn === null ? {} : { alpnProtocols: [...this.#alpn] }),
    };
  }
}

/**
 * Makes a context with the default settings for `purpose`. Equivalent to
 * Python's `ssl.create_default_context()`: `Purpose.SERVER_AUTH` (the
 * default) gives a client context that verifies the server's chain and
 * name, `Purpose.CLIENT_AUTH` a server context; `cafile` and `cadata` are
 * trusted besides Deno's root store, which is always trusted (Python's
 * `load_default_certs()` has nothing left to do).
 *
 * @throws {TypeError} `purpose` is not a `Purpose`, or as `loadVerifyLocations`.
 * @throws {NotImplementedError} `capath` is given.
 *
 * @example A client context for `createConnection`
 * ```ts
 * import { createDefaultContext, CERT_REQUIRED } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * const context = createDefaultContext();
 * context.setAlpnProtocols(["h2", "http/1.1"]);
 * assert.equal(context.verifyMode, CERT_REQUIRED);
 * ```
 */
export function createDefaultContext(options?: CreateDefaultContextOptions): SSLContext {
  const purpose = options?.purpose ?? Purpose.SERVER_AUTH;
  if (purpose !== Purpose.SERVER_AUTH && purpose !== Purpose.CLIENT_AUTH) {
    throw new TypeError(
      `Cannot create default context as 'purpose' must be Purpose.SERVER_AUTH or Purpose.CLIENT_AUTH: received ${
        JSON.stringify(purpose)
      }`,
    );
  }
  const context = new SSLContext(
    purpose === Purpose.SERVER_AUTH ? PROTOCOL_TLS_CLIENT : PROTOCOL_TLS_SERVER,
  );
  const { cafile = null, capath = null, cadata = null } = options ?? {};
  if (cafile !== null || capath !== null || cadata !== null) {
    context.loadVerifyLocations(cafile, capath, cadata);
  }
  return context;
}

/**
 * The TLS side of a transport: `getExtraInfo("ssl_object")`. Equivalent to
 * the parts of Python's `ssl.SSLObject` that Deno reports: the side, the
 * server name and the negotiated ALPN protocol. Deno does not report the
 * protocol version, the cipher or the peer's certificate, so `version()`,
 * `cipher()` and `getpeercert()` return null.
 *
 * @example Read the negotiated protocol of a TLS transport
 * ```ts
 * import { SSLObject } from "@aio/asyncio/transports";
 * import assert from "node:assert/strict";
 *
 * // A transport makes it; its ALPN protocol is known after the handshake.
 * const object = new SSLObject({ serverSide: false, serverHostname: "localhost" });
 * assert.equal(object.selectedAlpnProtocol(), null);
 * assert.equal(object.version(), null);
 * ```
 */
export class SSLObject {
  /** Whether this is the server's end. Equivalent to `server_side`. */
  readonly serverSide: boolean;
  /** The name the client verified (null on the server). Equivalent to `server_hostname`. */
  readonly serverHostname: string | null;
  #alpn: string | null = null;

  /** Made by TLS transports; `init` gives the side and the server name. */
  constructor(init: { serverSide: boolean; serverHostname: string | null }) {
    this.serverSide = init.serverSide;
    this.serverHostname = init.serverHostname;
  }

  /** The ALPN protocol the handshake agreed on, or null. Equivalent to `selected_alpn_protocol()`. */
  selectedAlpnProtocol(): string | null {
    return this.#alpn;
  }

  /** Null: Deno does not report the TLS version. Equivalent to `version()`. */
  version(): string | null {
    return null;
  }

  /** Null: Deno does not report the cipher. Equivalent to `cipher()`. */
  cipher(): [string, string, number] | null {
    return null;
  }

  /** Null: Deno does not show the peer's certificate. Equivalent to `getpeercert()`. */
  getpeercert(): Record<string, unknown> | null {
    return null;
  }

  /** Records the handshake's outcome; called by the transport, not meant for users. */
  _handshakeDone(alpnProtocol: string | null): void {
    this.#alpn = alpnProtocol;
  }
}

function checkPath(path: unknown, name: string): void {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `Cannot load ${
        name === "cafile" ? "verify locations" : "cert chain"
      } as '${name}' must be a non-empty path: received ${
        typeof path === "string" ? '""' : typeof path
      }`,
    );
  }
}

function blocks(text: string, accept: (label: string) => boolean): string[] {
  return [...text.matchAll(PEM_BLOCK)].filter((m) => accept(m[1])).map((m) => m[0]);
}

function certificates(text: string, where: string): string[] {
  const found = blocks(text, (label) => label === "CERTIFICATE");
  if (found.length === 0) {
    throw new TypeError(`Cannot load certificates as ${where} holds no PEM certificate`);
  }
  return found;
}

function splitChain(certText: string, keyText: string, where: string): CertChainPem {
  const cert = certificates(certText, where).join("\n");
  const keys = blocks(keyText, (label) => label.endsWith("PRIVATE KEY"));
  if (keys.length === 0) {
    throw new TypeError(`Cannot load cert chain as ${where} holds no PEM private key`);
  }
  if (keys[0].includes("ENCRYPTED")) {
    throw new NotImplementedError(
      "Cannot load cert chain with an encrypted key: Deno's TLS takes only unencrypted PEM keys",
    );
  }
  return { cert: cert + "\n", key: keys[0] + "\n" };
}

// DER certificates, one after another, each an ASN.1 SEQUENCE, as PEM blocks.
function derToPem(der: Uint8Array): string[] {
  const found: string[] = [];
  let at = 0;
  while (at < der.length) {
    let size = -1;
    let header = 2;
    if (der[at] === 0x30 && at + 1 < der.length) {
      const first = der[at + 1];
      if (first < 0x80) size = first;
      else if (first > 0x80 && first <= 0x84 && at + 2 + (first & 0x7f) <= der.length) {
        size = 0;
        for (let i = 0; i < (first & 0x7f); i++) size = size * 256 + der[at + 2 + i];
        header += first & 0x7f;
      }
    }
    if (size < 0 || at + header + size > der.length) {
      throw new TypeError(
        "Cannot load verify locations as 'cadata' bytes are not DER certificates",
      );
    }
    const body = der.subarray(at, at + header + size);
    const base64 = btoa(String.fromCharCode(...body)).replace(/.{64}/g, "$&\n").trimEnd();
    found.push(`-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----`);
    at += header + size;
  }
  if (found.length === 0) {
    throw new TypeError("Cannot load verify locations as 'cadata' holds no certificate");
  }
  return found;
}
