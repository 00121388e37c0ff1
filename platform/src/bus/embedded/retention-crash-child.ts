// Test fixture for retention-crash.test.ts (run as a script, never imported): appends numbered
// records (value "r-<offset>") to one partition of tiny segments while a group consumes them and
// retention deletes what was read, as fast as it can, until the parent SIGKILLs it. Prints
// "ack <end>" after every acknowledged publish.
import { createLogger } from "../../logger.ts";
import { EmbeddedEventBus } from "./embedded-event-bus.ts";
import { DEFAULT_RETENTION } from "./retention-policy.ts";

const dataDir = process.argv[2];
if (!dataDir) throw new Error("usage: retention-crash-child.ts <dataDir>");
const TOPIC = "llm.requests.v1";
const bus = await EmbeddedEventBus.open({
  dataDir,
  logger: createLogger({ level: "silent", name: "retention-crash-child" }),
  segmentBytes: 4096,
  retention: { ...DEFAULT_RETENTION, maxAgeMs: 0, checkIntervalMs: 3_600_000 },
});
await bus.ensureTopics([{ name: TOPIC, partitions: 1 }]);
await bus.subscribe({ groupId: "ingest", topics: [TOPIC], fromBeginning: true, handleBatch: async () => {} });
let next = Number((await bus.endOffsets(TOPIC)).get(0));
void (async () => {
  for (;;) await bus.enforceRetention();
})();
for (;;) {
  const records = Array.from({ length: 10 }, (_, i) => ({ key: null, value: Buffer.from(`r-${next + i}`) }));
  await bus.publish(TOPIC, records);
  next += records.length;
  process.stdout.write(`ack ${next}\n`);
}
