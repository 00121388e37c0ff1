import { formatInt, formatTime, formatUsd, h } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import { dataTable, loadInto } from "../ui.ts";
import { MANAGED_EVENT } from "./manage-frame.ts";

interface LimitUsage {
  limit_id: string;
  policy_id: string;
  kind: "rate" | "budget";
  metric: "requests" | "tokens" | "cost";
  group: Record<string, string> | null;
  limit: number;
  spend: number;
  remaining: number;
  reset_at: string | null;
}

const amount = (metric: LimitUsage["metric"], n: number) => (metric === "cost" ? formatUsd(n) : formatInt(n));

/**
 * The tenant's budgets and rate limits with their spend in the current window, from the gateway's
 * live counters (GET /v1/analytics/limits on the gateway, with the API key; an admin key may name a tenant).
 */
export function limitsPage({ tenant }: { tenant: string | undefined }): HTMLElement {
  const section = h("section", { class: "panel", "aria-label": "Limits" });
  const load = () =>
    loadInto(
      section,
      async () => {
        const query = tenant ? `?tenant_id=${encodeURIComponent(tenant)}` : "";
        const { body } = await gatewayCall<{ tenant_id: string; data: LimitUsage[] }>(
          "GET",
          `/v1/analytics/limits${query}`,
          { as: "key" },
        );
        if (body.data.length === 0) {
          return h(
            "div",
            { class: "empty" },
            h(
              "p",
              null,
              `Tenant ${body.tenant_id} has no limit. Add one under "Manage limits" below, or with the admin API (docs/LIMITS.md).`,
            ),
          );
        }
        return dataTable(
          `Limits of tenant ${body.tenant_id}`,
          `limits-${body.tenant_id}.csv`,
          [
            { label: "policy", value: (r: LimitUsage) => r.policy_id },
            { label: "kind", value: (r) => `${r.kind} (${r.metric})` },
            {
              label: "group",
              value: (r) =>
                r.group
                  ? Object.entries(r.group)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(", ")
                  : "",
            },
            { label: "spend", value: (r) => r.spend, render: (r) => amount(r.metric, r.spend), numeric: true },
            { label: "limit", value: (r) => r.limit, render: (r) => amount(r.metric, r.limit), numeric: true },
            {
              label: "used",
              value: (r) => (r.limit > 0 ? r.spend / r.limit : 0),
              render: (r) => {
                const share = r.limit > 0 ? Math.min(1, r.spend / r.limit) : 0;
                return h(
                  "meter",
                  { min: 0, max: 1, value: share, "aria-label": `${r.policy_id} used` },
                  `${Math.round(share * 100)}%`,
                );
              },
            },
            { label: "resets", value: (r) => (r.reset_at ? formatTime(r.reset_at) : "never") },
          ],
          body.data,
        );
      },
      "gateway",
    );
  void load();
  // A policy created, changed or reset below shows here at once (until the page is left).
  const onManaged = () => {
    if (section.isConnected) void load();
    else document.removeEventListener(MANAGED_EVENT, onManaged);
  };
  document.addEventListener(MANAGED_EVENT, onManaged);
  return section;
}
