import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LoadResult, runLoad } from "./load.ts";
import { benchCpuSets, freePort, startNode, stopChild } from "./processes.ts";

/**
 * The tracing case of `npm run bench`: the same gateway with tracing off (no OTLP endpoint) and on
 * (every request traced, spans exported over OTLP/HTTP protobuf to a local receiver process), at 32
 * connections, in alternated rounds (off, on, on, off, ...) so drift on a shared box hits both alike.
 * Requests carry a sampled W3C traceparent, as an instrumented application's would. Where the box
 * allows (benchCpuSets), each gateway runs on a CPU of its own and the load generator, fake upstream
 * and receiver share the others, so what differs between the arms is the gateway's own work.
 */
export interface TracingResult {
  off: LoadResult[];
  on: LoadResult[];
  /** The CPU split used, or null when everything shared every CPU. */
  cpus: { gateway: string; rest: string } | null;
  /** Spans the receiver decoded while tracing was on. */
  spansReceived: number;
  requestsTraced: number;
}

export async function measureTracingOverhead(options: {
  root: string;
  body: string;
  durationSec: number;
  rounds: number;
  /** Load per gateway before measuring, in three alternated parts. */
  warmupSec: number;
}): Promise<TracingResult> {
  const { root } = options;
  const cpus = benchCpuSets();
  const isJsonLine = (l: string) => l.startsWith("{");
  const sink = await startNode(join(root, "test/bench/otlp-sink.ts"), {}, isJsonLine, 30_000, cpus?.rest);
  const { url: sinkUrl } = JSON.parse(sink.line) as { url: string };
  const upstream = await startNode(join(root, "test/bench/upstream-server.ts"), {}, isJsonLine, 30_000, cpus?.rest);
  const { baseUrl: upstreamBaseUrl } = JSON.parse(upstream.line) as { baseUrl: string };
  const dirs: string[] = [];
  const startGateway = async (env: Record<string, string>) => {
    const dataDir = mkdtempSync(join(tmpdir(), "sy-bench-otel-"));
    dirs.push(dataDir);
    const port = await freePort();
    const started = await startNode(
      join(root, "gateway/src/main.ts"),
      { GATEWAY_PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "info", ...env },
      (l) => l.includes("gateway listening"),
      30_000,
      cpus?.gateway,
    );
    return { child: started.child, url: `http://127.0.0.1:${port}/v1/chat/completions` };
  };
  // Neither inherits OTEL_* from the shell running the bench: off is off, on exports to the sink.
  const off = await startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_TRACES_EXPORTER: "none" });
  const on = await startGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_METRICS_EXPORTER: "prometheus" });
  const headers = {
    "content-type": "application/json",
    authorization: "Bearer sk-bench-not-a-real-key",
    "x-portkey-provider": "openai",
    "x-portkey-custom-host": upstreamBaseUrl,
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  };
  const load = (url: string, durationSec: number) =>
    runLoad({ url, headers, body: options.body, connections: 32, durationSec, cpus: cpus?.rest });
  const result: TracingResult = { off: [], on: [], cpus, spansReceived: 0, requestsTraced: 0 };
  try {
    // Warm both until the JIT has settled (on a slow box throughput still climbs for ~15 s of load),
    // alternating so neither warms on a quieter stretch of a shared box.
    for (let i = 0; i < 3; i++) {
      await load(off.url, options.warmupSec / 3);
      await load(on.url, options.warmupSec / 3);
    }
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const);
      for (const which of order) {
        const r = await load(which === "off" ? off.url : on.url, options.durationSec);
        result[which].push(r);
        if (which === "on") result.requestsTraced += Math.round(r.requestsPerSec * options.durationSec);
      }
    }
  } finally {
    await stopChild(off.child);
    await stopChild(on.child); // flushes its remaining spans on shutdown
    const stats = (await (await fetch(`${sinkUrl}/stats`)).json()) as { spans: number };
    result.spansReceived = stats.spans;
    await stopChild(sink.child);
    await stopChild(upstream.child);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

export function printTracing(r: TracingResult): void {
  const mean = (xs: LoadResult[]) => xs.reduce((t, x) => t + x.requestsPerSec, 0) / Math.max(1, xs.length);
  const off = mean(r.off);
  const on = mean(r.on);
  const fmt = (n: number) => n.toFixed(0);
  console.log(`\ntracing at 32 connections (${r.off.length} alternated rounds each, spans to a local OTLP receiver)`);
  console.log(
    r.cpus
      ? `  gateway on CPU ${r.cpus.gateway}; load generator, fake upstream and receiver on CPU ${r.cpus.rest} (BENCH_PIN=0: all share)`
      : "  every process shares every CPU",
  );
  console.log(
    `  tracing off  ${fmt(off).padStart(7)} req/s   per round ${r.off.map((x) => fmt(x.requestsPerSec)).join(", ")}`,
  );
  console.log(
    `  tracing on   ${fmt(on).padStart(7)} req/s   per round ${r.on.map((x) => fmt(x.requestsPerSec)).join(", ")}`,
  );
  const cost = (1 - on / off) * 100;
  console.log(`  tracing cost ${cost.toFixed(1)}% of throughput (target ≤ 15%)`);
  // Each round measures off and on back to back: the median of those paired costs shrugs off a round
  // that a neighbour on the shared box happened to slow down.
  const paired = r.off
    .map((o, i) => (1 - (r.on[i]?.requestsPerSec ?? 0) / o.requestsPerSec) * 100)
    .sort((a, b) => a - b);
  const median =
    paired.length % 2
      ? paired[(paired.length - 1) / 2]!
      : (paired[paired.length / 2 - 1]! + paired[paired.length / 2]!) / 2;
  console.log(
    `  paired rounds: median cost ${median.toFixed(1)}%, range ${paired[0]?.toFixed(1)}% .. ${paired.at(-1)?.toFixed(1)}%`,
  );
  console.log(
    `  spans received by the receiver: ≈${r.spansReceived} (sampled decode; ≈${r.requestsTraced} traced requests measured)`,
  );
  const broken = [...r.off, ...r.on].some((x) => x.non2xx > 0 || !(x.requestsPerSec > 0));
  if (broken) console.log("WARNING: failed or no responses in the tracing cases: these figures do not measure tracing");
  if (r.spansReceived === 0) console.log("WARNING: no span reached the receiver: tracing was not exercised");
}
