/**
 * TLS over `createConnection`/`createServer` (Deno's own TLS) on every loop
 * (`LOOPS`: with -A the selector loop runs on the epoll selector, without
 * FFI on the Deno-ops one): echo, ALPN, verification errors, timeouts,
 * half-close, close, cancellation, and the checks of every option.
 */
import assert from "node:assert/strict";
import {
  CancelledError,
  type ExceptionContext,
  NotImplementedError,
  ProactorEventLoop,
  SelectorEventLoop,
  setLogger,
  TimeoutError,
} from "../../loop/mod.ts";
import {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  createDefaultContext,
  createSocket,
  EpollSelector,
  type ProactorIo,
  Protocol,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
  type Server,
  SSLCertVerificationError,
  SSLContext,
  SSLError,
  SSLObject,
  type Transport,
} from "../../transports/mod.ts";
import { ProactorStreamTransport, type StreamConn } from "../../transports/stream_transport.ts";
import type { Future } from "../../tasks/future.ts";
import { FFI } from "./_epoll.ts";
import { addressOf, bytes, Echo, LOOPS, onLoop, Recorder } from "./_helpers.ts";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const CERT = `${FIXTURES}cert.pem`;
const KEY = `${FIXTURES}key.pem`;
const CA = `${FIXTURES}ca.pem`;

// Debug mode logs through the library's logger: keep it off the test output.
function captureDebug(): Disposable & { lines: string[] } {
  const lines: string[] = [];
  const previous = setLogger({
    error: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    debug: (m) => lines.push(m),
  });
  return { lines, [Symbol.dispose]: () => setLogger(previous) };
}

// A plain TCP server that never answers a ClientHello: its one connection's
// protocol arrives in `accepted`.
async function silentServer(
  loop: ProactorEventLoop | SelectorEventLoop,
): Promise<{ silent: Server; accepted: Future<Recorder>; port: number }> {
  const accepted = loop.createFuture<Recorder>();
  const silent = await loop.createServer(
    () => {
      const p = new Recorder(loop);
      accepted.setResult(p);
      return p;
    },
    "127.0.0.1",
    0,
  );
  return { silent, accepted, port: addressOf(silent)[1] };
}

function serverContext(alpn?: string[]): SSLContext {
  const context = createDefaultContext({ purpose: Purpose.CLIENT_AUTH });
  context.loadCertChain(CERT, KEY);
  if (alpn !== undefined) context.setAlpnProtocols(alpn);
  return context;
}

function clientContext(alpn?: string[]): SSLContext {
  const context = createDefaultContext({ cafile: CA });
  if (alpn !== undefined) context.setAlpnProtocols(alpn);
  return context;
}

// A TLS server whose connections are Recorders (in `served`, each set up by
// `configure`), a client connected to it, and `connect()` for more clients.
async function tlsRecorders(
  loop: ProactorEventLoop | SelectorEventLoop,
  configure: (served: Recorder) => void = () => {},
): Promise<{
  server: Server;
  served: Recorder[];
  transport: Transport;
  client: Recorder;
  connect(): Promise<[Transport, Recorder]>;
}> {
  const served: Recorder[] = [];
  const server = await loop.createServer(
    () => {
      const p = new Recorder(loop);
      configure(p);
      served.push(p);
      return p;
    },
    "127.0.0.1",
    0,
    { ssl: serverContext() },
  );
  const [, port] = addressOf(server);
  const connect = () =>
    loop.createConnection(() => new Recorder(loop), "localhost", port, { ssl: clientContext() });
  const [transport, client] = await connect();
  return { server, served, transport, client, connect };
}

