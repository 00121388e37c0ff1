import { h } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import type { ManageContext } from "./manage-frame.ts";

/** Providers offered in the form's list (any provider the gateway knows may be typed). */
const PROVIDERS = ["openai", "anthropic", "azure-openai", "google", "bedrock", "mistral", "groq", "together", "mock"];

export const virtualKeysPath = (tenant: string, rest = "") =>
  `/v1/admin/tenants/${encodeURIComponent(tenant)}/virtual-keys${rest}`;

/**
 * Creates a virtual key: provider, its API key (a password field, sent once and never shown again:
 * the list shows only the API's masked hint) and, for providers that need them, other fields as JSON
 * (`{"resource_name": …, "deployment_id": …}`). The gateway's refusals are shown as they come.
 */
export function virtualKeyCreateForm({ tenant, act, say }: ManageContext): HTMLElement {
  const field = (id: string, label: string, input: HTMLElement) =>
    h("span", { class: "field" }, h("label", { for: id }, label), input);
  const id = h("input", { id: "vk-id", placeholder: "optional", size: 16 });
  const name = h("input", { id: "vk-name", placeholder: "optional", size: 18 });
  const provider = h("input", { id: "vk-provider", list: "vk-providers", required: true, size: 14 });
  const secret = h("input", { id: "vk-secret", type: "password", autocomplete: "off", size: 22 });
  const extra = h("textarea", { id: "vk-fields", rows: 2, cols: 50, spellcheck: false, placeholder: "{}" });
  const submit = (event: Event) => {
    event.preventDefault();
    let fields: Record<string, unknown> = {};
    if (extra.value.trim() !== "") {
      try {
        fields = JSON.parse(extra.value) as Record<string, unknown>;
      } catch (error) {
        say(`Other fields are not JSON: ${(error as Error).message}`);
        return;
      }
    }
    const body = {
      ...fields,
      provider: provider.value.trim(),
      ...(id.value.trim() ? { id: id.value.trim() } : {}),
      ...(name.value.trim() ? { name: name.value.trim() } : {}),
      ...(secret.value ? { api_key: secret.value } : {}),
    };
    void act(
      (created: { id: string }) => `Virtual key ${created.id} created.`,
      async () => (await gatewayCall<{ id: string }>("POST", virtualKeysPath(tenant), { as: "manage", body })).body,
    );
  };
  return h(
    "form",
    { class: "create-form", "aria-label": "New virtual key", onsubmit: submit },
    h("h2", null, "New virtual key"),
    h(
      "div",
      { class: "row" },
      field("vk-provider", "Provider", provider),
      h(
        "datalist",
        { id: "vk-providers" },
        PROVIDERS.map((p) => h("option", { value: p })),
      ),
      field("vk-secret", "Provider API key", secret),
      field("vk-id", "Id", id),
      field("vk-name", "Name", name),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "vk-fields" }, "Other fields (JSON, e.g. Azure's resource_name and deployment_id)"),
      extra,
    ),
    h("div", { class: "row" }, h("button", { type: "submit" }, "Create virtual key")),
  );
}
