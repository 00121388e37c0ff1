import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acceptsRequestEvent, RequestEvent, Topics } from "@switchyard/events";
import { type BatchWriter, requestRow, startConsumerLoop, topicRoute } from "@switchyard/ingest/testing";
import { createLogger, EmbeddedEventBus } from "@switchyard/platform";
import { threadMeter } from "./cpu.ts";
import { publishBenchEvents } from "./ingest-solo.ts";

/**
 * `node test/bench/probe-consume-decode.ts`: the main-thread half of ingest alone — the embedded log's
 * read path, the consumer loop, decode, the row line and packing — with a writer that drops the rows
 * (no engine). PROBE_EVENTS (default 200,000) bench events are published once; then PROBE_ROUNDS
 * (default 5) fresh consumer groups each read them all. Per round: CPU µs per event of the whole
 * process (main thread + GC helpers + the log's fs calls), by thread. The first round warms the JIT.
 * Without chdb's threads competing, these figures move little between runs on a shared box.
 */
const events = Number(process.env.PROBE_EVENTS ?? 200_000);
const rounds = Number(process.env.PROBE_ROUNDS ?? 5);
const logger = createLogger({ level: "warn", name: "probe-consume" });
const dir = await mkdtemp(join(tmpdir(), "sy-probe-consume-"));
try {
  const writer = await EmbeddedEventBus.open({ dataDir: dir, logger });
  await writer.ensureTopics([Topics.requests, Topics.deadLetters].map((name) => ({ name, partitions: 1 })));
  await publishBenchEvents(writer, events, Date.now());
  await writer.close();
  const bus = await EmbeddedEventBus.open({ dataDir: dir, logger });
  let rows = 0;
  // Rows are held until the next turn, as a writer holds them for a while (what GC then has to move).
  const sink = {
    write: (batch: unknown[]) =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          rows += batch.length;
          resolve();
        }),
      ),
  } as unknown as BatchWriter;
  for (let round = 1; round <= rounds; round++) {
    const groupId = `probe-${round}`;
    rows = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    const threads = threadMeter(process.pid);
    const loop = await startConsumerLoop({
      bus,
      groupId,
      fromBeginning: true,
      publishDeadLetters: false,
      logger,
      batchMaxRecords: 10_000,
      routes: [
        topicRoute({
          topic: Topics.requests,
          schema: RequestEvent,
          accepts: acceptsRequestEvent,
          toRow: requestRow,
          writer: sink,
        }),
      ],
    });
    for (;;) {
      const committed = (await bus.committedOffsets(groupId, Topics.requests)).get(0);
      if (Number(committed ?? 0) >= events) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const used = process.cpuUsage(cpu);
    const byThread = threads.stop().filter(([, micros]) => micros / events >= 0.05);
    await loop.subscription.stop();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `round ${round}: ${((used.user + used.system) / events).toFixed(2)} µs/event CPU, ${(events / seconds).toFixed(0)} events/s, ` +
        `rows ${rows}; ${byThread.map(([name, micros]) => `${name} ${(micros / events).toFixed(2)}`).join(", ")}`,
    );
  }
  await bus.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