// A TLS client connects to `port`, writes, and the newest of `served` (the
// server's Recorders) receives it: the server still serves after a failure.
async function assertServesOn(
  loop: ProactorEventLoop | SelectorEventLoop,
  port: number,
  served: Recorder[],
): Promise<void> {
  const [transport, client] = await loop.createConnection(
    () => new Recorder(loop),
    "localhost",
    port,
    { ssl: clientContext() },
  );
  transport.write(bytes("still serving"));
  await served[served.length - 1].waitFor(13, loop);
  assert.equal(served[served.length - 1].text(), "still serving");
  transport.close();
  await client.lost;
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: createConnection({ ssl }) and createServer({ ssl }) echo both ways after the handshake`, async () => {
    const errors: ExceptionContext[] = [];
    await onLoop(make, async (loop) => {
      const served: Echo[] = [];
      const sslServer = serverContext();
      const server = await loop.createServer(
        () => {
          const p = new Echo(loop);
          served.push(p);
          return p;
        },
        "127.0.0.1",
        0,
        { ssl: sslServer },
      );
      const [host, port] = addressOf(server);
      const sslClient = clientContext();
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        "localhost",
        port,
        { ssl: sslClient },
      );
      assert.deepEqual(client.events, ["made"]);
      assert.equal(transport.getExtraInfo("sslcontext"), sslClient);
      const object = transport.getExtraInfo("ssl_object") as SSLObject;
      assert.ok(object instanceof SSLObject);
      assert.equal(object.serverSide, false);
      assert.equal(object.serverHostname, "localhost");
      assert.equal(object.selectedAlpnProtocol(), null);
      assert.equal(object.version(), null);
      assert.equal(object.cipher(), null);
      assert.equal(transport.getExtraInfo("peercert"), null);
      const peer = transport.getExtraInfo("peername") as [string, number];
      assert.equal(peer[1], port);
      assert.equal((transport.getExtraInfo("sockname") as [string, number])[0], peer[0]);
      assert.equal(transport.canWriteEof(), true);

      const payload = new Uint8Array(300_000).map((_, i) => i % 251);
      transport.write(bytes("hello "));
      transport.write(payload);
      await client.waitFor(6 + payload.length, loop);
      const got = new Uint8Array(client.received);
      let at = 0;
      for (const c of client.chunks) {
        got.set(c, at);
        at += c.length;
      }
      assert.equal(new TextDecoder().decode(got.subarray(0, 6)), "hello ");
      assert.deepEqual(got.subarray(6), payload);

      assert.equal(served.length, 1);
      const serverSide = served[0].transport!;
      assert.equal(serverSide.getExtraInfo("sslcontext"), sslServer);
      assert.equal((serverSide.getExtraInfo("ssl_object") as SSLObject).serverSide, true);
      assert.deepEqual(serverSide.getExtraInfo("sockname"), [host, port]);
      serverSide.write(bytes("from server"));
      await client.waitFor(6 + payload.length + 11, loop);

      transport.close();
      await client.lost;
      await served[0].lost;
      assert.deepEqual(client.events, ["made", "data", "lost"]);
      assert.deepEqual(served[0].events, ["made", "data", "eof", "lost"]);
      assert.equal(client.lostWith, null);
      server.close();
      await server.waitClosed();
    }, errors);
    assert.deepEqual(errors, []);
  });

  Deno.test(`${name}: createConnection({ ssl }) negotiates ALPN`, async () => {
    await onLoop(make, async (loop) => {
      const served: Recorder[] = [];
      await using server = await loop.createServer(
        () => {
          const p = new Recorder(loop);
          served.push(p);
          return p;
        },
        "127.0.0.1",
        0,
        { ssl: serverContext(["h2", "http/1.1"]) },
      );
      const [, port] = addressOf(server);
      const [transport] = await loop.createConnection(() => new Recorder(loop), "127.0.0.1", port, {
        ssl: clientContext(["http/1.1"]),
      });
      const object = transport.getExtraInfo("ssl_object") as SSLObject;
      assert.equal(object.selectedAlpnProtocol(), "http/1.1");
      assert.equal(object.serverHostname, "127.0.0.1");
      await served[0].made;
      const serverObject = served[0].transport!.getExtraInfo("ssl_object") as SSLObject;
      assert.equal(serverObject.selectedAlpnProtocol(), "http/1.1");
      transport.close();
      await served[0].lost;
    });
  });

  Deno.test(`${name}: createConnection({ ssl: true }) rejects a CA it does not trust, and the server serves on`, async () => {
    const errors: ExceptionContext[] = [];
    using _ = captureDebug();
    await onLoop(make, async (loop) => {
      loop.setDebug(true);
      const served: Recorder[] = [];
      await using server = await loop.createServer(
        () => {
          const p = new Recorder(loop);
          served.push(p);
          return p;
        },
        "127.0.0.1",
        0,
        { ssl: serverContext() },
      );
      const [, port] = addressOf(server);
      const made: Recorder[] = [];
      await assert.rejects(
        loop.createConnection(
          () => {
            const p = new Recorder(loop);
            made.push(p);
            return p;
          },
          "localhost",
          port,
          { ssl: true },
        ),
        (e: Error) =>
          e instanceof SSLCertVerificationError && e.message.includes("UnknownIssuer") &&
          e.cause instanceof Deno.errors.InvalidData,
      );
      // The protocol never heard of the connection.
      assert.deepEqual(made[0].events, []);
      // The server's side of it failed too, was reported (debug mode) and closed.
      await assertServesOn(loop, port, served);
      assert.equal(served.length, 2);
      assert.deepEqual(served[0].events, []);
    }, errors);
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, "Error on transport creation for incoming connection");
    assert.ok(errors[0].exception instanceof SSLError);
  });

  Deno.test(`${name}: createConnection({ ssl }) checks the host name unless checkHostname is false`, async () => {
    await onLoop(make, async (loop) => {
      await using server = await loop.createServer(() => new Echo(loop), "127.0.0.1", 0, {
        ssl: serverContext(),
      });
      const [, port] = addressOf(server);
      await assert.rejects(
        loop.createConnection(() => new Recorder(loop), "127.0.0.1", port, {
          ssl: clientContext(),
          serverHostname: "wrong.example",
        }),
        (e: Error) =>
          e instanceof SSLCertVerificationError && e.message.includes('"wrong.example"'),
      );
      const relaxed = clientContext();
      relaxed.checkHostname = false;
      assert.equal(relaxed.verifyMode, CERT_REQUIRED);
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        "127.0.0.1",
        port,
        { ssl: relaxed, serverHostname: "wrong.example" },
      );
      assert.equal(
        (transport.getExtraInfo("ssl_object") as SSLObject).serverHostname,
        "wrong.example",
      );
      transport.write(bytes("ok"));
      await client.waitFor(2, loop);
      transport.close();
      await client.lost;
    });
  });

  Deno.test(`${name}: createConnection({ ssl }) aborts a handshake that takes longer than sslHandshakeTimeout`, async () => {
    await onLoop(make, async (loop) => {
      const { silent, accepted, port } = await silentServer(loop);
      const made: Recorder[] = [];
      const started = loop.time();
      await assert.rejects(
        loop.createConnection(
          () => {
            const p = new Recorder(loop);
            made.push(p);
            return p;
          },
          "localhost",
          port,
          { ssl: clientContext(), sslHandshakeTimeout: 0.2 },
        ),
        (e: Error) =>
          e instanceof Deno.errors.ConnectionAborted &&
          e.message === "SSL handshake is taking longer than 0.2 seconds: aborting the connection",
      );
      assert.ok(loop.time() - started >= 0.19);
      assert.deepEqual(made[0].events, []);
      // Deno lets the socket go once its handshake task hears from the peer:
      // the answer is an alert, then the end of the connection.
      const peer = await accepted;
      peer.transport!.write(bytes("not a ServerHello\r\n"));
      await peer.lost;
      assert.deepEqual(peer.events, ["made", "data", "eof", "lost"]);
      silent.close();
      await silent.waitClosed();
    });
  });

  Deno.test(`${name}: createServer({ ssl }) drops a client whose handshake times out and serves on`, async () => {
    const errors: ExceptionContext[] = [];
    using _ = captureDebug();
    await onLoop(make, async (loop) => {
      // A failed incoming handshake is reported in debug mode only.
      loop.setDebug(true);
      const reported = loop.createFuture<ExceptionContext>();
      loop.setExceptionHandler((_loop, context) => {
        errors.push(context);
        if (!reported.done()) reported.setResult(context);
      });
      const served: Recorder[] = [];
      await using server = await loop.createServer(
        () => {
          const p = new Recorder(loop);
          served.push(p);
          return p;
        },
        "127.0.0.1",
        0,
        { ssl: serverContext(), sslHandshakeTimeout: 0.1 },
      );
      const [, port] = addressOf(server);
      // A plain TCP client that sends nothing: the server's handshake times out.
      const [idle, idler] = await loop.createConnection(
        () => new Recorder(loop),
        "127.0.0.1",
        port,
      );
      const context = await reported;
      assert.equal(context.message, "Error on transport creation for incoming connection");
      assert.ok(context.exception instanceof Deno.errors.ConnectionAborted);
      assert.equal(
        (context.exception as Error).message,
        "SSL handshake is taking longer than 0.1 seconds: aborting the connection",
      );
      // Deno lets the socket go once its handshake task hears from the peer.
      idle.write(bytes("not a ClientHello\r\n"));
      await idler.lost;
      assert.deepEqual(idler.events, ["made", "data", "eof", "lost"]);
      await assertServesOn(loop, port, served);
      assert.deepEqual(served[0].events, []);
    }, errors);
    assert.equal(errors.length, 1);
  });

  Deno.test(`${name}: a TLS transport's writeEof() sends close_notify and the peer's eofReceived can keep writing`, async () => {
    await onLoop(make, async (loop) => {
      const pair = await tlsRecorders(loop, (p) => p.keepOpenOnEof = true);
      await using _server = pair.server;
      const { served, transport, client } = pair;
      transport.write(bytes("request"));
      transport.writeEof();
      await served[0].eof;
      assert.equal(served[0].text(), "request");
      const peer = served[0].transport!;
      peer.write(bytes("reply"));
      peer.close();
      await client.lost;
      assert.equal(client.text(), "reply");
      assert.deepEqual(client.events, ["made", "data", "eof", "lost"]);
      await served[0].lost;
    });
  });

  Deno.test(`${name}: closing a TLS transport sends its buffered data first; abort() drops it`, async () => {
    await onLoop(make, async (loop) => {
      const pair = await tlsRecorders(loop);
      await using _server = pair.server;
      const { served, transport, client } = pair;
      const big = new Uint8Array(1 << 20).fill(7);
      transport.write(big);
      assert.ok(transport.getWriteBufferSize() > 0);
      transport.close();
      await served[0].lost;
      assert.equal(served[0].received, big.length);
      assert.deepEqual(served[0].events, ["made", "data", "eof", "lost"]);
      await client.lost;
      assert.equal(client.lostWith, null);

      const [aborted, second] = await pair.connect();
      aborted.write(big);
      aborted.abort();
      await second.lost;
      assert.equal(second.lostWith, null);
      await served[1].lost;
      assert.ok(served[1].received < big.length);
    });
  });

  Deno.test(`${name}: cancelling createConnection({ ssl }) mid-handshake closes the connection`, async () => {
    await onLoop(make, async (loop) => {
      const { silent, accepted, port } = await silentServer(loop);
      const made: Recorder[] = [];
      const task = loop.createTask(() =>
        loop.createConnection(
          () => {
            const p = new Recorder(loop);
            made.push(p);
            return p;
          },
          "localhost",
          port,
          { ssl: clientContext() },
        )
      );
      // The plain server accepted the TCP connection: the handshake is in flight.
      const peer = await accepted;
      await peer.made;
      task.cancel();
      await assert.rejects(async () => await task, CancelledError);
      // The server sees the connection closed once Deno's handshake task hears from it.
      peer.transport!.write(bytes("not a ServerHello\r\n"));
      await peer.lost;
      assert.deepEqual(made[0]?.events ?? [], []);
      silent.close();
      await silent.waitClosed();
    });
  });
}

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: createConnection() and createServer() check every TLS option`, async () => {
    await onLoop(make, async (loop) => {
      const p = () => new Protocol();
      const connect = (host: string | null, options: Record<string, unknown>) =>
        loop.createConnection(p, host, host === null ? null : 443, options);
      const cases: [Record<string, unknown>, string | null, ErrorConstructor, RegExp][] = [
        [{ ssl: "yes" }, "localhost", TypeError, /'ssl' must be a boolean or an SSLContext/],
        [
          { serverHostname: "x" },
          "localhost",
          TypeError,
          /'serverHostname' is only meaningful with 'ssl'/,
        ],
        [
          { ssl: false, sslHandshakeTimeout: 1 },
          "localhost",
          TypeError,
          /'sslHandshakeTimeout' is only meaningful/,
        ],
        [
          { sslShutdownTimeout: 1 },
          "localhost",
          TypeError,
          /'sslShutdownTimeout' is only meaningful/,
        ],
        [
          { ssl: true, serverHostname: "" },
          "localhost",
          TypeError,
          /'serverHostname' must be a non-empty string/,
        ],
        [
          { ssl: true, serverHostname: 7 },
          "localhost",
          TypeError,
          /'serverHostname' must be a non-empty string/,
        ],
        [{ ssl: true }, "", TypeError, /'serverHostname' must be given when 'host' is not/],
        [
          { ssl: true, sslHandshakeTimeout: 0 },
          "localhost",
          RangeError,
          /'sslHandshakeTimeout' must be a positive number of seconds: received 0/,
        ],
        [{ ssl: true, sslHandshakeTimeout: -1 }, "localhost", RangeError, /'sslHandshakeTimeout'/],
        [
          { ssl: true, sslHandshakeTimeout: Infinity },
          "localhost",
          RangeError,
          /'sslHandshakeTimeout'/,
        ],
        [{ ssl: true, sslHandshakeTimeout: "1" }, "localhost", TypeError, /'sslHandshakeTimeout'/],
        [{ ssl: true, sslShutdownTimeout: 0 }, "localhost", RangeError, /'sslShutdownTimeout'/],
        [{ ssl: true, sslShutdownTimeout: NaN }, "localhost", RangeError, /'sslShutdownTimeout'/],
        [{ ssl: serverContext() }, "localhost", TypeError, /must be a client context/],
      ];
      for (const [options, host, type, message] of cases) {
        await assert.rejects(connect(host, options), (e: Error) => {
          assert.ok(e instanceof type, `${JSON.stringify(options)}: ${e}`);
          assert.match(e.message, message);
          return true;
        });
      }
      // What Deno's TLS client cannot do.
      const noVerify = clientContext();
      noVerify.checkHostname = false;
      noVerify.verifyMode = CERT_NONE;
      await assert.rejects(
        connect("localhost", { ssl: noVerify }),
        (e: Error) =>
          e instanceof NotImplementedError &&
          e.message.includes("--unsafely-ignore-certificate-errors"),
      );
      const withCert = clientContext();
      withCert.loadCertChain(CERT, KEY);
      await assert.rejects(
        connect("localhost", { ssl: withCert }),
        (e: Error) => e instanceof NotImplementedError && e.message.includes("client certificate"),
      );
      // Deno's TLS connects through Deno.connect (no local bind), on every loop.
      await assert.rejects(
        connect("localhost", { ssl: clientContext(), localAddr: ["127.0.0.1", 0] }),
        (e: Error) => e instanceof NotImplementedError && e.message.includes("'localAddr'"),
      );
      const sock = createSocket();
      await assert.rejects(
        loop.createConnection(p, null, null, { ssl: true, serverHostname: "localhost", sock }),
        (e: Error) => e instanceof NotImplementedError && e.message.includes("'sock'"),
      );
      sock.close();
      await assert.rejects(
        loop.createUnixConnection(p, "/tmp/nowhere.sock", { ssl: true }),
        (e: Error) => e instanceof NotImplementedError && e.message.includes("a Unix socket"),
      );
      await assert.rejects(
        loop.createUnixConnection(p, "/tmp/nowhere.sock", { serverHostname: "x" }),
        (e: Error) => e instanceof TypeError && e.message.includes("only meaningful with 'ssl'"),
      );

      const serve = (options: Record<string, unknown>) =>
        loop.createServer(p, "127.0.0.1", 0, options);
      const serverCases: [Record<string, unknown>, ErrorConstructor, RegExp][] = [
        [{ ssl: true }, TypeError, /'ssl' must be an SSLContext: received boolean/],
        [{ ssl: false }, TypeError, /'ssl' must be an SSLContext: received boolean/],
        [{ ssl: clientContext() }, TypeError, /must be a server context/],
        [{ ssl: new SSLContext(PROTOCOL_TLS_SERVER) }, TypeError, /no certificate chain/],
        [{ sslHandshakeTimeout: 5 }, TypeError, /only meaningful with 'ssl'/],
        [{ ssl: serverContext(), sslHandshakeTimeout: 0 }, RangeError, /'sslHandshakeTimeout'/],
        [{ ssl: serverContext(), sslShutdownTimeout: -2 }, RangeError, /'sslShutdownTimeout'/],
      ];
      for (const [options, type, message] of serverCases) {
        await assert.rejects(serve(options), (e: Error) => {
          assert.ok(e instanceof type, `${JSON.stringify(options)}: ${e}`);
          assert.match(e.message, message);
          return true;
        });
      }
      const clientAuth = serverContext();
      clientAuth.verifyMode = CERT_OPTIONAL;
      await assert.rejects(
        serve({ ssl: clientAuth }),
        (e: Error) => e instanceof NotImplementedError && e.message.includes("client certificates"),
      );
      // Deno's TLS listens through Deno.listenTls (SO_REUSEADDR always on), on every loop.
      await assert.rejects(
        serve({ ssl: serverContext(), reuseAddress: false }),
        (e: Error) =>
          e instanceof NotImplementedError && e.message.includes("'reuseAddress: false'"),
      );
      const bound = createSocket();
      bound.bind(["127.0.0.1", 0]);
      await assert.rejects(
        loop.createServer(p, null, null, { ssl: serverContext(), sock: bound }),
        (e: Error) => e instanceof NotImplementedError && e.message.includes("'sock'"),
      );
      bound.close();
      await assert.rejects(
        loop.createUnixServer(p, "/tmp/nowhere.sock", { ssl: serverContext() }),
        (e: Error) => e instanceof NotImplementedError && e.message.includes("a Unix socket"),
      );
      await assert.rejects(
        loop.startTls(),
        (e: Error) =>
          e instanceof NotImplementedError && e.message.includes("TLS-over-transport layer"),
      );
    });
  });
}

