import {
  ADMIN_TOKEN,
  createLimits,
  DEFAULT_LIMITS_SETTINGS,
  LimitsHarness,
  type OwnRedis,
} from "@switchyard/gateway/testing";
import { activeTelemetry, createLogger, type LimitPolicyState, Scopes } from "@switchyard/platform";

/**
 * The limits' in-process measurements (limits-case.ts prints them): CPU time of this process, which
 * holds on a busy shared box where the gateway process' req/s and CPU per request swing by 2×.
 */

export const LIMITS_BENCH_BODY = JSON.stringify({
  model: "gpt-4o-mini",
  max_tokens: 64,
  messages: [{ role: "user", content: "Say hello to Ada, who asked about the weather in Paris today." }],
});

export interface PairedResult {
  rounds: number;
  perRound: number;
  plain: number[];
  limited: number[];
  /** With Redis: script calls per limited request over 10 rounds of 8 in flight (the final flush included). */
  redisCallsPerRequest: number | null;
}

/** Requests in flight in the in-process gateway (perRound is a multiple of it). */
const CONCURRENCY = 8;

const median = (xs: readonly number[]): number | null =>
  xs.length === 0 ? null : ([...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? null);

/** Median of the per-round differences limited − plain (µs per request). */
export function addedMedian(p: PairedResult): number | null {
  return median(p.plain.map((x, i) => (p.limited[i] ?? x) - x));
}
export const medianOf = median;

/**
 * Mean of the paired differences with the 10 % extremes on each side dropped, and its standard
 * error: on a busy machine single rounds swing by ±100 µs, many short rounds average that out.
 */
export function addedTrimmedMean(p: PairedResult): { mean: number; se: number } | null {
  const d = p.plain.map((x, i) => (p.limited[i] ?? x) - x).sort((a, b) => a - b);
  const cut = Math.floor(d.length * 0.1);
  const kept = d.slice(cut, d.length - cut);
  if (kept.length === 0) return null;
  const mean = kept.reduce((a, b) => a + b, 0) / kept.length;
  const variance = kept.reduce((a, b) => a + (b - mean) ** 2, 0) / kept.length;
  return { mean, se: Math.sqrt(variance / kept.length) };
}

/**
 * The whole added cost of limits on a request, as the gateway pays it: an in-process gateway (mock
 * provider answering at once, fastify's inject) with two API keys of one tenant, one with one rpm
 * limit and one monthly cost budget, the other with none. Rounds alternate (order swapped each
 * round) so drift hits both alike; the figure is the median of the paired differences. Includes the
 * stage (plan, worst case, reserve), the x-ratelimit-* headers, and the settlement.
 */
export async function measureGatewayInProcess(
  rounds = 201,
  perRound = 96,
  redis: OwnRedis | null = null,
): Promise<PairedResult> {
  const harness = await LimitsHarness.open();
  try {
    const settings = redis === null ? {} : { redisUrl: redis.url, redisPrefix: `bench:${process.pid}:` };
    const gw = await harness.gateway({ settings });
    const admin = async (method: "POST" | "PUT", url: string, payload: unknown) => {
      const res = await gw.app.inject({
        method,
        url: `/v1/admin${url}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        payload: JSON.stringify(payload),
      });
      if (res.statusCode >= 300) throw new Error(`admin ${method} ${url}: ${res.statusCode} ${res.body}`);
      return res.json() as { id: string; key: string };
    };
    await admin("POST", "/tenants", { id: "bench" });
    const plainKey = await admin("POST", "/tenants/bench/api-keys", {});
    const limitedKey = await admin("POST", "/tenants/bench/api-keys", {});
    await admin("PUT", `/tenants/bench/api-keys/${limitedKey.id}/limits`, {
      rate_limits: [{ type: "requests", unit: "rpm", value: 100_000_000 }],
      usage_limits: { type: "cost", credit_limit: 1_000_000, periodic_reset: "monthly" },
    });
    const send = (key: string) => () =>
      gw.app.inject({
        method: "POST",
        url: "/v1/chat/completions",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "x-portkey-provider": "mock" },
        payload: LIMITS_BENCH_BODY,
      });
    const plain = send(plainKey.key);
    const limited = send(limitedKey.key);
    // CONCURRENCY requests in flight, as the process-level case's connections: with one at a time a
    // Redis round trip leaves the event loop idle, and each wake-up's cost would be counted as the limits'.
    const round = async (run: typeof plain) => {
      const started = process.cpuUsage();
      const worker = async (count: number) => {
        for (let i = 0; i < count; i++) {
          const res = await run();
          if (res.statusCode !== 200) throw new Error(`limits bench: status ${res.statusCode} ${res.body}`);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(perRound / CONCURRENCY)));
      const used = process.cpuUsage(started);
      gw.sink.events.length = 0;
      return (used.user + used.system) / perRound;
    };
    const out: PairedResult = { rounds, perRound, plain: [], limited: [], redisCallsPerRequest: null };
    for (let i = 0; i < 3; i++) {
      await round(plain);
      await round(limited);
    }
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        out.plain.push(await round(plain));
        out.limited.push(await round(limited));
      } else {
        out.limited.push(await round(limited));
        out.plain.push(await round(plain));
      }
    }
    if (redis !== null) {
      // Script calls over limited requests only (the plain key never touches Redis).
      const before = await redis.scriptCalls();
      for (let i = 0; i < 10; i++) await round(limited);
      await gw.limits.store.flush();
      out.redisCallsPerRequest = ((await redis.scriptCalls()) - before) / (10 * perRound);
    }
    return out;
  } finally {
    await harness.close();
  }
}

/**
 * The limiter alone: plan + reserve + settle of a request under one rate limit and one cost budget,
 * CPU µs per request (median of `rounds` rounds after a warm-up long enough for the JIT).
 */
export async function measureLimiterInProcess(rounds = 9, perRound = 5000): Promise<number> {
  const at = new Date().toISOString();
  const policy: LimitPolicyState = {
    id: "ak.bench",
    tenant_id: "bench",
    conditions: [{ key: "api_key", value: "bench" }],
    group_by: [],
    usage_limits: { type: "cost", credit_limit: 1_000_000, periodic_reset: "monthly" },
    rate_limits: [{ type: "requests", unit: "rpm", value: 100_000_000 }],
    usage_reset_at: null,
    version: 1,
    created_at: at,
    updated_at: at,
  };
  const policies = [policy];
  const limits = createLimits({
    settings: DEFAULT_LIMITS_SETTINGS,
    // One list, as the control plane's view returns it until a policy changes.
    policies: { limitPolicies: () => policies, tenants: () => [{ state: { id: "bench" } }] },
    priceOverrides: [],
    logger: createLogger({ name: "bench", level: "silent" }),
    meter: activeTelemetry().meter(Scopes.gateway),
    gatewayInstance: "bench",
    publishAlert: null,
    clickhouse: null,
  });
  const input = {
    tenantId: "bench",
    request: { apiKeyId: "bench", metadata: {} },
    targets: [{ path: "config", provider: "openai", model: "gpt-4o-mini", virtualKeyId: null, overrides: {} }],
    params: JSON.parse(LIMITS_BENCH_BODY) as Record<string, unknown>,
  };
  const actual = { tokens: 40, costNano: 20_000, targetPath: "config", cacheHit: false };
  const once = async () => {
    const admission = await limits.limiter.admit(input, limits.limiter.plan(input));
    await limits.limiter.settle(admission, actual);
  };
  const round = async () => {
    const start = process.cpuUsage();
    for (let i = 0; i < perRound; i++) await once();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / perRound;
  };
  for (let i = 0; i < 4; i++) await round();
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) results.push(await round());
  await limits.close();
  return median(results) ?? 0;
}
