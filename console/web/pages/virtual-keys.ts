import { formatTime, h, mount } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import { dataTable, loadInto, problemView } from "../ui.ts";
import { adminTokenForm, tenantNeeded } from "./admin-token.ts";

interface VirtualKey {
  id: string;
  name: string | null;
  provider: string;
  disabled: boolean;
  /** Masked hints of the stored secrets (the admin API never returns a secret). */
  secrets: Record<string, string>;
  updated_at?: string;
}

const path = (tenant: string, rest = "") => `/v1/admin/tenants/${encodeURIComponent(tenant)}/virtual-keys${rest}`;

/** A tenant's virtual keys: masked secrets, rotate (new secret), disable/enable. Admin token only. */
export function virtualKeysPage({ tenant }: { tenant: string | undefined }): HTMLElement {
  const section = h("section", { class: "panel", "aria-label": "Virtual keys" });
  const status = h("p", { class: "action-status", role: "status" });
  const page = h("div", null, adminTokenForm(), status, section);
  if (!tenant) {
    mount(section, tenantNeeded());
    return page;
  }
  const act = async (what: string, call: () => Promise<unknown>) => {
    try {
      await call();
      status.textContent = what;
      await load();
    } catch (error) {
      mount(status, problemView(error, "gateway"));
    }
  };
  const rotateForm = (key: VirtualKey) => {
    const id = `rotate-${key.id}`;
    const input = h("input", { id, type: "password", autocomplete: "off", required: true, size: 14 });
    return h(
      "form",
      {
        class: "inline-form",
        onsubmit: (event: Event) => {
          event.preventDefault();
          void act(`Virtual key ${key.id}: secret rotated.`, () =>
            gatewayCall("POST", path(tenant, `/${encodeURIComponent(key.id)}/rotate`), {
              as: "admin",
              body: { api_key: input.value },
            }),
          );
        },
      },
      h("label", { for: id }, `New secret for ${key.id}`),
      input,
      h("button", { type: "submit" }, "Rotate"),
    );
  };
  const load = () =>
    loadInto(
      section,
      async () => {
        const { body } = await gatewayCall<{ data: VirtualKey[] }>("GET", path(tenant), { as: "admin" });
        if (body.data.length === 0) {
          return h(
            "div",
            { class: "empty" },
            h("p", null, `Tenant ${tenant} has no virtual key. Create one with POST ${path(tenant)}.`),
          );
        }
        return dataTable(
          `Virtual keys of tenant ${tenant}`,
          `virtual-keys-${tenant}.csv`,
          [
            { label: "id", value: (k: VirtualKey) => k.id },
            { label: "name", value: (k) => k.name ?? "" },
            { label: "provider", value: (k) => k.provider },
            {
              label: "secrets (masked)",
              value: (k) =>
                Object.entries(k.secrets)
                  .map(([f, v]) => `${f}: ${v}`)
                  .join("; "),
            },
            { label: "state", value: (k) => (k.disabled ? "disabled" : "active") },
            { label: "updated", value: (k) => (k.updated_at ? formatTime(k.updated_at) : "") },
            {
              label: "actions",
              value: () => "",
              render: (k) =>
                h(
                  "div",
                  { class: "actions" },
                  h(
                    "button",
                    {
                      type: "button",
                      onclick: () =>
                        act(`Virtual key ${k.id} ${k.disabled ? "enabled" : "disabled"}.`, () =>
                          gatewayCall(
                            "POST",
                            path(tenant, `/${encodeURIComponent(k.id)}/${k.disabled ? "enable" : "disable"}`),
                            { as: "admin" },
                          ),
                        ),
                    },
                    k.disabled ? `Enable ${k.id}` : `Disable ${k.id}`,
                  ),
                  rotateForm(k),
                ),
            },
          ],
          body.data,
        );
      },
      "gateway",
    );
  void load();
  return page;
}
