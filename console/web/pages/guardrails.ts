import { formatTime, h, mount } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import { can } from "../manage.ts";
import { dataTable } from "../ui.ts";
import { type ManageContext, managePage } from "./manage-frame.ts";

interface SavedGuardrail {
  id: string;
  name: string;
  type: string;
  checks: { id: string }[];
  actions: Record<string, unknown>;
  version: number;
  updated_at: string;
}

const path = (tenant: string, rest = "") => `/v1/admin/tenants/${encodeURIComponent(tenant)}/guardrails${rest}`;
const EXAMPLE_CHECKS = '[{"id": "pii", "parameters": {"categories": ["SSN", "EMAIL_ADDRESS"]}}]';

/**
 * A tenant's saved guardrails (`pg-…`, named from configs) and their checks; create or edit (checks
 * as JSON, validated by the gateway against its built-in checks) and delete. With the API key
 * (guardrails.read / .write, its own tenant) or an operator's admin token.
 */
export function guardrailsPage({ tenant }: { tenant: string | undefined }): HTMLElement {
  return managePage("Saved guardrails", tenant, async (context) => {
    const { tenant } = context;
    const { body } = await gatewayCall<{ data: SavedGuardrail[] }>("GET", path(tenant), { as: "manage" });
    const writable = can(context.manager, "guardrails.write");
    const formSlot = h("div", null, writable ? guardrailForm(context, null) : null);
    const edit = (g: SavedGuardrail) => {
      mount(formSlot, guardrailForm(context, g));
      formSlot.querySelector<HTMLElement>("#gr-name")?.focus();
    };
    const rowActions = (g: SavedGuardrail) =>
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onclick: () => edit(g) }, `Edit ${g.id}`),
        h(
          "button",
          {
            type: "button",
            onclick: () =>
              context.act(`Guardrail ${g.id} deleted.`, () =>
                gatewayCall("DELETE", path(tenant, `/${encodeURIComponent(g.id)}`), { as: "manage" }),
              ),
          },
          `Delete ${g.id}`,
        ),
      );
    const table =
      body.data.length === 0
        ? h("p", { class: "empty" }, `Tenant ${tenant} has no saved guardrail yet.`)
        : dataTable(
            `Saved guardrails of tenant ${tenant}`,
            `guardrails-${tenant}.csv`,
            [
              { label: "id", value: (g: SavedGuardrail) => g.id },
              { label: "name", value: (g) => g.name },
              { label: "type", value: (g) => g.type },
              { label: "checks", value: (g) => g.checks.map((c) => c.id).join(", ") },
              { label: "actions", value: (g) => JSON.stringify(g.actions) },
              { label: "version", value: (g) => g.version, numeric: true },
              { label: "updated", value: (g) => formatTime(g.updated_at) },
              ...(writable ? [{ label: "", value: () => "", render: rowActions }] : []),
            ],
            body.data,
          );
    return [
      table,
      writable
        ? formSlot
        : h("p", { class: "note" }, "This API key may not change guardrails (it lacks guardrails.write)."),
    ];
  });
}

/** The create form, or (given a guardrail) its edit form: the same fields, saved by PATCH. */
function guardrailForm(context: ManageContext, editing: SavedGuardrail | null): HTMLElement {
  const { tenant, act, say } = context;
  const id = h("input", { id: "gr-id", placeholder: "pg-… (optional)", size: 18, disabled: editing !== null });
  id.value = editing?.id ?? "";
  const name = h("input", { id: "gr-name", required: true, size: 24 });
  name.value = editing?.name ?? "";
  const checks = h("textarea", { id: "gr-checks", rows: 4, cols: 70, spellcheck: false });
  checks.value = editing ? JSON.stringify(editing.checks) : EXAMPLE_CHECKS;
  const deny = h("input", { id: "gr-deny", type: "checkbox", checked: editing ? editing.actions.deny === true : true });
  const submit = (event: Event) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(checks.value);
    } catch (error) {
      say(`Checks are not JSON: ${(error as Error).message}`);
      return;
    }
    const fields = { name: name.value.trim(), checks: parsed, actions: { ...editing?.actions, deny: deny.checked } };
    if (editing) {
      void act(
        (saved: { version: number }) => `Guardrail ${editing.id} saved (version ${saved.version}).`,
        async () =>
          (
            await gatewayCall<{ version: number }>("PATCH", path(tenant, `/${encodeURIComponent(editing.id)}`), {
              as: "manage",
              body: fields,
            })
          ).body,
      );
      return;
    }
    const body = { ...fields, ...(id.value.trim() ? { id: id.value.trim() } : {}) };
    void act(
      (created: { id: string }) => `Guardrail ${created.id} created.`,
      async () => (await gatewayCall<{ id: string }>("POST", path(tenant), { as: "manage", body })).body,
    );
  };
  const form = h(
    "form",
    { class: "create-form", "aria-label": editing ? `Guardrail ${editing.id}` : "New guardrail", onsubmit: submit },
    h("h2", null, editing ? `Edit guardrail ${editing.id}` : "New guardrail"),
    h(
      "div",
      { class: "row" },
      h("span", { class: "field" }, h("label", { for: "gr-name" }, "Name"), name),
      h("span", { class: "field" }, h("label", { for: "gr-id" }, "Id"), id),
      h("span", { class: "field" }, deny, h("label", { for: "gr-deny" }, "Deny the request when a check fails")),
    ),
    h("div", { class: "field" }, h("label", { for: "gr-checks" }, "Checks (JSON array)"), checks),
    h(
      "div",
      { class: "row" },
      h("button", { type: "submit" }, editing ? `Save ${editing.id}` : "Create guardrail"),
      editing
        ? h("button", { type: "button", onclick: () => form.replaceWith(guardrailForm(context, null)) }, "Cancel")
        : null,
    ),
  );
  return form;
}
