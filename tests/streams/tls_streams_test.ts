/**
 * Streams over TLS, on every loop: `openConnection` and `startServer` pass
 * the TLS options through to `createConnection` and `createServer`.
 */
import assert from "node:assert/strict";
import { openConnection, startServer } from "../../streams/mod.ts";
import { createDefaultContext, Purpose, type SSLObject } from "../../transports/mod.ts";
import { addressOf, bytes, LOOPS, onLoop } from "../transports/_helpers.ts";

const FIXTURES = new URL("../transports/fixtures/", import.meta.url).pathname;

for (const [name, make] of LOOPS) {
  Deno.test(`${name}: openConnection({ ssl }) and startServer({ ssl }) echo a line over TLS`, async () => {
    await onLoop(make, async () => {
      const serverSsl = createDefaultContext({ purpose: Purpose.CLIENT_AUTH });
      serverSsl.loadCertChain(`${FIXTURES}cert.pem`, `${FIXTURES}key.pem`);
      serverSsl.setAlpnProtocols(["echo/1"]);
      await using server = await startServer(
        async (reader, writer) => {
          writer.write(await reader.readline());
          await writer.drain();
          writer.close();
          await writer.waitClosed();
        },
        "127.0.0.1",
        0,
        { ssl: serverSsl, sslHandshakeTimeout: 5 },
      );
      const [, port] = addressOf(server);
      const clientSsl = createDefaultContext({ cafile: `${FIXTURES}ca.pem` });
      clientSsl.setAlpnProtocols(["echo/1"]);
      const [reader, writer] = await openConnection("127.0.0.1", port, {
        ssl: clientSsl,
        serverHostname: "localhost",
        sslHandshakeTimeout: 5,
        sslShutdownTimeout: 5,
        limit: 1024,
      });
      const object = writer.getExtraInfo("ssl_object") as SSLObject;
      assert.equal(object.selectedAlpnProtocol(), "echo/1");
      assert.equal(object.serverHostname, "localhost");
      assert.equal(writer.canWriteEof(), true);
      writer.write(bytes("over TLS\n"));
      assert.equal(new TextDecoder().decode(await reader.readline()), "over TLS\n");
      // The server closed after its close_notify: the end of the stream.
      assert.equal((await reader.read()).length, 0);
      assert.equal(reader.atEof(), true);
      writer.close();
      await writer.waitClosed();
    });
  });
}
