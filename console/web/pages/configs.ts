import { formatTime, h, mount } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import { can } from "../manage.ts";
import { updateParams } from "../state.ts";
import { dataTable, problemView } from "../ui.ts";
import { managePage } from "./manage-frame.ts";

interface SavedConfig {
  id: string;
  name: string | null;
  config: Record<string, unknown>;
  version: number;
  updated_at: string;
}

const CHECK_AFTER_MS = 300;
const NEW = "";
const path = (tenant: string, rest = "") => `/v1/admin/tenants/${encodeURIComponent(tenant)}/configs${rest}`;

/**
 * A tenant's saved configs, each edited as JSON and checked as you type by the gateway's own schema
 * (POST /v1/admin/configs/validate, debounced), then saved (PATCH, or POST for a new one). With the
 * API key (configs.read / .write, its own tenant) or an operator's admin token.
 */
export function configsPage({ tenant, params }: { tenant: string | undefined; params: URLSearchParams }): HTMLElement {
  return managePage("Saved configs", tenant, async (context) => {
    const { tenant } = context;
    const { body } = await gatewayCall<{ data: SavedConfig[] }>("GET", path(tenant), { as: "manage" });
    const chosen = body.data.find((c) => c.id === params.get("config")) ?? null;
    const table =
      body.data.length === 0
        ? h("p", { class: "empty" }, `Tenant ${tenant} has no saved config yet: write one below.`)
        : dataTable(
            `Saved configs of tenant ${tenant}`,
            `configs-${tenant}.csv`,
            [
              {
                label: "id",
                value: (c: SavedConfig) => c.id,
                render: (c) =>
                  h(
                    "button",
                    { type: "button", class: "link", onclick: () => updateParams({ config: c.id }) },
                    `Edit ${c.id}`,
                  ),
              },
              { label: "name", value: (c) => c.name ?? "" },
              { label: "version", value: (c) => c.version, numeric: true },
              { label: "updated", value: (c) => formatTime(c.updated_at) },
            ],
            body.data,
          );
    return [table, editor(tenant, chosen, params.get("saved"), can(context.manager, "configs.write"))];
  });
}

function editor(tenant: string, config: SavedConfig | null, saved: string | null, writable: boolean): HTMLElement {
  const text = h("textarea", {
    id: "config-json",
    rows: 14,
    cols: 80,
    spellcheck: false,
    "aria-describedby": "config-check",
  });
  text.value = JSON.stringify(config?.config ?? { retry: { attempts: 2 } }, null, 2);
  const check = h("div", { id: "config-check", class: "config-check", role: "status", "aria-live": "polite" });
  const saveButton = h("button", { type: "submit" }, config ? `Save ${config.id}` : "Save as a new config");
  const status = h("div", { class: "action-status" }, saved ? h("p", { role: "status" }, `Saved ${saved}.`) : null);

  let timer: ReturnType<typeof setTimeout> | undefined;
  let asked = 0;
  const validate = async () => {
    const mine = ++asked;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.value);
    } catch (error) {
      mount(check, h("p", { class: "invalid" }, `Not JSON: ${(error as Error).message}`));
      return;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      mount(check, h("p", { class: "invalid" }, "A config is a JSON object ({...})."));
      return;
    }
    try {
      const { body } = await gatewayCall<{ valid: boolean; errors: string[] }>("POST", "/v1/admin/configs/validate", {
        as: "manage",
        body: { config: parsed },
      });
      if (mine !== asked) return; // an older answer arriving after a newer one
      mount(
        check,
        body.valid
          ? h("p", { class: "valid" }, "Valid: the gateway accepts this config.")
          : h(
              "ul",
              { class: "invalid", "aria-label": "Config errors" },
              body.errors.map((e) => h("li", null, e)),
            ),
      );
    } catch (error) {
      if (mine === asked) mount(check, problemView(error, "gateway"));
    }
  };
  text.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => void validate(), CHECK_AFTER_MS);
  });
  void validate();

  const idInput = config ? null : h("input", { id: "config-id", placeholder: "pc-… (optional)", size: 20 });
  const save = async (event: Event) => {
    event.preventDefault();
    try {
      const parsed = JSON.parse(text.value) as Record<string, unknown>;
      const answer = config
        ? await gatewayCall<SavedConfig>("PATCH", path(tenant, `/${encodeURIComponent(config.id)}`), {
            as: "manage",
            body: { config: parsed },
          })
        : await gatewayCall<SavedConfig>("POST", path(tenant), {
            as: "manage",
            body: { config: parsed, ...(idInput?.value.trim() ? { id: idInput.value.trim() } : {}) },
          });
      updateParams({ config: answer.body.id, saved: `${answer.body.id} v${answer.body.version}` });
    } catch (error) {
      mount(status, problemView(error, "gateway"));
    }
  };

  return h(
    "form",
    { class: "config-editor", onsubmit: (e: Event) => void save(e) },
    h("h2", null, config ? `Config ${config.id}` : "New config"),
    idInput ? h("span", { class: "field" }, h("label", { for: "config-id" }, "Config id"), idInput) : null,
    h("div", { class: "field" }, h("label", { for: "config-json" }, "Config (JSON)"), text),
    check,
    h(
      "div",
      { class: "row" },
      writable ? saveButton : h("p", { class: "note" }, "This API key may not save configs (it lacks configs.write)."),
      config
        ? h("button", { type: "button", onclick: () => updateParams({ config: NEW, saved: undefined }) }, "New config")
        : null,
    ),
    status,
  );
}
