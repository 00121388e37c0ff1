import { Agent, request } from "undici";
import { cpuMicros } from "./cpu.ts";

/** Latency figures of a series of requests, ms. */
export interface Timings {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  failures: number;
  /** The first failure's status and body (cut), to say why. */
  firstFailure: string | null;
  /** µs of the server process's CPU (all threads) per request over the series; null without /proc. */
  cpuMicrosPerRequest: number | null;
  /** The raw figures, so runs interleaved in rounds can be combined. */
  samples: number[];
  cpuMicros: number | null;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summarise(latencies: number[], failures: number, firstFailure: string | null, cpu: number | null): Timings {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: latencies.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    failures,
    firstFailure,
    cpuMicrosPerRequest: cpu === null || latencies.length === 0 ? null : cpu / latencies.length,
    samples: latencies,
    cpuMicros: cpu,
  };
}

/** Several runs of the same case (e.g. rounds interleaved with another case) as one. */
export function combine(runs: readonly Timings[]): Timings {
  const cpu = runs.some((r) => r.cpuMicros === null) ? null : runs.reduce((sum, r) => sum + r.cpuMicros!, 0);
  return summarise(
    runs.flatMap((r) => r.samples),
    runs.reduce((sum, r) => sum + r.failures, 0),
    runs.find((r) => r.firstFailure !== null)?.firstFailure ?? null,
    cpu,
  );
}

const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });

/** One GET; resolves with its latency (ms) and, when it failed, why. Always reads the whole body. */
export async function timedGet(url: string): Promise<{ ms: number; failure: string | null; body: string }> {
  const started = performance.now();
  const response = await request(url, { dispatcher: agent });
  const body = await response.body.text();
  const ms = performance.now() - started;
  return { ms, failure: response.statusCode === 200 ? null : `${response.statusCode} ${body.slice(0, 300)}`, body };
}

/** The URLs one after another (an interactive user), with the server's CPU over the series. */
export async function timeSequential(urls: readonly string[], serverPid: number | undefined): Promise<Timings> {
  const cpuBefore = cpuMicros(serverPid);
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  for (const url of urls) {
    const { ms, failure } = await timedGet(url);
    latencies.push(ms);
    if (failure !== null) {
      failures++;
      firstFailure ??= failure;
    }
  }
  const cpuAfter = cpuMicros(serverPid);
  return summarise(
    latencies,
    failures,
    firstFailure,
    cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  );
}

/**
 * Open-loop load at a fixed rate (a request every 1000/rate ms whatever the previous ones do, so a stall
 * shows in the latencies instead of lowering the rate), POSTing `body` to `url` for `durationSec`.
 */
export async function pacedLoad(options: {
  url: string;
  headers: Record<string, string>;
  body: string;
  rate: number;
  durationSec: number;
  serverPid: number | undefined;
}): Promise<Timings> {
  const { url, headers, body, rate, durationSec } = options;
  const total = Math.round(rate * durationSec);
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  const inFlight: Promise<void>[] = [];
  const cpuBefore = cpuMicros(options.serverPid);
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    inFlight.push(
      request(url, { method: "POST", headers, body, dispatcher: agent })
        .then(async (response) => {
          const text = await response.body.text();
          latencies.push(performance.now() - sent);
          if (response.statusCode !== 200) {
            failures++;
            firstFailure ??= `${response.statusCode} ${text.slice(0, 300)}`;
          }
        })
        .catch((error: Error) => {
          failures++;
          firstFailure ??= error.message;
        }),
    );
  }
  await Promise.all(inFlight);
  const cpuAfter = cpuMicros(options.serverPid);
  return summarise(
    latencies,
    failures,
    firstFailure,
    cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
  );
}

/** Runs `urls` back to back, round robin, until `stop` is aborted; resolves with their timings. */
export async function loopUntil(urls: readonly string[], stop: AbortSignal): Promise<Timings> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  for (let i = 0; !stop.aborted; i++) {
    const { ms, failure } = await timedGet(urls[i % urls.length]!);
    latencies.push(ms);
    if (failure !== null) {
      failures++;
      firstFailure ??= failure;
    }
  }
  return summarise(latencies, failures, firstFailure, null);
}

export async function closeAgent(): Promise<void> {
  await agent.close();
}
