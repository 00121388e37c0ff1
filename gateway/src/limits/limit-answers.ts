import { GatewayError } from "../errors.ts";
import { NANO_PER_USD, type PlannedCounter } from "./limit-plan.ts";
import type { Admission, Refusal } from "./limiter.ts";

/**
 * OpenAI's rate-limit headers for a limited key, on every answer: for requests and for tokens,
 * the rate limit with the least left (`x-ratelimit-limit-*`, `-remaining-*`, `-reset-*`, reset as
 * a duration like "12s").
 */
export function rateLimitHeaders(admission: Admission, now = Date.now()): Record<string, string> {
  const headers: Record<string, string> = {};
  const r = admission.refusal;
  for (const metric of METRICS) {
    let limit = 0;
    let remaining = Number.POSITIVE_INFINITY;
    let end = 0;
    const counters = admission.counters;
    for (let i = 0; i < counters.length; i++) {
      const c = counters[i]!;
      if (c.kind !== "rate" || c.metric !== metric || c.windowEnd === null) continue;
      // A refused request reserved nothing; the counter that refused it told what it held.
      let held: number;
      if (r === null) held = (admission.totals[i] ?? 0) + (admission.amounts[i] ?? 0);
      else if (r.why === "over" && r.counter === c) held = r.total;
      else continue;
      const left = Math.max(0, c.limit - held);
      if (left < remaining) {
        remaining = left;
        limit = c.limit;
        end = c.windowEnd;
      }
    }
    if (remaining === Number.POSITIVE_INFINITY) continue;
    const names = NAMES[metric];
    headers[names.limit] = String(limit);
    headers[names.remaining] = String(remaining);
    headers[names.reset] = `${Math.max(0, Math.ceil((end - now) / 1000))}s`;
  }
  return headers;
}

const METRICS = ["requests", "tokens"] as const;
const NAMES = {
  requests: {
    limit: "x-ratelimit-limit-requests",
    remaining: "x-ratelimit-remaining-requests",
    reset: "x-ratelimit-reset-requests",
  },
  tokens: {
    limit: "x-ratelimit-limit-tokens",
    remaining: "x-ratelimit-remaining-tokens",
    reset: "x-ratelimit-reset-tokens",
  },
} as const;

/** The client's answer to a refusal: 429 (rate, retry-after) or 412 (budget: limit, spend, reset). */
export function refusalError(
  refusal: Refusal,
  now = Date.now(),
): { error: GatewayError; headers: Record<string, string> } {
  if (refusal.why === "unavailable") {
    return {
      error: new GatewayError(
        "limits_unavailable",
        "this key has limits and the shared limit counters are unreachable (fail_closed): retry shortly",
      ),
      headers: { "retry-after": "1" },
    };
  }
  const c = refusal.counter;
  if (refusal.why === "unpriced") {
    return {
      error: new GatewayError(
        "budget_exceeded",
        `budget ${c.limitId} cannot be enforced for this request: model ${refusal.model} on provider ${refusal.provider} has no price (add a price override, PRICING_OVERRIDES_FILE)`,
      ),
      headers: {},
    };
  }
  const resetIn = c.windowEnd === null ? null : Math.max(1, Math.ceil((c.windowEnd - now) / 1000));
  if (c.kind === "rate") {
    const error = new GatewayError(
      "rate_limit_exceeded",
      `rate limit ${c.limitId} reached: at most ${c.limit} ${c.metric} per window (${amount(c, refusal.total)} used${refusal.amount > 1 ? `, this request needs up to ${amount(c, refusal.amount)}` : ""}); retry in ${resetIn ?? 1} s`,
    );
    return { error, headers: { "retry-after": String(resetIn ?? 1) } };
  }
  const reset = c.windowEnd === null ? "never (the budget does not reset)" : new Date(c.windowEnd).toISOString();
  const error = new GatewayError(
    "budget_exceeded",
    `budget ${c.limitId} exhausted: ${amount(c, refusal.total)} of ${amount(c, c.limit)} used this period, this request may need up to ${amount(c, refusal.amount)}; resets ${reset}`,
  );
  return {
    error,
    headers: {
      "x-switchyard-budget-limit": amount(c, c.limit),
      "x-switchyard-budget-spend": amount(c, refusal.total),
      "x-switchyard-budget-reset": c.windowEnd === null ? "never" : new Date(c.windowEnd).toISOString(),
    },
  };
}

function amount(c: PlannedCounter, value: number): string {
  if (c.metric === "cost") return `$${(value / NANO_PER_USD).toFixed(6).replace(/0{1,4}$/, "")}`;
  return `${value} ${c.metric}`;
}
