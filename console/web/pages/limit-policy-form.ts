import { h, mount } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import type { ManageContext } from "./manage-frame.ts";

/** A limit policy as the admin API shows it (GET /v1/admin/tenants/{t}/limit-policies). */
export interface LimitPolicy {
  id: string;
  name: string | null;
  conditions: { key: string; value: string | string[]; excludes?: boolean }[];
  group_by: { key: string }[];
  usage_limits: {
    type: "cost" | "tokens" | "requests";
    credit_limit: number;
    alert_threshold?: number;
    periodic_reset?: "daily" | "weekly" | "monthly" | null;
    periodic_reset_days?: number;
  } | null;
  rate_limits: { type: string; unit: string; value: number }[];
  usage_reset_at: string | null;
}

/**
 * The policies this form edits: the tenant's own (`tenant`) and those attached to a key (`vk.<id>`,
 * `ak.<id>`) are set where they belong (the tenant form below, the key's admin API); their ids are
 * reserved and the PUT refuses them.
 */
export const isStandalone = (p: LimitPolicy) => p.id !== "tenant" && !p.id.includes(".");

export const policyPath = (tenant: string, rest = "") =>
  `/v1/admin/tenants/${encodeURIComponent(tenant)}/limit-policies${rest}`;

const EXAMPLE = {
  conditions: [{ key: "model", value: "gpt-4o" }],
  group_by: [{ key: "metadata._user" }],
  usage_limits: { type: "cost", credit_limit: 5, periodic_reset: "daily" },
  rate_limits: [{ type: "requests", unit: "rpm", value: 60 }],
};

/** The part of a policy the JSON box edits (what the PUT body takes besides the name). */
const ruleOf = (p: LimitPolicy) => ({
  conditions: p.conditions,
  group_by: p.group_by,
  usage_limits: p.usage_limits,
  rate_limits: p.rate_limits,
});

/**
 * Create a limit policy or (given one) edit it: id, name, and its rule as JSON — conditions (which
 * requests it counts: api_key, virtual_key, model, provider, metadata.<key>), group_by (a limit per
 * value, e.g. per user), usage_limits (a budget) and rate_limits. Saved by PUT, which checks it with
 * the gateway's own schema: a refusal names the field, in the status line.
 */
export function limitPolicyForm(context: ManageContext, editing: LimitPolicy | null): HTMLElement {
  const { tenant, act, say } = context;
  const id = h("input", { id: "lp-id", required: true, size: 18, disabled: editing !== null });
  id.value = editing?.id ?? "";
  const name = h("input", { id: "lp-name", placeholder: "optional", size: 24 });
  name.value = editing?.name ?? "";
  const rule = h("textarea", { id: "lp-rule", rows: 6, cols: 70, spellcheck: false });
  rule.value = JSON.stringify(editing ? ruleOf(editing) : EXAMPLE, null, 2);
  const submit = (event: Event) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(rule.value);
    } catch (error) {
      say(`The policy is not JSON: ${(error as Error).message}`);
      return;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      say("The policy must be a JSON object with conditions, group_by, usage_limits and rate_limits.");
      return;
    }
    const policyId = editing?.id ?? id.value.trim();
    const body = { ...(parsed as Record<string, unknown>), ...(name.value.trim() ? { name: name.value.trim() } : {}) };
    void act(`Limit policy ${policyId} saved.`, () =>
      gatewayCall("PUT", policyPath(tenant, `/${encodeURIComponent(policyId)}`), { as: "manage", body }),
    );
  };
  const form = h(
    "form",
    {
      class: "create-form",
      "aria-label": editing ? `Limit policy ${editing.id}` : "New limit policy",
      onsubmit: submit,
    },
    h("h2", null, editing ? `Edit limit policy ${editing.id}` : "New limit policy"),
    h(
      "div",
      { class: "row" },
      h("span", { class: "field" }, h("label", { for: "lp-id" }, "Policy id"), id),
      h("span", { class: "field" }, h("label", { for: "lp-name" }, "Policy name"), name),
    ),
    h(
      "div",
      { class: "field" },
      h(
        "label",
        { for: "lp-rule" },
        "Policy (JSON: conditions, group_by, usage_limits, rate_limits; see docs/LIMITS.md)",
      ),
      rule,
    ),
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit" }, editing ? `Save ${editing.id}` : "Create limit policy"),
      editing
        ? h("button", { type: "button", onclick: () => form.replaceWith(limitPolicyForm(context, null)) }, "Cancel")
        : null,
    ),
  );
  return form;
}

/** Edit (the form below takes the policy) and delete, for a policy this form manages. */
export function policyActions(context: ManageContext, slot: HTMLElement, p: LimitPolicy): HTMLElement | null {
  if (!isStandalone(p)) return null;
  return h(
    "div",
    { class: "actions" },
    h(
      "button",
      {
        type: "button",
        onclick: () => {
          mount(slot, limitPolicyForm(context, p));
          slot.querySelector<HTMLElement>("#lp-name")?.focus();
        },
      },
      `Edit ${p.id}`,
    ),
    h(
      "button",
      {
        type: "button",
        onclick: () =>
          context.act(`Limit policy ${p.id} deleted.`, () =>
            gatewayCall("DELETE", policyPath(context.tenant, `/${encodeURIComponent(p.id)}`), { as: "manage" }),
          ),
      },
      `Delete ${p.id}`,
    ),
  );
}
