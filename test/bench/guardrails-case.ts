import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { buildTestGateway } from "@switchyard/gateway/testing";
import { cpuMeter } from "./cpu.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { startGateway, startUpstream, stopChild } from "./processes.ts";

/**
 * The guardrails' case of `npm run bench`: the same single-target config without hooks and with one
 * input hook of three cheap checks (default.regexMatch, default.wordCount, pii detecting every
 * category), through a running gateway at 8 connections, in interleaved rounds (order alternated)
 * so drift from other load on the shared box hits both alike. Reports the gateway's CPU µs per
 * request for each and the added cost (median of the per-round differences; target ≤ 30 µs for a
 * short prompt). The guarded answers carry hook_results, so the added cost includes rewriting the
 * answer's body. Prints figures; asserts nothing.
 */
export interface GuardrailsCaseResult {
  rounds: Array<{ plain: Measured; guarded: Measured }>;
  preflight: { plain: number; guarded: number };
  inProcess: InProcessResult;
}

/** The same two configs through an in-process gateway (mock provider, fastify's inject): CPU µs per request. */
interface InProcessResult {
  rounds: number;
  perRound: number;
  plain: number[];
  guarded: number[];
}

interface Measured {
  result: LoadResult;
  gatewayCpuPerRequest: number | null;
}

const body = JSON.stringify({
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "Say hello to Ada, who asked about the weather in Paris today." }],
});
const HOOKS = {
  input_guardrails: [
    {
      id: "cheap-checks",
      "default.regexMatch": { rule: "/weather|hello/i" },
      "default.wordCount": { minWords: 1, maxWords: 500 },
      pii: {},
      deny: true,
    },
  ],
};

export async function measureGuardrails(options: {
  gatewayUrl: string;
  gatewayPid: number | undefined;
  upstreamBaseUrl: string;
  durationSec: number;
  warmupSec: number;
  rounds?: number;
}): Promise<GuardrailsCaseResult> {
  const leaf = { provider: "openai", api_key: "sk-bench-guardrails", custom_host: options.upstreamBaseUrl };
  const target = (config: object) => ({
    url: options.gatewayUrl,
    headers: { "content-type": "application/json", "x-portkey-config": JSON.stringify(config) },
  });
  const plain = target(leaf);
  const guarded = target({ ...leaf, ...HOOKS });
  const status = async (t: ReturnType<typeof target>) =>
    (await fetch(t.url, { method: "POST", headers: t.headers, body })).status;
  const preflight = { plain: await status(plain), guarded: await status(guarded) };
  const measure = async (t: ReturnType<typeof target>, durationSec: number): Promise<Measured> => {
    const meter = cpuMeter({ gateway: options.gatewayPid });
    const result = await runLoad({ ...t, body, connections: 8, durationSec });
    const cpu = meter.stop().gateway;
    return { result, gatewayCpuPerRequest: cpu == null || result.requests === 0 ? null : cpu / result.requests };
  };
  await measure(plain, options.warmupSec);
  await measure(guarded, options.warmupSec);
  const rounds: GuardrailsCaseResult["rounds"] = [];
  const count = options.rounds ?? 3;
  const slice = Math.max(2, Math.round(options.durationSec / 2));
  for (let r = 0; r < count; r++) {
    if (r % 2 === 0) {
      const p = await measure(plain, slice);
      rounds.push({ plain: p, guarded: await measure(guarded, slice) });
    } else {
      const g = await measure(guarded, slice);
      rounds.push({ plain: await measure(plain, slice), guarded: g });
    }
  }
  // Many short paired rounds: the median of their differences is what holds on a busy box.
  return { rounds, preflight, inProcess: await measureInProcess(41, 500) };
}

/**
 * The share of a request the hooks add, with the transport and upstream out of the picture: an
 * in-process gateway (the mock provider answers at once), the two configs alternating in short
 * rounds, CPU time of this process per request (process.cpuUsage over each round). Paired rounds on
 * one core see the same machine, so the median difference holds on a busy box where req/s does not.
 */
