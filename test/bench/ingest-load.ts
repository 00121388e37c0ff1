import { cpuMeter, threadMeter } from "./cpu.ts";
import { runLoad } from "./load.ts";
import { type BenchStack, startStack, startUpstream, stopChild, viaGatewayHeaders } from "./processes.ts";

export interface LoadIngestResult {
  connections: number;
  durationSec: number;
  gatewayRequestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Rows ingest wrote per second while the load ran. */
  ingestRowsPerSec: number;
  /** Inserts into `requests` per second while the load ran (each costs tens of ms of engine time). */
  insertsPerSec: number;
  /** Events in the log but not yet in ClickHouse when the load stopped (published − rows written). */
  backlogAtStop: number;
  /** Largest backlog seen in any one-second sample during the load. */
  maxBacklog: number;
  /** Seconds from the end of the load until every published event was in ClickHouse (null: not within the limit). */
  drainSec: number | null;
  eventsPublished: number;
  rowsWritten: number;
  /**
   * The stack process's CPU (all threads) from the start of the load until drained (the load alone without
   * ingest), per request answered: what one request costs end to end, ingest's share included.
   */
  cpuMicrosPerRequest: number | null;
  /** The same window's CPU by thread name, µs per request, most first (chdb runs statements on libuv-worker). */
  threads: Array<[string, number]>;
}

interface Counters {
  published: number;
  rows: number;
  inserts: number;
}

/** One Prometheus sample by metric name prefix and (optional) label, summed over the series that match. */
function sumMetric(text: string, name: string, label?: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name) || (label && !line.includes(label))) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

async function readCounters(metricsUrl: string): Promise<Counters> {
  const text = await (await fetch(metricsUrl)).text();
  return {
    published: sumMetric(text, "switchyard_events_published"),
    rows: sumMetric(text, "switchyard_ingest_rows_written", 'table="requests"'),
    // The insert-duration histogram's _count series: one per insert into `requests`.
    inserts: sumMetric(
      text
        .split("\n")
        .filter((line) => /^switchyard_ingest_insert_duration\w*_count\{/.test(line))
        .join("\n"),
      "switchyard_ingest_insert_duration",
      'table="requests"',
    ),
  };
}

/**
 * The one-process stack (gateway + ingest + analytics, embedded log and chdb in a temp dir) under
 * `connections` connections for `durationSec` against the fake upstream: gateway req/s, the rows ingest
 * wrote meanwhile, the backlog when the load stops and how long it takes to drain. Counters come from
 * the stack's own /metrics (events published to the log, rows written to `requests`).
 */
export async function measureIngestUnderLoad(options: {
  root: string;
  connections: number;
  durationSec: number;
  env?: Record<string, string>;
  drainLimitSec?: number;
}): Promise<LoadIngestResult> {
  const { root, connections, durationSec } = options;
  const upstream = await startUpstream(root);
  let stack: BenchStack | null = null;
  try {
    stack = await startStack(root, { LOG_LEVEL: "warn", ...options.env });
    const { gatewayPort, analyticsPort } = stack;
    const metricsUrl = `http://127.0.0.1:${analyticsPort}/metrics`;
    const target = {
      url: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
      headers: viaGatewayHeaders(upstream.baseUrl),
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say hello" }] }),
    };

    const before = await readCounters(metricsUrl);
    let maxBacklog = 0;
    const sampler = setInterval(() => {
      readCounters(metricsUrl)
        .then((c) => {
          maxBacklog = Math.max(maxBacklog, c.published - c.rows);
        })
        .catch(() => undefined);
    }, 1_000);
    const cpu = cpuMeter({ stack: stack.child.pid });
    const threads = threadMeter(stack.child.pid);
    const load = await runLoad({ ...target, connections, durationSec });
    clearInterval(sampler);
    const atStop = await readCounters(metricsUrl);
    const stoppedAt = performance.now();

    // Drained = every published event is a row and publishing has stopped (the gateway's queue is empty).
    const limitMs = (options.drainLimitSec ?? 300) * 1000;
    // Without ingest (the comparison run) nothing drains: skip the wait.
    const services = options.env?.SWITCHYARD_SERVICES ?? "ingest";
    const ingestOn = services.split(",").some((name) => name.trim() === "ingest");
    let drainSec: number | null = null;
    let last = atStop;
    while (ingestOn && performance.now() - stoppedAt < limitMs) {
      const now = await readCounters(metricsUrl);
      if (now.rows >= now.published && now.published === last.published) {
        drainSec = (performance.now() - stoppedAt) / 1000;
        last = now;
        break;
      }
      last = now;
      await new Promise((r) => setTimeout(r, 100));
    }
    const used = cpu.stop().stack ?? null;
    const requests = Math.max(1, load.requests);
    return {
      connections,
      durationSec,
      gatewayRequestsPerSec: load.requestsPerSec,
      p50Ms: load.p50Ms,
      p99Ms: load.p99Ms,
      non2xx: load.non2xx,
      ingestRowsPerSec: (atStop.rows - before.rows) / durationSec,
      insertsPerSec: (atStop.inserts - before.inserts) / durationSec,
      backlogAtStop: atStop.published - atStop.rows,
      maxBacklog: Math.max(maxBacklog, atStop.published - atStop.rows),
      drainSec,
      eventsPublished: last.published,
      rowsWritten: last.rows,
      cpuMicrosPerRequest: used === null ? null : used / requests,
      threads: threads.stop().map(([name, micros]) => [name, micros / requests]),
    };
  } finally {
    await stack?.stop();
    await stopChild(upstream.child);
  }
}

if (import.meta.main) {
  const root = new URL("../..", import.meta.url).pathname;
  console.log(
    await measureIngestUnderLoad({
      root,
      connections: Number(process.env.BENCH_CONNECTIONS ?? 64),
      durationSec: Number(process.env.BENCH_DURATION_SEC ?? 20),
    }),
  );
}
