import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measureSoloIngest } from "./ingest-solo.ts";
import type { CpuProfile } from "./inspector.ts";
import { printSummary, summarize } from "./profile-report.ts";

/**
 * `node test/bench/profile-ingest.ts`: ingest alone (ingest-solo.ts, BENCH_INGEST_EVENTS, default
 * 200,000) with V8's sampling profiler on the main thread for exactly the ingest window (not the
 * publish before it). Prints the main thread's time per event by function and writes the .cpuprofile
 * to BENCH_PROFILE_OUT (default: a temp file). The figures are the main thread's only: chdb's threads
 * and the GC helpers are in the solo result's `threads`.
 */
const events = Number(process.env.BENCH_INGEST_EVENTS ?? 200_000);
const intervalUs = Number(process.env.BENCH_PROFILE_INTERVAL_US ?? 250);
const session = new Session();
session.connect();
let profile: CpuProfile | null = null;
const result = await measureSoloIngest(
  events,
  {},
  {},
  {
    async start() {
      await session.post("Profiler.enable");
      await session.post("Profiler.setSamplingInterval", { interval: intervalUs });
      await session.post("Profiler.start");
    },
    async end() {
      ({ profile } = (await session.post("Profiler.stop")) as unknown as { profile: CpuProfile });
    },
  },
);
session.disconnect();
console.log(result);
if (profile === null) throw new Error("no profile taken");
const out = process.env.BENCH_PROFILE_OUT ?? join(tmpdir(), `ingest-${process.pid}.cpuprofile`);
writeFileSync(out, JSON.stringify(profile));
printSummary(summarize(profile, intervalUs), events);
console.log(`\nprofile written to ${out} (per "request" = per event)`);
