import { randomUUID } from "node:crypto";
import type { LimitAlertEvent, PriceOverride } from "@switchyard/events";
import type { ClickHouse, LimitPolicyState, Logger, Meter } from "@switchyard/platform";
import { createLimitMetrics } from "./limit-metrics.ts";
import { type LimitStore, MemoryLimitStore } from "./limit-store.ts";
import { type LimitUsageView, listUsage } from "./limit-usage.ts";
import { type LimitAlert, Limiter } from "./limiter.ts";
import type { LimitsSettings } from "./limits-config.ts";
import { RedisLimitStore } from "./redis-limit-store.ts";
import { LimitUsageRepository, rebuildCounters } from "./usage-repository.ts";

/** Where policies come from: the control plane's view (file layer first). */
export interface LimitPolicySource {
  limitPolicies(tenantId: string): readonly LimitPolicyState[];
  tenants(): Array<{ state: { id: string } }>;
}

export interface LimitsDeps {
  settings: LimitsSettings;
  policies: LimitPolicySource;
  priceOverrides: readonly PriceOverride[];
  logger: Logger;
  meter: Meter;
  gatewayInstance: string;
  /** Alert events go on the bus (llm.limit-alerts.v1); null: logged and counted only. */
  publishAlert: ((event: LimitAlertEvent) => void) | null;
  /** The event log's projection, to rebuild counters at start; null: start from zero. */
  clickhouse: ClickHouse | null;
  now?: () => number;
}

/** The gateway's limits: the limiter on the request path, usage for the API, rebuild, shutdown. */
export interface Limits {
  readonly limiter: Limiter;
  readonly store: LimitStore;
  usage(tenantId: string): Promise<LimitUsageView[]>;
  /** Seeds counters from ClickHouse (at start, once the control plane is ready). */
  rebuild(): Promise<void>;
  close(): Promise<void>;
}

export function createLimits(deps: LimitsDeps): Limits {
  const { settings, logger } = deps;
  const now = deps.now ?? Date.now;
  const store: LimitStore =
    settings.redisUrl === null
      ? new MemoryLimitStore(now)
      : new RedisLimitStore({
          url: settings.redisUrl,
          keyPrefix: settings.redisPrefix,
          reservationTtlMs: settings.reservationTtlMs,
          commandTimeoutMs: settings.redisTimeoutMs,
          settleDelayMs: settings.settleDelayMs,
        });
  const fallback = settings.redisUrl !== null && settings.failMode === "open" ? new MemoryLimitStore(now) : null;
  const metrics = createLimitMetrics(deps.meter);
  const onAlert = (alert: LimitAlert) => {
    const c = alert.counter;
    const ttl = c.windowEnd === null ? 0 : c.windowEnd - now() + 60_000;
    void store
      .claimOnce(`alert|${c.key}`, ttl)
      .then((first) => {
        if (!first) return;
        metrics.alerted(alert.tenantId, c);
        const event = alertEvent(alert, deps.gatewayInstance, now());
        logger.info(
          { tenant_id: alert.tenantId, limit_id: c.limitId, spend: event.spend },
          "limits: alert threshold crossed",
        );
        deps.publishAlert?.(event);
      })
      .catch((error: unknown) => logger.warn({ err: (error as Error)?.message }, "limits: alert not claimed"));
  };
  let rebuilding: Promise<void> | null = null;
  const rebuild = (): Promise<void> => {
    rebuilding ??= (async () => {
      try {
        if (deps.clickhouse !== null) {
          const repository = new LimitUsageRepository(deps.clickhouse);
          const policies = deps.policies.tenants().flatMap((t) => deps.policies.limitPolicies(t.state.id));
          const at = now();
          const seeded = await rebuildCounters(repository, store, policies, at, (await store.lostAt()) ?? at);
          logger.info({ policies: policies.length, counters: seeded }, "limits: counters rebuilt from the event log");
        }
        await store.markSeeded();
      } catch (error) {
        // Never a reason not to serve: the counters then go on from what the store holds.
        logger.warn({ err: (error as Error)?.message }, "limits: rebuild from ClickHouse failed");
      } finally {
        rebuilding = null;
      }
    })();
    return rebuilding;
  };
  const limiter = new Limiter({
    store,
    fallback,
    policies: (tenantId) => deps.policies.limitPolicies(tenantId),
    priceOverrides: deps.priceOverrides,
    defaultOutputCap: settings.defaultOutputCap,
    logger,
    metrics,
    onAlert,
    onStoreLost: () => {
      if (rebuilding !== null) return;
      logger.warn({ store: store.kind }, "limits: the shared counters were lost (Redis restarted empty); rebuilding");
      void rebuild();
    },
    now,
  });
  return {
    limiter,
    store,
    usage: (tenantId) => listUsage(store, deps.policies.limitPolicies(tenantId), tenantId, now()),
    rebuild,
    async close() {
      await store.close();
      await fallback?.close();
    },
  };
}

function alertEvent(alert: LimitAlert, instance: string, now: number): LimitAlertEvent {
  const c = alert.counter;
  const scale = c.metric === "cost" ? 1e9 : 1;
  return {
    event_id: randomUUID(),
    schema_version: 1,
    occurred_at: new Date(now).toISOString(),
    gateway_instance: instance,
    tenant_id: alert.tenantId,
    limit_id: c.limitId,
    policy_id: c.policyId,
    metric: c.metric,
    credit_limit: c.limit / scale,
    alert_threshold: (c.alertAt ?? 0) / scale,
    spend: alert.used / scale,
    period_start: new Date(c.windowStart).toISOString(),
    period_end: c.windowEnd === null ? null : new Date(c.windowEnd).toISOString(),
  };
}
