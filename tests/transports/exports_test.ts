/** The export surface of `@aio/asyncio/transports`, also reachable from the root module. */
import assert from "node:assert/strict";
import * as root from "../../mod.ts";
import * as transports from "../../transports/mod.ts";

const NAMES = [
  "BaseProtocol",
  "Protocol",
  "BufferedProtocol",
  "DatagramProtocol",
  "SubprocessProtocol",
  "Server",
  "TransportSocket",
  "SSLContext",
  "SSLObject",
  "SSLError",
  "SSLCertVerificationError",
  "createDefaultContext",
  "Purpose",
  "PROTOCOL_TLS_CLIENT",
  "PROTOCOL_TLS_SERVER",
  "CERT_NONE",
  "CERT_OPTIONAL",
  "CERT_REQUIRED",
];

Deno.test("@aio/asyncio/transports exports asyncio's protocol classes, Server and the ssl names", () => {
  assert.deepEqual(NAMES.filter((name) => !(name in transports)), []);
  assert.deepEqual(NAMES.filter((name) => !(name in root)), []);
});

Deno.test("Protocol's default callbacks do nothing, as Python's", () => {
  const p = new transports.Protocol();
  p.connectionMade({} as transports.BaseTransport);
  p.dataReceived(new Uint8Array(1));
  assert.equal(p.eofReceived(), undefined);
  p.pauseWriting();
  p.resumeWriting();
  p.connectionLost(null);
  assert.throws(() => new transports.BufferedProtocol().getBuffer(-1), root.NotImplementedError);
});
