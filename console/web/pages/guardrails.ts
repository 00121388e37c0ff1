import { formatTime, h, mount } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import { dataTable, loadInto } from "../ui.ts";
import { adminTokenForm, tenantNeeded } from "./admin-token.ts";

interface SavedGuardrail {
  id: string;
  name: string;
  type: string;
  checks: { id: string }[];
  actions: Record<string, unknown>;
  version: number;
  updated_at: string;
}

/** A tenant's saved guardrails (`pg-…`, named from configs) and their checks. Admin token only. */
export function guardrailsPage({ tenant }: { tenant: string | undefined }): HTMLElement {
  const section = h("section", { class: "panel", "aria-label": "Saved guardrails" });
  const page = h("div", null, adminTokenForm(), section);
  if (!tenant) {
    mount(section, tenantNeeded());
    return page;
  }
  const path = `/v1/admin/tenants/${encodeURIComponent(tenant)}/guardrails`;
  void loadInto(
    section,
    async () => {
      const { body } = await gatewayCall<{ data: SavedGuardrail[] }>("GET", path, { as: "admin" });
      if (body.data.length === 0) {
        return h(
          "div",
          { class: "empty" },
          h("p", null, `Tenant ${tenant} has no saved guardrail. Create one with POST ${path}.`),
        );
      }
      return dataTable(
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
        ],
        body.data,
      );
    },
    "gateway",
  );
  return page;
}
