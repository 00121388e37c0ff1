// `node platform/src/bus/embedded/append-bench.ts` (script, never imported): CPU per published
// record of the embedded log's append path (group commit: write + fdatasync), the way the gateway
// loads it — one record per request, many publishes in flight. Keeps IN_FLIGHT single-record
// publish() calls outstanding (BATCH > 1: records per publish) until RECORDS records were
// acknowledged, and bills the window with process.cpuUsage() (user + system of every thread:
// main, libuv pool doing the writes and fsyncs, GC).
//
// Before/after in one run: ARMS=<label>=<path to embedded-event-bus.ts>,… opens one bus per arm
// (e.g. a `git worktree` of the commit before, with node_modules linked in) and runs ROUNDS
// rounds, arms rotated within each round, so a noisy neighbour hits every arm alike. Prints, per
// arm, the median CPU µs/record and records/s over the rounds and the median paired difference.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createLogger } from "../../logger.ts";
import type { EventBus, OutgoingRecord } from "../event-bus.ts";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const records = env("RECORDS", 20_000);
const inFlight = env("IN_FLIGHT", 64);
const batch = env("BATCH", 1);
const rounds = env("ROUNDS", 7);
const valueBytes = env("VALUE_BYTES", 1300);
const partitions = env("PARTITIONS", 1);
const withHeaders = process.env.HEADERS === "1";
/** WRITTEN=1: publish({ written: true }) as the gateway's hand-off does (settled once written; fsync'd within the interval). */
const written = process.env.WRITTEN === "1" ? { written: true } : undefined;
const TOPIC = "llm.requests.v1";

interface Arm {
  label: string;
  bus: EventBus & { close(): Promise<void> };
  dir: string;
  cpu: number[];
  user: number[];
  rate: number[];
}

const armSpecs = (process.env.ARMS ?? `current=${new URL("./embedded-event-bus.ts", import.meta.url).pathname}`)
  .split(",")
  .map((spec) => {
    const at = spec.indexOf("=");
    return { label: spec.slice(0, at), path: resolve(spec.slice(at + 1)) };
  });

const logger = createLogger({ level: "warn", name: "append-bench" });
const value = Buffer.alloc(valueBytes, "x");
let sequence = 0;
function nextRecord(): OutgoingRecord {
  sequence += 1;
  const key = `${sequence.toString(16).padStart(32, "0")}`;
  const headers = withHeaders ? { traceparent: `00-${key}-${key.slice(16)}-01` } : undefined;
  return { key, value, headers };
}

/** Publishes `count` records with `inFlight` publish() calls outstanding; returns when all resolved. */
async function load(bus: EventBus, count: number): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      const n = Math.min(batch, count - started);
      started += n;
      await bus.publish(TOPIC, Array.from({ length: n }, nextRecord), written);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

async function measure(arm: Arm): Promise<void> {
  const before = process.cpuUsage();
  const start = process.hrtime.bigint();
  await load(arm.bus, records);
  const wallSec = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(before);
  arm.cpu.push((used.user + used.system) / records);
  arm.user.push(used.user / records);
  arm.rate.push(records / wallSec);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const arms: Arm[] = [];
for (const spec of armSpecs) {
  const { EmbeddedEventBus } = (await import(
    pathToFileURL(spec.path).href
  )) as typeof import("./embedded-event-bus.ts");
  const dir = await mkdtemp(join(tmpdir(), `switchyard-append-bench-${spec.label}-`));
  const bus = await EmbeddedEventBus.open({ dataDir: dir, logger });
  await bus.ensureTopics([{ name: TOPIC, partitions }]);
  arms.push({ label: spec.label, bus, dir, cpu: [], user: [], rate: [] });
}
console.log(
  `append-bench: ${records} records/round of ${valueBytes} B, ${inFlight} publishes in flight, ${batch} record(s) each, ` +
    `${partitions} partition(s), headers ${withHeaders ? "on" : "off"}, ${written ? "written-only" : "fsync-waiting"} publishes, ${rounds} rounds, arms: ${arms.map((a) => a.label).join(", ")}`,
);
try {
  for (const arm of arms) await load(arm.bus, Math.min(records, 5000)); // warm-up: JIT, first segment
  for (let round = 0; round < rounds; round += 1) {
    for (let i = 0; i < arms.length; i += 1) await measure(arms[(round + i) % arms.length]!);
  }
  for (const arm of arms) {
    console.log(
      `${arm.label.padEnd(12)} CPU µs/record median ${median(arm.cpu).toFixed(2)} ` +
        `(rounds: ${arm.cpu.map((c) => c.toFixed(1)).join(" ")}), of it user ${median(arm.user).toFixed(2)}, records/s median ${Math.round(median(arm.rate))}`,
    );
  }
  const [base, ...others] = arms;
  for (const arm of others) {
    const diffs = arm.cpu.map((c, i) => c - base!.cpu[i]!);
    const userDiffs = arm.user.map((c, i) => c - base!.user[i]!);
    console.log(
      `${arm.label} − ${base!.label}: median paired difference ${median(diffs).toFixed(2)} µs/record ` +
        `(${((median(diffs) / median(base!.cpu)) * 100).toFixed(0)} %), user ${median(userDiffs).toFixed(2)} ` +
        `(${((median(userDiffs) / median(base!.user)) * 100).toFixed(0)} %)`,
    );
  }
} finally {
  for (const arm of arms) {
    await arm.bus.close();
    await rm(arm.dir, { recursive: true, force: true });
  }
}