async function measureInProcess(rounds: number, perRound: number): Promise<InProcessResult> {
  const gw = buildTestGateway();
  const inject = (config: object) => () =>
    gw.app.inject({
      method: "POST",
      url: "/v1/chat/completions",
      headers: { "content-type": "application/json", "x-portkey-config": JSON.stringify(config) },
      payload: body,
    });
  const plain = inject({ provider: "mock" });
  const guarded = inject({ provider: "mock", ...HOOKS });
  const round = async (send: () => Promise<{ statusCode: number }>) => {
    const started = process.cpuUsage();
    for (let i = 0; i < perRound; i++) {
      const res = await send();
      if (res.statusCode !== 200) throw new Error(`guardrails bench: status ${res.statusCode}`);
    }
    const used = process.cpuUsage(started);
    gw.sink.events.length = 0;
    return (used.user + used.system) / perRound;
  };
  const out: InProcessResult = { rounds, perRound, plain: [], guarded: [] };
  try {
    // Warm both paths well past the JIT's tiers before any round counts.
    for (let w = 0; w < 4; w++) {
      await round(plain);
      await round(guarded);
    }
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        out.plain.push(await round(plain));
        out.guarded.push(await round(guarded));
      } else {
        out.guarded.push(await round(guarded));
        out.plain.push(await round(plain));
      }
    }
  } finally {
    await gw.close();
  }
  return out;
}

export function printGuardrails(g: GuardrailsCaseResult): void {
  const fmt = (n: number | null, digits = 1) => (n === null ? "n/a" : n.toFixed(digits));
  console.log(
    `\nguardrails (8 connections, ${g.rounds.length} interleaved rounds; preflight status plain ${g.preflight.plain}, guarded ${g.preflight.guarded})`,
  );
  console.log("round  plain req/s  CPU µs/req   3 checks req/s  CPU µs/req   added CPU µs/req");
  const added: number[] = [];
  g.rounds.forEach(({ plain, guarded }, i) => {
    const diff =
      plain.gatewayCpuPerRequest === null || guarded.gatewayCpuPerRequest === null
        ? null
        : guarded.gatewayCpuPerRequest - plain.gatewayCpuPerRequest;
    if (diff !== null) added.push(diff);
    console.log(
      `${String(i + 1).padEnd(6)} ${fmt(plain.result.requestsPerSec, 0).padStart(11)}  ${fmt(plain.gatewayCpuPerRequest).padStart(10)}   ` +
        `${fmt(guarded.result.requestsPerSec, 0).padStart(14)}  ${fmt(guarded.gatewayCpuPerRequest).padStart(10)}   ${fmt(diff).padStart(16)}`,
    );
  });
  const sorted = [...added].sort((a, b) => a - b);
  const median = sorted.length === 0 ? null : (sorted[Math.floor((sorted.length - 1) / 2)] ?? null);
  console.log(`gateway process: added CPU per request by regexMatch + wordCount + pii (median): ${fmt(median)} µs`);
  const p = g.inProcess;
  const diffs = p.plain.map((x, i) => (p.guarded[i] ?? x) - x).sort((a, b) => a - b);
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? null;
  console.log(
    `in process (mock provider, ${p.rounds} paired rounds of ${p.perRound}): plain ${fmt(mid(p.plain))} µs/req, ` +
      `3 checks ${fmt(mid(p.guarded))} µs/req, added (median of paired differences) ${fmt(mid(diffs))} µs  (target ≤ 30 µs)`,
  );
  // On a loaded box a round's CPU per request jumps between levels ~30% apart (whether a neighbour
  // shares the core), and a pair that straddles a jump skews its difference: the medians' difference
  // and the least-disturbed rounds' (the minima) are shown beside the paired figure.
  const levels = (mid(p.guarded) ?? 0) - (mid(p.plain) ?? 0);
  const least = Math.min(...p.guarded) - Math.min(...p.plain);
  console.log(`in process, difference of the medians: ${fmt(levels)} µs; of the minima: ${fmt(least)} µs`);
  // The box is shared: CPU time per request grows with the load beside it, the added cost with it.
  console.log(
    `load average after the case: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(", ")}`,
  );
  const bad = g.rounds.some((r) => r.plain.result.non2xx > 0 || r.guarded.result.non2xx > 0);
  if (bad) console.log("WARNING: non-2xx answers in the guardrails case: these figures do not measure guardrails");
}

// `node test/bench/guardrails-case.ts`: only this case, with its own upstream and gateway.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL("../..", import.meta.url).pathname;
  const upstream = await startUpstream(root);
  const gateway = await startGateway(root, {});
  try {
    const durationSec = Number(process.env.BENCH_DURATION_SEC ?? 10);
    const warmupSec = Number(process.env.BENCH_WARMUP_SEC ?? 3);
    printGuardrails(
      await measureGuardrails({
        gatewayUrl: gateway.url,
        gatewayPid: gateway.child.pid,
        upstreamBaseUrl: upstream.baseUrl,
        durationSec,
        warmupSec,
      }),
    );
  } finally {
    await gateway.stop();
    await stopChild(upstream.child);
  }
}
