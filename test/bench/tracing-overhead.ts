import { join } from "node:path";
import { cpuMeter } from "./cpu.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { benchCpuSets, startGateway, startNode, startUpstream, stopChild, viaGatewayHeaders } from "./processes.ts";

/**
 * The tracing case of `npm run bench`: the same gateway with tracing off (no OTLP endpoint) and on
 * (every request traced, spans exported over OTLP/HTTP protobuf to a local receiver process), at 32
 * connections, in alternated rounds (off, on, on, off, ...) so drift on a shared box hits both alike.
 * Requests carry a sampled W3C traceparent, as an instrumented application's would. Where the box
 * allows (benchCpuSets), each gateway runs on a CPU of its own and the load generator, fake upstream
 * and receiver share the others, so what differs between the arms is the gateway's own work.
 * A third arm (unless BENCH_TRACING_STOCK=0), "stock", traces with the OpenTelemetry SDK as it comes
 * (SDK tracer, BatchSpanProcessor, OTLPTraceExporter proto: stock-tracing-gateway.ts), so the custom
 * path's saving is measured, not assumed. Each round bills every arm's CPU per request (cpu.ts): the
 * tracing cost of an arm is its CPU µs/req minus the off arm's in the same round.
 */
type Arm = "off" | "on" | "stock";

export interface TracingResult {
  off: LoadResult[];
  on: LoadResult[];
  stock: LoadResult[];
  /** CPU µs per request of each arm's gateway, per round (null without /proc). */
  cpu: Record<Arm, Array<number | null>>;
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
  const upstream = await startUpstream(root, cpus?.rest);
  const gatewayOn = (env: Record<string, string>, script?: string) =>
    startGateway(root, env, { cpus: cpus?.gateway, ...(script ? { script } : {}) });
  // Neither inherits OTEL_* from the shell running the bench: off is off, on exports to the sink.
  const off = await gatewayOn({ OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_TRACES_EXPORTER: "none" });
  const on = await gatewayOn({ OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_METRICS_EXPORTER: "prometheus" });
  const stock =
    process.env.BENCH_TRACING_STOCK === "0"
      ? null
      : await gatewayOn(
          { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, OTEL_METRICS_EXPORTER: "prometheus" },
          "test/bench/stock-tracing-gateway.ts",
        );
  const gateways = { off, on, ...(stock ? { stock } : {}) } as Partial<Record<Arm, typeof off>>;
  const arms = Object.keys(gateways) as Arm[];
  const headers = {
    ...viaGatewayHeaders(upstream.baseUrl),
    traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  };
  const load = (url: string, durationSec: number) =>
    runLoad({ url, headers, body: options.body, connections: 32, durationSec, cpus: cpus?.rest });
  const result: TracingResult = {
    off: [],
    on: [],
    stock: [],
    cpu: { off: [], on: [], stock: [] },
    cpus,
    spansReceived: 0,
    requestsTraced: 0,
  };
  try {
    // Warm every arm until the JIT has settled (on a slow box throughput still climbs for ~15 s of load),
    // alternating so none warms on a quieter stretch of a shared box.
    for (let i = 0; i < 3; i++) {
      for (const arm of arms) await load(gateways[arm]!.url, options.warmupSec / 3);
    }
    for (let round = 0; round < options.rounds; round++) {
      // Each round starts one arm later (and reverses every other round) so no arm always follows the same one.
      const rotated = arms.map((_, i) => arms[(round + i) % arms.length]!);
      const order = round % 2 === 0 ? rotated : rotated.reverse();
      for (const which of order) {
        const gateway = gateways[which]!;
        const meter = cpuMeter({ gateway: gateway.child.pid });
        const r = await load(gateway.url, options.durationSec);
        const micros = meter.stop().gateway ?? null;
        result[which].push(r);
        result.cpu[which].push(micros === null || !(r.requests > 0) ? null : micros / r.requests);
        if (which !== "off") result.requestsTraced += r.requests;
      }
    }
  } finally {
    await off.stop();
    await on.stop(); // flushes its remaining spans on shutdown
    if (stock) await stock.stop();
    const stats = (await (await fetch(`${sinkUrl}/stats`)).json()) as { spans: number };
    result.spansReceived = stats.spans;
    await stopChild(sink.child);
    await stopChild(upstream.child);
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
  printTracingCpu(r);
  const broken = [...r.off, ...r.on, ...r.stock].some((x) => x.non2xx > 0 || !(x.requestsPerSec > 0));
  if (broken) console.log("WARNING: failed or no responses in the tracing cases: these figures do not measure tracing");
  if (r.spansReceived === 0) console.log("WARNING: no span reached the receiver: tracing was not exercised");
}

const medianOf = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length === 0 ? Number.NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * The CPU side of the tracing case: each arm's gateway CPU µs per request, the tracing cost (arm −
 * off, paired within each round) and, with the stock arm, how much of the stock SDK's tracing cost
 * the custom path (FastTracer + ProtoBatchSpanProcessor) saves — it stays only while that is ≥ 20%.
 */
function printTracingCpu(r: TracingResult): void {
  const rounds = r.cpu.off.length;
  const paired = (arm: "on" | "stock") =>
    r.cpu.off.flatMap((off, i) => {
      const value = r.cpu[arm][i];
      return off === null || value === null || value === undefined ? [] : [value - off];
    });
  const f = (n: number) => n.toFixed(1);
  const per = (arm: "off" | "on" | "stock") => r.cpu[arm].map((x) => (x === null ? "n/a" : f(x))).join(", ");
  const med = (arm: "off" | "on" | "stock") => medianOf(r.cpu[arm].filter((x): x is number => x !== null));
  console.log("  gateway CPU per request (user+system, all threads; median of rounds, then each round):");
  console.log(`    tracing off           ${f(med("off")).padStart(7)} µs/req   rounds ${per("off")}`);
  console.log(`    custom (FastTracer)   ${f(med("on")).padStart(7)} µs/req   rounds ${per("on")}`);
  if (r.stock.length > 0) {
    console.log(`    stock SDK             ${f(med("stock")).padStart(7)} µs/req   rounds ${per("stock")}`);
  }
  const custom = paired("on");
  console.log(
    `  tracing cost in CPU (arm − off, paired per round, median): custom ${f(medianOf(custom))} µs/req` +
      (r.stock.length > 0 ? `, stock SDK ${f(medianOf(paired("stock")))} µs/req` : ""),
  );
  if (r.stock.length > 0) {
    const stock = paired("stock");
    const savings = custom.map((c, i) => (1 - c / stock[i]!) * 100).filter(Number.isFinite);
    const overall = (1 - medianOf(custom) / medianOf(stock)) * 100;
    console.log(
      `  custom path saves ${overall.toFixed(1)}% of the stock SDK's tracing cost ` +
        `(per round ${savings.map((x) => `${x.toFixed(0)}%`).join(", ")}; keep it only if ≥ 20%) over ${rounds} rounds`,
    );
  }
}
