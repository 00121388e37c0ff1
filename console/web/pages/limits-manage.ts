import { formatInt, formatTime, formatUsd, h } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import { can } from "../manage.ts";
import { dataTable } from "../ui.ts";
import { type LimitPolicy, limitPolicyForm, policyActions, policyPath } from "./limit-policy-form.ts";
import { type ManageContext, managePage } from "./manage-frame.ts";

type UsageLimits = NonNullable<LimitPolicy["usage_limits"]>;

const path = (tenant: string, rest: string) => `/v1/admin/tenants/${encodeURIComponent(tenant)}${rest}`;
const budgetText = (u: UsageLimits | null) =>
  u === null
    ? ""
    : `${u.type === "cost" ? formatUsd(u.credit_limit) : `${formatInt(u.credit_limit)} ${u.type}`} ${u.periodic_reset ?? "in all"}`;

const conditionText = (p: LimitPolicy) =>
  p.conditions
    .map((c) => `${c.key} ${c.excludes ? "≠" : "="} ${Array.isArray(c.value) ? c.value.join("|") : c.value}`)
    .join(", ");

/**
 * Changing limits (under the spend): the tenant's limit policies with "reset usage" (spend before now
 * stops counting, on every replica); create, edit and delete policies of its own (conditions,
 * group-by, budget, rate limits: limit-policy-form.ts); and the tenant's own budget. The admin API's limit routes, with
 * the API key (limits.read / limits.write, its own tenant) or an operator's admin token.
 */
export function limitsManagePanel(tenantField: string | undefined): HTMLElement {
  return managePage("Manage limits", tenantField, async (context) => {
    if (!can(context.manager, "limits.read")) {
      return h("p", { class: "note" }, "To change limits here, use a key with limits.read and limits.write.");
    }
    const { tenant, act } = context;
    const { body } = await gatewayCall<{ data: LimitPolicy[] }>("GET", policyPath(tenant), { as: "manage" });
    const writable = can(context.manager, "limits.write");
    const formSlot = h("div", null, writable ? limitPolicyForm(context, null) : null);
    const reset = (p: LimitPolicy) =>
      h(
        "button",
        {
          type: "button",
          onclick: () =>
            act(`Usage of ${p.id} reset.`, () =>
              gatewayCall("POST", policyPath(tenant, `/${encodeURIComponent(p.id)}/reset`), { as: "manage" }),
            ),
        },
        `Reset usage of ${p.id}`,
      );
    const table =
      body.data.length === 0
        ? h("p", { class: "empty" }, `Tenant ${tenant} has no limit policy yet.`)
        : dataTable(
            `Limit policies of tenant ${tenant}`,
            `limit-policies-${tenant}.csv`,
            [
              { label: "policy", value: (p: LimitPolicy) => (p.name ? `${p.id} (${p.name})` : p.id) },
              { label: "applies to", value: (p) => conditionText(p) || "every request" },
              { label: "per", value: (p) => p.group_by.map((g) => g.key).join(", ") },
              { label: "budget", value: (p) => budgetText(p.usage_limits) },
              {
                label: "rate limits",
                value: (p) => p.rate_limits.map((r) => `${r.value} ${r.type}/${r.unit}`).join(", "),
              },
              {
                label: "usage counted from",
                value: (p) => (p.usage_reset_at ? formatTime(p.usage_reset_at) : "start"),
              },
              ...(writable
                ? [
                    {
                      label: "",
                      value: () => "",
                      render: (p: LimitPolicy) => h("div", null, reset(p), policyActions(context, formSlot, p)),
                    },
                  ]
                : []),
            ],
            body.data,
          );
    const current = body.data.find((p) => p.id === "tenant") ?? null;
    return [table, writable ? [formSlot, tenantLimitsForm(context, current)] : null];
  });
}

/** The requests-per-minute limit the form edits; the tenant's other rate limits are kept as they are. */
const isRpm = (r: LimitPolicy["rate_limits"][number]) => r.type === "requests" && r.unit === "rpm";

/**
 * The tenant's own limits (the `tenant` policy): a budget and a requests-per-minute limit. The PUT
 * replaces the policy's limits, so it sends the rate limits this form does not show unchanged.
 */
function tenantLimitsForm({ tenant, act }: ManageContext, policy: LimitPolicy | null): HTMLElement {
  const current = policy?.usage_limits ?? null;
  const others = (policy?.rate_limits ?? []).filter((r) => !isRpm(r));
  const type = h(
    "select",
    { id: "budget-type" },
    (["cost", "tokens", "requests"] as const).map((t) =>
      h("option", { value: t, selected: (current?.type ?? "cost") === t }, t === "cost" ? "cost (USD)" : t),
    ),
  );
  const limit = h("input", {
    id: "budget-limit",
    type: "number",
    min: "0",
    step: "any",
    placeholder: "no budget",
    value: current ? String(current.credit_limit) : "",
  });
  const rpm = h("input", {
    id: "rate-rpm",
    type: "number",
    min: "1",
    step: "1",
    placeholder: "no limit",
    value: String(policy?.rate_limits.find(isRpm)?.value ?? ""),
  });
  const period = h(
    "select",
    { id: "budget-period" },
    ["none", "daily", "weekly", "monthly"].map((p) =>
      h("option", { value: p, selected: (current?.periodic_reset ?? "none") === p }, p === "none" ? "never resets" : p),
    ),
  );
  const submit = (event: Event) => {
    event.preventDefault();
    const usage_limits =
      limit.value === ""
        ? null
        : {
            type: type.value,
            credit_limit: Number(limit.value),
            ...(period.value === "none" ? {} : { periodic_reset: period.value }),
          };
    const rate_limits = [
      ...others,
      ...(rpm.value === "" ? [] : [{ type: "requests", unit: "rpm", value: Number(rpm.value) }]),
    ];
    void act(`Limits of tenant ${tenant} saved.`, () =>
      gatewayCall("PUT", path(tenant, "/limits"), { as: "manage", body: { usage_limits, rate_limits } }),
    );
  };
  const field = (id: string, text: string, control: HTMLElement) =>
    h("span", { class: "field" }, h("label", { for: id }, text), control);
  return h(
    "form",
    { class: "create-form", "aria-label": "Tenant limits", onsubmit: submit },
    h("h2", null, `Limits of tenant ${tenant}`),
    h(
      "div",
      { class: "row" },
      field("budget-type", "Budget counts", type),
      field("budget-limit", "Budget", limit),
      field("budget-period", "Period", period),
      field("rate-rpm", "Requests per minute", rpm),
      h("button", { type: "submit" }, "Save limits"),
    ),
  );
}
