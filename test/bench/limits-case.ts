import { fileURLToPath } from "node:url";
import { OwnRedis } from "@switchyard/gateway/testing";
import { cpuMeter } from "./cpu.ts";
import {
  addedMedian,
  addedTrimmedMean,
  LIMITS_BENCH_BODY,
  measureGatewayInProcess,
  measureLimiterInProcess,
  medianOf,
  type PairedResult,
} from "./limits-in-process.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { startGateway, startUpstream, stopChild } from "./processes.ts";

/**
 * The limits' case of `npm run bench`: one gateway API key with one rate limit and one budget
 * against a second key of the same tenant without limits, through a running gateway at 8
 * connections, in interleaved rounds (order alternated) — embedded (in-process counters) and with
 * REDIS_URL (a redis-server of its own, so its command counts are this gateway's alone). Reports
 * the gateway's CPU µs per request and the added cost (median of per-round differences; target
 * ≤ 20 µs embedded), and for Redis the Lua calls per limited request (target ≤ 1: the reserve is the
 * one round trip, and it carries the settlements of earlier answers). The same two keys also go
 * through an in-process gateway in paired rounds (limits-in-process.ts), the figure that holds on a
 * busy machine. Prints figures; asserts nothing.
 */
export interface LimitsCaseResult {
  /** measureLimiterInProcess: CPU µs per request of plan + reserve + settle, embedded. */
  inProcessCpuPerRequest: number;
  /** measureGatewayInProcess: the same two keys through an in-process gateway, paired rounds. */
  gatewayInProcess: PairedResult;
  /** The same with the counters in a redis-server of the bench's own. */
  gatewayInProcessRedis: PairedResult;
  modes: Array<{
    mode: "embedded" | "redis";
    rounds: Array<{ plain: Measured; limited: Measured }>;
    /** Redis: script calls (EVALSHA/EVAL) per limited request over the measured windows. */
    redisCallsPerRequest: number | null;
    preflight: { plain: number; limited: number; headers: string | null };
  }>;
}

interface Measured {
  result: LoadResult;
  gatewayCpuPerRequest: number | null;
}

const TOKEN = "bench-limits-admin-token-0123456789";
const body = LIMITS_BENCH_BODY;

async function adminCall(
  base: string,
  method: string,
  path: string,
  payload?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/v1/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(payload ? { "content-type": "application/json" } : {}) },
    ...(payload ? { body: JSON.stringify(payload) } : {}),
  });
  if (res.status >= 300) throw new Error(`admin ${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

export async function measureLimits(options: {
  root: string;
  upstreamBaseUrl: string;
  durationSec: number;
  warmupSec: number;
  rounds?: number;
}): Promise<LimitsCaseResult> {
  const modes: LimitsCaseResult["modes"] = [];
  for (const mode of ["embedded", "redis"] as const) {
    const redisServer = mode === "redis" ? await OwnRedis.start() : null;
    const gateway = await startGateway(options.root, {
      SWITCHYARD_ADMIN_TOKEN: TOKEN,
      SWITCHYARD_CUSTOM_HOST_ALLOWLIST: "127.0.0.1",
      ...(redisServer ? { REDIS_URL: redisServer.url } : {}),
    });
    const redis = redisServer;
    try {
      const base = new URL(gateway.url).origin;
      await adminCall(base, "POST", "/tenants", { id: "bench" });
      const key = async () =>
        (await adminCall(base, "POST", "/tenants/bench/api-keys", {})) as { id: string; key: string };
      const plainKey = await key();
      const limitedKey = await key();
      await adminCall(base, "PUT", `/tenants/bench/api-keys/${limitedKey.id}/limits`, {
        rate_limits: [{ type: "requests", unit: "rpm", value: 100_000_000 }],
        usage_limits: { type: "cost", credit_limit: 1_000_000, periodic_reset: "monthly" },
      });
      const target = (gatewayKey: string) => ({
        url: gateway.url,
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${gatewayKey}`,
          "x-portkey-config": JSON.stringify({
            provider: "openai",
            api_key: "sk-bench-limits",
            custom_host: options.upstreamBaseUrl,
          }),
        },
      });
      const plain = target(plainKey.key);
      const limited = target(limitedKey.key);
      const probe = async (t: typeof plain) => fetch(t.url, { method: "POST", headers: t.headers, body });
      const limitedProbe = await probe(limited);
      const preflight = {
        plain: (await probe(plain)).status,
        limited: limitedProbe.status,
        headers: limitedProbe.headers.get("x-ratelimit-remaining-requests"),
      };
      const measure = async (t: typeof plain, durationSec: number): Promise<Measured & { calls: number }> => {
        const callsBefore = redis ? await redis.scriptCalls() : 0;
        const meter = cpuMeter({ gateway: gateway.child.pid });
        const result = await runLoad({ ...t, body, connections: 8, durationSec });
        const cpu = meter.stop().gateway;
        const calls = redis ? (await redis.scriptCalls()) - callsBefore : 0;
        return {
          result,
          calls,
          gatewayCpuPerRequest: cpu == null || result.requests === 0 ? null : cpu / result.requests,
        };
      };
      await measure(plain, options.warmupSec);
      await measure(limited, options.warmupSec);
      const rounds: Array<{ plain: Measured; limited: Measured }> = [];
      let calls = 0;
      let limitedRequests = 0;
      const slice = Math.max(2, Math.round(options.durationSec / 2));
      for (let r = 0; r < (options.rounds ?? 3); r++) {
        const first = r % 2 === 0 ? plain : limited;
        const a = await measure(first, slice);
        const b = await measure(first === plain ? limited : plain, slice);
        const [p, l] = first === plain ? [a, b] : [b, a];
        calls += l.calls;
        limitedRequests += l.result.requests;
        rounds.push({ plain: p, limited: l });
      }
      modes.push({
        mode,
        rounds,
        redisCallsPerRequest: redis && limitedRequests > 0 ? calls / limitedRequests : null,
        preflight,
      });
    } finally {
      await gateway.stop();
      await redisServer?.kill();
    }
  }
  return {
    inProcessCpuPerRequest: await measureLimiterInProcess(),
    gatewayInProcess: await measureGatewayInProcess(),
    gatewayInProcessRedis: await inProcessWithRedis(),
    modes,
  };
}