Deno.test("SSLContext starts as Python's for each protocol and keeps checkHostname and verifyMode consistent", () => {
  const client = new SSLContext();
  assert.equal(client.protocol, PROTOCOL_TLS_CLIENT);
  assert.equal(client.checkHostname, true);
  assert.equal(client.verifyMode, CERT_REQUIRED);
  assert.throws(() => (client.verifyMode = CERT_NONE), TypeError);
  client.checkHostname = false;
  client.verifyMode = CERT_NONE;
  // Turning the name check on needs a verified chain again.
  client.checkHostname = true;
  assert.equal(client.verifyMode, CERT_REQUIRED);
  assert.throws(() => (client.verifyMode = 3), RangeError);
  assert.throws(() => (client.checkHostname = 1 as unknown as boolean), TypeError);
  const server = new SSLContext(PROTOCOL_TLS_SERVER);
  assert.equal(server.checkHostname, false);
  assert.equal(server.verifyMode, CERT_NONE);
  assert.throws(() => new SSLContext(2), RangeError);
  assert.equal(
    createDefaultContext({ purpose: Purpose.CLIENT_AUTH }).protocol,
    PROTOCOL_TLS_SERVER,
  );
  assert.throws(
    () => createDefaultContext({ purpose: "both" as Purpose }),
    /'purpose' must be Purpose.SERVER_AUTH or Purpose.CLIENT_AUTH/,
  );
  assert.match(String(client), /<SSLContext client checkHostname=true verifyMode=2>/);
});

