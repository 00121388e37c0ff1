import type { ClickHouseClient } from "@clickhouse/client";
import { fromClickHouseDateTime, toClickHouseDateTime } from "@switchyard/platform";
import { READ_QUERY_SETTINGS } from "./query-limits.ts";
import { toNumber } from "./sql-values.ts";

/** One budget alert as the API returns it (a LimitAlertEvent, amounts in the limit's unit). */
export interface LimitAlertRecord {
  event_id: string;
  occurred_at: string;
  tenant_id: string;
  limit_id: string;
  policy_id: string;
  metric: string;
  credit_limit: number;
  alert_threshold: number;
  spend: number;
  period_start: string;
  period_end: string | null;
}

/** At most this many alerts per answer (one per limit and period: a tenant rarely has more). */
export const MAX_LIMIT_ALERTS = 1_000;

export class LimitAlertsRepository {
  readonly #client: ClickHouseClient;

  constructor(client: ClickHouseClient) {
    this.#client = client;
  }

  /** Alerts in [from, to), newest first; `tenants` null = every tenant (admin keys only). */
  async alerts(window: { from: Date; to: Date }, tenants: readonly string[] | null): Promise<LimitAlertRecord[]> {
    const tenantFilter = tenants === null ? "" : "AND tenant_id IN {tenants:Array(String)}";
    const result = await this.#client.query({
      query: `SELECT toString(event_id) AS id, occurred_at, tenant_id, limit_id, policy_id, metric, credit_limit,
          alert_threshold, spend, period_start, period_end
        FROM limit_alerts
        WHERE occurred_at >= {from:DateTime64(3, 'UTC')} AND occurred_at < {to:DateTime64(3, 'UTC')} ${tenantFilter}
        ORDER BY occurred_at DESC, event_id DESC
        LIMIT ${MAX_LIMIT_ALERTS}
        SETTINGS ${READ_QUERY_SETTINGS}`,
      query_params: {
        from: toClickHouseDateTime(window.from),
        to: toClickHouseDateTime(window.to),
        tenants: tenants ?? [],
      },
      format: "JSONEachRow",
    });
    const rows = await result.json<Record<string, unknown>>();
    return rows.map((r) => ({
      event_id: String(r.id),
      occurred_at: fromClickHouseDateTime(String(r.occurred_at)),
      tenant_id: String(r.tenant_id),
      limit_id: String(r.limit_id),
      policy_id: String(r.policy_id),
      metric: String(r.metric),
      credit_limit: toNumber(r.credit_limit),
      alert_threshold: toNumber(r.alert_threshold),
      spend: toNumber(r.spend),
      period_start: fromClickHouseDateTime(String(r.period_start)),
      period_end: r.period_end === null ? null : fromClickHouseDateTime(String(r.period_end)),
    }));
  }
}