async function inProcessWithRedis(): Promise<PairedResult> {
  const redis = await OwnRedis.start();
  try {
    return await measureGatewayInProcess(undefined, undefined, redis);
  } finally {
    await redis.kill();
  }
}

export function printLimits(c: LimitsCaseResult): void {
  const fmt = (n: number | null, digits = 1) => (n === null ? "n/a" : n.toFixed(digits));
  console.log(
    `\nlimits in process, the limiter alone (plan + reserve + settle, one rate limit + one cost budget, embedded): ${fmt(c.inProcessCpuPerRequest, 2)} CPU µs/request`,
  );
  for (const [store, p] of [
    ["embedded", c.gatewayInProcess],
    ["redis", c.gatewayInProcessRedis],
  ] as const) {
    const target = store === "embedded" ? "  (target ≤ 20 µs)" : "";
    console.log(
      `limits in process, whole gateway, ${store} (mock provider, 8 in flight, ${p.rounds} paired rounds of ${p.perRound}): no limits ${fmt(medianOf(p.plain))} µs/req, ` +
        `1 rate + 1 budget ${fmt(medianOf(p.limited))} µs/req, added: median of paired differences ${fmt(addedMedian(p), 1)} µs, ` +
        `trimmed mean ${fmt(addedTrimmedMean(p)?.mean ?? null, 1)} ± ${fmt(addedTrimmedMean(p)?.se ?? null, 1)} µs (s.e.)${target}`,
    );
    if (p.redisCallsPerRequest !== null) {
      console.log(
        `  Redis script calls per limited request (8 in flight, final flush included): ${fmt(p.redisCallsPerRequest, 3)}  (target ≤ 1)`,
      );
    }
  }
  for (const m of c.modes) {
    console.log(
      `\nlimits, ${m.mode} (8 connections, ${m.rounds.length} interleaved rounds; preflight status plain ${m.preflight.plain}, limited ${m.preflight.limited}, x-ratelimit-remaining-requests ${m.preflight.headers})`,
    );
    console.log("round  no limits req/s  CPU µs/req   1 rate + 1 budget req/s  CPU µs/req   added CPU µs/req");
    const added: number[] = [];
    m.rounds.forEach(({ plain, limited }, i) => {
      const diff =
        plain.gatewayCpuPerRequest === null || limited.gatewayCpuPerRequest === null
          ? null
          : limited.gatewayCpuPerRequest - plain.gatewayCpuPerRequest;
      if (diff !== null) added.push(diff);
      console.log(
        `${String(i + 1).padEnd(6)} ${fmt(plain.result.requestsPerSec, 0).padStart(15)}  ${fmt(plain.gatewayCpuPerRequest).padStart(10)}   ` +
          `${fmt(limited.result.requestsPerSec, 0).padStart(23)}  ${fmt(limited.gatewayCpuPerRequest).padStart(10)}   ${fmt(diff).padStart(16)}`,
      );
    });
    const sorted = [...added].sort((a, b) => a - b);
    const median = sorted.length === 0 ? null : (sorted[Math.floor((sorted.length - 1) / 2)] ?? null);
    const target = m.mode === "embedded" ? "  (target ≤ 20 µs)" : "";
    console.log(`added CPU per request by one rate limit + one budget (median): ${fmt(median)} µs${target}`);
    if (m.redisCallsPerRequest !== null) {
      console.log(
        `Redis Lua calls per limited request: ${fmt(m.redisCallsPerRequest, 2)} (target ≤ 1: the reserve is the one call per request and carries the settlements of earlier answers)`,
      );
    }
    const bad = m.rounds.some((r) => r.plain.result.non2xx > 0 || r.limited.result.non2xx > 0);
    if (bad) console.log("WARNING: non-2xx answers in the limits case: these figures do not measure limits");
  }
}

// `node test/bench/limits-case.ts`: only this case, with its own upstream, gateways and Redis.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL("../..", import.meta.url).pathname;
  const upstream = await startUpstream(root);
  try {
    printLimits(
      await measureLimits({
        root,
        upstreamBaseUrl: upstream.baseUrl,
        durationSec: Number(process.env.BENCH_DURATION_SEC ?? 10),
        warmupSec: Number(process.env.BENCH_WARMUP_SEC ?? 3),
      }),
    );
  } finally {
    await stopChild(upstream.child);
  }
}
