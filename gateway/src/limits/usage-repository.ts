import { type ClickHouse, type LimitPolicyState, toClickHouseDateTime } from "@switchyard/platform";
import { counterKey, slotsOf } from "./limit-plan.ts";
import type { LimitStore } from "./limit-store.ts";

/**
 * Rebuilds counters from the event log's projection in ClickHouse (the source of truth): for each
 * limit of each policy, what requests under it used since its window started. Only requests that
 * were routed count (`provider != 'none'`: refused ones never reached an upstream or the cache);
 * a cache hit counts as a request but not its tokens or cost. The one SQL of the limits lives here.
 */
export interface UsageRow {
  group: string[];
  requests: number;
  tokens: number;
  costNano: number;
}

const COLUMN: Record<string, string> = {
  api_key: "ifNull(api_key_id, '')",
  virtual_key: "ifNull(virtual_key_id, '')",
  model: "model",
  provider: "provider",
};

export class LimitUsageRepository {
  private readonly clickhouse: ClickHouse;

  constructor(clickhouse: ClickHouse) {
    this.clickhouse = clickhouse;
  }

  /** Usage in [since, until). */
  async usageBetween(policy: LimitPolicyState, since: number, until: number): Promise<UsageRow[]> {
    const params: Record<string, unknown> = {
      tenant: policy.tenant_id,
      since: toClickHouseDateTime(new Date(since)),
      until: toClickHouseDateTime(new Date(until)),
    };
    let n = 0;
    const column = (key: string): string => {
      if (key in COLUMN) return COLUMN[key]!;
      const name = `m${n++}`;
      params[name] = key.slice("metadata.".length);
      return `metadata[{${name}:String}]`;
    };
    const where = policy.conditions.map((c) => {
      const col = column(c.key);
      const values = Array.isArray(c.value) ? c.value : [c.value];
      const name = `v${n++}`;
      params[name] = values;
      const matched = values.includes("*") ? `${col} != ''` : `${col} IN {${name}:Array(String)}`;
      return c.excludes ? `NOT (${matched})` : matched;
    });
    const groups = policy.group_by.map((g) => column(g.key));
    const groupExpr = groups.length > 0 ? `[${groups.join(", ")}]` : "CAST([] AS Array(String))";
    // A grouped dimension that is absent is not under the policy (as on the request path).
    for (const g of groups) where.push(`${g} != ''`);
    const query = `
      SELECT ${groupExpr} AS grp,
        count() AS requests,
        sum(if(cache_status IN ('HIT', 'SEMANTIC HIT'), 0, input_tokens + output_tokens)) AS tokens,
        sum(if(cache_status IN ('HIT', 'SEMANTIC HIT'), 0, cost_nano_usd)) AS cost
      FROM requests
      WHERE tenant_id = {tenant:String} AND occurred_at >= {since:DateTime64(3, 'UTC')}
        AND occurred_at < {until:DateTime64(3, 'UTC')} AND provider != 'none'
        ${where.map((w) => `AND ${w}`).join(" ")}
      GROUP BY grp
      LIMIT 100000`;
    const result = await this.clickhouse.client.query({ query, query_params: params, format: "JSONEachRow" });
    const rows = await result.json<{
      grp: string[];
      requests: string | number;
      tokens: string | number;
      cost: string | number;
    }>();
    return rows.map((r) => ({
      group: r.grp,
      requests: Number(r.requests),
      tokens: Number(r.tokens),
      costNano: Number(r.cost),
    }));
  }
}

/**
 * Seeds the store with every policy's usage in each limit's current window up to `until` — now at
 * start, or when the store was seen to have lost its counters (what came after is in the store) —
 * into the counters not seeded yet (a shared Redis that kept its counters is left alone).
 */
export async function rebuildCounters(
  repository: LimitUsageRepository,
  store: LimitStore,
  policies: readonly LimitPolicyState[],
  now: number,
  until: number = now,
): Promise<number> {
  let seeded = 0;
  for (const policy of policies) {
    const bySince = new Map<number, UsageRow[]>();
    for (const [slot, make] of slotsOf(policy, now)) {
      const core = make();
      let rows = bySince.get(core.windowStart);
      if (rows === undefined) {
        rows = await repository.usageBetween(policy, core.windowStart, until);
        bySince.set(core.windowStart, rows);
      }
      const ttlMs = core.windowEnd === null ? 0 : Math.max(1, core.windowEnd - now + 60_000);
      const entries = rows.map((row) => ({
        key: counterKey(policy.tenant_id, policy.id, slot, row.group, core.windowStart),
        used: core.metric === "requests" ? row.requests : core.metric === "tokens" ? row.tokens : row.costNano,
        ttlMs,
      }));
      await store.seed(entries.filter((e) => e.used > 0));
      seeded += entries.length;
    }
  }
  return seeded;
}