Deno.test("SSLContext loads certificates from files, PEM text and DER bytes, and refuses what Deno cannot use", () => {
  const cert = Deno.readTextFileSync(CERT);
  const key = Deno.readTextFileSync(KEY);
  const ca = Deno.readTextFileSync(CA);
  const server = new SSLContext(PROTOCOL_TLS_SERVER);
  server.loadCertChainPem({ cert, key });
  // One file holding both.
  const both = Deno.makeTempFileSync({ suffix: ".pem" });
  try {
    Deno.writeTextFileSync(both, cert + key);
    server.loadCertChain(both);
  } finally {
    Deno.removeSync(both);
  }
  assert.throws(() => server.loadCertChain(CERT, KEY, "secret"), NotImplementedError);
  assert.throws(() => server.loadCertChain(CA), /holds no PEM private key/);
  assert.throws(() => server.loadCertChain(KEY, KEY), /holds no PEM certificate/);
  assert.throws(() => server.loadCertChain(""), TypeError);
  assert.throws(() => server.loadCertChain(`${FIXTURES}missing.pem`), Deno.errors.NotFound);
  assert.throws(() => server.loadCertChainPem({ cert, key: 1 } as never), TypeError);
  assert.throws(
    () =>
      server.loadCertChainPem({
        cert,
        key: key.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY").replace(
          "END PRIVATE KEY",
          "END ENCRYPTED PRIVATE KEY",
        ),
      }),
    NotImplementedError,
  );

  const client = new SSLContext(PROTOCOL_TLS_CLIENT);
  client.loadVerifyLocations(CA);
  client.loadVerifyLocations(null, null, ca);
  const body = ca.replace(/-----[A-Z ]+-----/g, "").replace(/\s/g, "");
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  const twice = new Uint8Array(der.length * 2);
  twice.set(der);
  twice.set(der, der.length);
  client.loadVerifyLocations(null, null, twice);
  assert.deepEqual(client._clientOptions("localhost").caCerts.length, 4);
  assert.equal(
    client._clientOptions("localhost").caCerts[2].replace(/\s/g, ""),
    ca.replace(/\s/g, ""),
  );
  assert.throws(() => client.loadVerifyLocations(null, null, der.subarray(1)), /not DER/);
  assert.throws(() => client.loadVerifyLocations(), /'cafile', 'capath' or 'cadata' must be given/);
  assert.throws(
    () => client.loadVerifyLocations(null, FIXTURES),
    (e: Error) => e instanceof NotImplementedError && e.message.includes("directory"),
  );
  assert.throws(() => client.loadVerifyLocations(null, null, "no pem"), /holds no PEM certificate/);
  assert.throws(() => client.loadVerifyLocations(null, null, 5 as never), TypeError);
  assert.throws(() => createDefaultContext({ capath: FIXTURES }), NotImplementedError);

  client.setAlpnProtocols(["h2", "http/1.1"]);
  assert.deepEqual(client._clientOptions("x").alpnProtocols, ["h2", "http/1.1"]);
  client.setAlpnProtocols([]);
  assert.equal(client._clientOptions("x").alpnProtocols, undefined);
  assert.throws(() => client.setAlpnProtocols([""]), TypeError);
  assert.throws(() => client.setAlpnProtocols(["x".repeat(256)]), TypeError);
  assert.throws(() => client.setAlpnProtocols("h2" as never), TypeError);
});

