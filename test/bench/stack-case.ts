import { cpuMeter, threadMeter } from "./cpu.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { startStack, viaGatewayHeaders } from "./processes.ts";

/**
 * The embedded-stack case of `npm run bench`: `npm start`'s process (gateway, ingest and analytics
 * API over the embedded log and embedded ClickHouse, data dir in a temp folder) at 32 connections,
 * single target by headers. Its CPU per request includes ingest's share: the measured window opens
 * once ingest has consumed everything the warm-up produced and closes once it has consumed every
 * event of the measured load (consumer lag 0 on /metrics), so every event's ingest work is billed
 * to the window it was produced in.
 */
export interface StackCaseResult {
  result: LoadResult;
  /** µs of CPU the stack process used over the window (null without /proc). */
  cpuMicros: number | null;
  upstreamCpuMicros: number | null;
  /** ms from the end of the load until ingest had caught up. */
  drainMs: number;
  /** The stack's CPU over the window by thread name (µs), most first: where ingest's share goes. */
  threads: Array<[string, number]>;
}

const LAG = /^switchyard_ingest_consumer_lag\{[^}]*messaging_destination_name="llm\.requests\.v1"[^}]*\}\s+(\S+)/gm;

/** Sum of ingest's consumer lag on the requests topic, or null when the gauge is not there (yet). */
async function requestsLag(metricsUrl: string): Promise<number | null> {
  const text = await (await fetch(metricsUrl)).text();
  let total: number | null = null;
  for (const match of text.matchAll(LAG)) total = (total ?? 0) + Number(match[1]);
  return total;
}

/** Waits until ingest has consumed every published request event (lag 0 twice in a row), at most 60 s. */
async function drained(metricsUrl: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let zeros = 0;
  // The gateway's publisher lingers a few ms before appending to the log: the first zero could precede it.
  while (zeros < 2) {
    if (Date.now() > deadline) throw new Error("ingest did not catch up within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
    zeros = (await requestsLag(metricsUrl)) === 0 ? zeros + 1 : 0;
  }
}

export async function measureStack(options: {
  root: string;
  body: string;
  upstream: { baseUrl: string; pid: number | undefined };
  durationSec: number;
  warmupSec: number;
}): Promise<StackCaseResult> {
  const stack = await startStack(options.root, {
    // Tracing off, metrics on /metrics (the bench reads ingest's lag there), whatever the shell says.
    OTEL_EXPORTER_OTLP_ENDPOINT: "",
    OTEL_TRACES_EXPORTER: "none",
    OTEL_METRICS_EXPORTER: "prometheus",
  });
  const { gatewayPort } = stack;
  const metricsUrl = `http://127.0.0.1:${gatewayPort}/metrics`;
  const load = {
    url: `http://127.0.0.1:${gatewayPort}/v1/chat/completions`,
    headers: viaGatewayHeaders(options.upstream.baseUrl),
    body: options.body,
    connections: 32,
  };
  try {
    await runLoad({ ...load, durationSec: options.warmupSec });
    await drained(metricsUrl);
    const meter = cpuMeter({ stack: stack.child.pid, upstream: options.upstream.pid });
    const threads = threadMeter(stack.child.pid);
    const result = await runLoad({ ...load, durationSec: options.durationSec });
    const loadEnded = performance.now();
    await drained(metricsUrl);
    const drainMs = performance.now() - loadEnded;
    const cpu = meter.stop();
    return {
      result,
      cpuMicros: cpu.stack ?? null,
      upstreamCpuMicros: cpu.upstream ?? null,
      drainMs,
      threads: threads.stop(),
    };
  } finally {
    await stack.stop();
  }
}
