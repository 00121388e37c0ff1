import { fileURLToPath } from "node:url";
import { cpuMeter } from "./cpu.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { startGateway, startUpstream, stopChild } from "./processes.ts";

/**
 * What the /v1/responses chat adapter adds per request: the same conversation through a running
 * gateway as /v1/chat/completions and as /v1/responses, to a provider that does not speak the
 * Responses API (vllm preset → the fake OpenAI chat upstream), so every /v1/responses request is
 * converted to chat and its answer converted back (JSON, and as Responses SSE events when streamed).
 * Cases interleave in rounds (order rotated) at 8 connections; the figure is the gateway's CPU µs per
 * request (utime+stime of its process over the window), and the adapter's cost the difference.
 * `node test/bench/responses-case.ts` (~50 s). Prints figures; asserts nothing.
 */
interface Case {
  name: string;
  path: string;
  body: object;
}

const MESSAGES = [{ role: "user", content: "Say hello" }];
const CASES: Case[] = [
  { name: "chat JSON", path: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: MESSAGES } },
  { name: "responses JSON", path: "/v1/responses", body: { model: "gpt-4o-mini", input: "Say hello" } },
  {
    name: "chat stream",
    path: "/v1/chat/completions",
    body: { model: "gpt-4o-mini", messages: MESSAGES, stream: true },
  },
  { name: "responses stream", path: "/v1/responses", body: { model: "gpt-4o-mini", input: "Say hello", stream: true } },
];

interface Sample {
  result: LoadResult;
  cpuPerRequest: number | null;
}

export async function measureResponses(options: {
  gatewayBase: string;
  gatewayPid: number | undefined;
  upstreamBaseUrl: string;
  rounds: number;
  sliceSec: number;
  connections: number;
}): Promise<Map<string, Sample[]>> {
  const headers = {
    "content-type": "application/json",
    "x-portkey-config": JSON.stringify({ provider: "vllm", custom_host: options.upstreamBaseUrl }),
  };
  const run = (c: Case, durationSec: number) =>
    runLoad({
      url: `${options.gatewayBase}${c.path}`,
      headers,
      body: JSON.stringify(c.body),
      connections: options.connections,
      durationSec,
    });
  for (const c of CASES) await run(c, 2); // warm-up: JIT, pools
  const samples = new Map<string, Sample[]>(CASES.map((c) => [c.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < CASES.length; i++) {
      const c = CASES[(i + round) % CASES.length]!;
      const meter = cpuMeter({ gateway: options.gatewayPid });
      const result = await run(c, options.sliceSec);
      const cpu = meter.stop().gateway;
      samples
        .get(c.name)!
        .push({ result, cpuPerRequest: cpu == null || result.requests === 0 ? null : cpu / result.requests });
    }
  }
  return samples;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

export function printResponses(samples: Map<string, Sample[]>, connections: number): void {
  console.log(`\n/v1/responses adapter vs /v1/chat/completions (vllm preset → fake chat upstream, c=${connections})`);
  console.log("case               req/s (median)  p50 ms   non-2xx   gateway CPU µs/req (median of rounds)");
  const cpu = new Map<string, number>();
  for (const [name, list] of samples) {
    const perReq = median(list.map((s) => s.cpuPerRequest ?? Number.NaN).filter((v) => !Number.isNaN(v)));
    cpu.set(name, perReq);
    const rps = median(list.map((s) => s.result.requestsPerSec));
    const p50 = median(list.map((s) => s.result.p50Ms));
    const non2xx = list.reduce((n, s) => n + s.result.non2xx, 0);
    console.log(
      `${name.padEnd(18)} ${rps.toFixed(0).padStart(10)}  ${p50.toFixed(2).padStart(8)}  ${String(non2xx).padStart(7)}   ${perReq.toFixed(1).padStart(8)}`,
    );
  }
  const diff = (a: string, b: string) => ((cpu.get(a) ?? Number.NaN) - (cpu.get(b) ?? Number.NaN)).toFixed(1);
  console.log(
    `adapter's added CPU per request: JSON ${diff("responses JSON", "chat JSON")} µs, stream ${diff("responses stream", "chat stream")} µs`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL("../..", import.meta.url).pathname;
  const upstream = await startUpstream(root);
  const gateway = await startGateway(root, {});
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 8);
  try {
    const samples = await measureResponses({
      gatewayBase: gateway.url.replace(/\/v1\/chat\/completions$/, ""),
      gatewayPid: gateway.child.pid,
      upstreamBaseUrl: upstream.baseUrl,
      rounds: Number(process.env.BENCH_ROUNDS ?? 2),
      sliceSec: Number(process.env.BENCH_DURATION_SEC ?? 5),
      connections,
    });
    printResponses(samples, connections);
  } finally {
    await gateway.stop();
    await stopChild(upstream.child);
  }
}