Deno.test({
  name: "SelectorEventLoop(epoll): a TLS request says in debug mode that it uses Deno's TLS conn",
  ignore: !FFI,
  async fn() {
    using log = captureDebug();
    await onLoop(() => new SelectorEventLoop({ selector: "epoll", debug: true }), async (loop) => {
      assert.ok(loop.selector instanceof EpollSelector);
      await using server = await loop.createServer(() => new Echo(loop), "127.0.0.1", 0, {
        ssl: serverContext(),
      });
      const [, port] = addressOf(server);
      const [transport, client] = await loop.createConnection(
        () => new Recorder(loop),
        "localhost",
        port,
        { ssl: clientContext() },
      );
      transport.write(bytes("ping"));
      await client.waitFor(4, loop);
      transport.close();
      await client.lost;
    });
    const notes = log.lines.filter((line) => line.includes("Deno's own TLS connection"));
    assert.equal(notes.length, 2);
    assert.match(notes[0], /TLS server <Server sockets=\(127\.0\.0\.1:\d+\)>/);
    assert.match(notes[1], /TLS connection to localhost:\d+/);
    for (const note of notes) {
      assert.match(note, /the TLS-over-transport layer does not exist yet/);
    }
  },
});

Deno.test("ProactorStreamTransport over TLS: close() gives up on a close_notify that takes longer than sslShutdownTimeout, abort() at once", async () => {
  await onLoop(() => new ProactorEventLoop(), async (loop) => {
    const io: ProactorIo = {
      begin() {},
      end() {},
      track() {},
      untrack() {},
      isTracked: () => false,
    };
    let closed = false;
    let closeWrites = 0;
    let sending: Future<void> | null = null;
    let failRead: ((err: unknown) => void) | null = null;
    const written: number[] = [];
    const conn: StreamConn = {
      read: () => new Promise((_, reject) => (failRead = reject)),
      write: (p) => Promise.resolve(written.push(p.length)).then(() => p.length),
      // The peer never takes the close_notify.
      closeWrite() {
        closeWrites++;
        if (sending !== null && !sending.done()) sending.setResult(undefined);
        return new Promise<void>(() => {});
      },
      close() {
        closed = true;
        failRead?.(new Deno.errors.BadResource("closed"));
      },
    };
    const protocol = new Recorder(loop);
    const waiter = loop.createFuture<void>();
    const transport = new ProactorStreamTransport(loop, io, conn, protocol, {
      waiter,
      tls: {
        run: () => Promise.resolve(),
        handshakeTimeout: 1,
        shutdownTimeout: 0.05,
      },
    });
    await waiter;
    transport.write(bytes("last"));
    const started = loop.time();
    transport.close();
    await protocol.lost;
    assert.ok(loop.time() - started >= 0.04);
    assert.deepEqual(written, [4]);
    assert.ok(protocol.lostWith instanceof TimeoutError);
    assert.equal((protocol.lostWith as Error).message, "SSL shutdown timed out");
    assert.equal(closed, true);

    // abort() during the close_notify gives up on it at once.
    closed = false;
    const second = new Recorder(loop);
    const ready = loop.createFuture<void>();
    const aborted = new ProactorStreamTransport(loop, io, conn, second, {
      waiter: ready,
      tls: {
        run: () => Promise.resolve(),
        handshakeTimeout: 1,
        shutdownTimeout: 60,
      },
    });
    await ready;
    sending = loop.createFuture<void>();
    aborted.close();
    await sending;
    aborted.abort();
    await second.lost;
    assert.equal(second.lostWith, null);
    assert.equal(closed, true);
    assert.equal(closeWrites, 2);
  });
});
