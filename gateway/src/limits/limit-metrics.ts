import type { Meter } from "@switchyard/platform";
import type { PlannedCounter } from "./limit-plan.ts";
import { NANO_PER_USD } from "./limit-plan.ts";

/**
 * Prometheus-visible state of the limits: spend and remaining per limit this replica has seen
 * (gauges; cost in USD), refusals, alerts, and failures of the shared store. The gauges' series
 * are bounded: at most MAX_SERIES limits are tracked, the first seen dropped first.
 */
export interface LimitMetrics {
  observe(tenantId: string, counter: PlannedCounter, used: number): void;
  refused(tenantId: string, counter: PlannedCounter): void;
  alerted(tenantId: string, counter: PlannedCounter): void;
  storeError(operation: string): void;
}

const MAX_SERIES = 5000;

interface Seen {
  key: string;
  attributes: { tenant_id: string; limit_id: string; metric: string };
  used: number;
  limit: number;
  scale: number;
}

export function createLimitMetrics(meter: Meter): LimitMetrics {
  const seen = new Map<string, Seen>();
  const spend = meter.createObservableGauge("switchyard_limit_spend", {
    description: "What a limit has used in its current window (USD for cost, else tokens or requests)",
  });
  const remaining = meter.createObservableGauge("switchyard_limit_remaining", {
    description: "What a limit has left in its current window (USD for cost, else tokens or requests)",
  });
  meter.addBatchObservableCallback(
    (result) => {
      for (const s of seen.values()) {
        result.observe(spend, s.used / s.scale, s.attributes);
        result.observe(remaining, Math.max(0, s.limit - s.used) / s.scale, s.attributes);
      }
    },
    [spend, remaining],
  );
  const refusals = meter.createCounter("switchyard_limit_refusals_total", {
    description: "Requests refused by a budget (412) or rate limit (429)",
  });
  const alerts = meter.createCounter("switchyard_limit_alerts_total", {
    description: "Budget alert thresholds crossed (once per limit and period)",
  });
  const storeErrors = meter.createCounter("switchyard_limit_store_errors_total", {
    description: "Operations the shared limit counters (Redis) could not answer",
  });
  const attributesOf = (tenantId: string, c: PlannedCounter) => ({
    tenant_id: tenantId,
    limit_id: c.limitId,
    metric: c.metric,
  });
  // Planned counters are memoised (plan-cache.ts): the series of a counter object is found without
  // building its key string again. Series are dropped oldest-first-seen past MAX_SERIES.
  const byCounter = new WeakMap<PlannedCounter, Seen>();
  return {
    observe(tenantId, counter, used) {
      let s = byCounter.get(counter);
      if (s === undefined || seen.get(s.key) !== s) {
        const key = `${tenantId}|${counter.limitId}`;
        s = seen.get(key);
        if (s === undefined) {
          if (seen.size >= MAX_SERIES) seen.delete(seen.keys().next().value as string);
          const scale = counter.metric === "cost" ? NANO_PER_USD : 1;
          s = { key, attributes: attributesOf(tenantId, counter), used, limit: counter.limit, scale };
          seen.set(key, s);
        }
        byCounter.set(counter, s);
      }
      s.used = used;
      s.limit = counter.limit;
    },
    refused(tenantId, counter) {
      refusals.add(1, { ...attributesOf(tenantId, counter), kind: counter.kind });
    },
    alerted(tenantId, counter) {
      alerts.add(1, attributesOf(tenantId, counter));
    },
    storeError(operation) {
      storeErrors.add(1, { operation });
    },
  };
}
