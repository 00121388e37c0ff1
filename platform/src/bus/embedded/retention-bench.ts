// `node platform/src/bus/embedded/retention-bench.ts` (script, never imported): disk use of the
// embedded log under steady load with retention on. Appends EVENTS records of ~1.3 KB (the size of
// a request event) in publishes of 1000 while a consumer group keeps up and the writer's own
// retention timer (every CHECK_MS) deletes what was read past MAX_BYTES per partition; samples
// the bytes under the data dir every 25 000 events. MAX_BYTES=0 turns the size limit off (the
// 7-day age limit then keeps everything: the "before" figure).
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../logger.ts";
import { EmbeddedEventBus } from "./embedded-event-bus.ts";
import { DEFAULT_RETENTION } from "./retention-policy.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const events = env("EVENTS", 300_000);
const segmentBytes = env("SEGMENT_BYTES", 4 * 1024 * 1024);
const maxBytes = env("MAX_BYTES", 32 * 1024 * 1024) || null;
const TOPIC = "llm.requests.v1";
const MiB = 1024 * 1024;

async function bytesUnder(path: string): Promise<number> {
  let sum = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) sum += await bytesUnder(child);
    else
      sum += await stat(child).then(
        (s) => s.size,
        () => 0,
      ); // deleted meanwhile
  }
  return sum;
}

const dir = await mkdtemp(join(tmpdir(), "switchyard-retention-bench-"));
const bus = await EmbeddedEventBus.open({
  dataDir: dir,
  logger: createLogger({ level: "warn", name: "retention-bench" }),
  segmentBytes,
  retention: { ...DEFAULT_RETENTION, maxBytes, checkIntervalMs: env("CHECK_MS", 250) },
});
await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
let consumed = 0;
await bus.subscribe({
  groupId: "ingest",
  topics: [TOPIC],
  fromBeginning: true,
  handleBatch: async (batch) => {
    consumed += batch.messages.length;
  },
});
const value = Buffer.alloc(1300, "x");
const samples: string[] = [];
let peak = 0;
const started = Date.now();
for (let sent = 0; sent < events; ) {
  const n = Math.min(1000, events - sent);
  await bus.publish(
    TOPIC,
    Array.from({ length: n }, (_, i) => ({ key: `trace-${sent + i}`, value })),
  );
  sent += n;
  // Steady state: the consumer keeps up (within 5 000 events), as ingest does.
  while (consumed < sent - 5000) await new Promise((resolve) => setTimeout(resolve, 5));
  if (sent % 25_000 === 0) {
    const bytes = await bytesUnder(dir);
    peak = Math.max(peak, bytes);
    samples.push(`${sent / 1000}k:${(bytes / MiB).toFixed(0)}`);
  }
}
while (consumed < events) await new Promise((resolve) => setTimeout(resolve, 5));
await bus.enforceRetention();
const final = await bytesUnder(dir);
console.log(
  `${events} events, ${((events * (value.length + 45)) / MiB).toFixed(0)} MiB appended in ${(Date.now() - started) / 1000} s; ` +
    `segment ${segmentBytes / MiB} MiB, size limit ${maxBytes ? `${maxBytes / MiB} MiB` : "off"}: ` +
    `peak ${(peak / MiB).toFixed(1)} MiB, after the last pass ${(final / MiB).toFixed(1)} MiB`,
);
console.log(`MiB on disk by events appended: ${samples.join(" ")}`);
await bus.close();
await rm(dir, { recursive: true, force: true });
