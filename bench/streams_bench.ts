/**
 * `deno bench` for the streams layer without sockets: ten connections' echo
 * loops (`read(65536)`, `write`, `await drain()`, as `bench/streams_echo_server.ts`)
 * over a transport whose `write()` hands the bytes back to its protocol in a
 * ready callback, as an I/O event would. What it measures is what the streams
 * echo costs above a protocol echo, with no kernel time to blur it: the
 * reader's wait and wake-up, the task's step, the writer's checks and the
 * loop's turn. The echo over real sockets is `bench/ab_echo.sh`.
 *
 *   deno bench bench/streams_bench.ts
 *
 * @module
 */
import { createTask, getRunningLoop, run } from "../mod.ts";
import { StreamReader, StreamReaderProtocol, StreamWriter } from "../streams/mod.ts";
import type { Transport } from "../transports/mod.ts";

const CONNS = 10;
const ECHOES = 20_000;
const MESSAGE = new Uint8Array(1024);

/** The transport side of one connection: every write comes back as data, until the echoes run out. */
class Loopback {
  #protocol: StreamReaderProtocol | null = null;
  constructor(readonly echoes: { left: number }) {}
  attach(protocol: StreamReaderProtocol): void {
    this.#protocol = protocol;
  }
  write(data: Uint8Array): void {
    const protocol = this.#protocol!;
    if (this.echoes.left-- <= 0) {
      getRunningLoop().callSoon(() => protocol.eofReceived());
      return;
    }
    // A view, as the descriptor transports hand out views of their read slab.
    const view = data.subarray(0);
    getRunningLoop().callSoon(() => protocol.dataReceived(view));
  }
  isClosing(): boolean {
    return false;
  }
  close(): void {}
  getExtraInfo(_name: string, defaultValue?: unknown): unknown {
    return defaultValue;
  }
  pauseReading(): void {}
  resumeReading(): void {}
}

Deno.bench(`streams_echo (${ECHOES} echoes over ${CONNS} in-process connections)`, async () => {
  await run(async () => {
    const echoes = { left: ECHOES };
    const tasks = Array.from({ length: CONNS }, () => {
      const transport = new Loopback(echoes);
      const reader = new StreamReader();
      const protocol = new StreamReaderProtocol(reader);
      transport.attach(protocol);
      protocol.connectionMade(transport as unknown as Transport);
      const writer = new StreamWriter(transport as unknown as Transport, protocol, reader);
      protocol.dataReceived(MESSAGE);
      return createTask(async () => {
        for (
          let data = await reader.read(65536);
          data.length > 0;
          data = await reader.read(65536)
        ) {
          writer.write(data);
          await writer.drain();
        }
      });
    });
    for (const task of tasks) await task;
  });
});
