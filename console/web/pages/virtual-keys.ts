import { formatTime, h } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import { can } from "../manage.ts";
import { dataTable } from "../ui.ts";
import { type ManageContext, managePage } from "./manage-frame.ts";
import { virtualKeysPath as path, virtualKeyCreateForm, virtualKeyRotateForm } from "./virtual-key-form.ts";

interface VirtualKey {
  id: string;
  name: string | null;
  provider: string;
  disabled: boolean;
  /** Masked hints of the stored secrets (the admin API never returns a secret). */
  secrets: Record<string, string>;
  updated_at?: string;
}

/**
 * A tenant's virtual keys: masked secrets, create, rotate (new secret), disable/enable. With the
 * API key (virtual_keys.read / .write, its own tenant) or an operator's admin token.
 */
export function virtualKeysPage({ tenant }: { tenant: string | undefined }): HTMLElement {
  return managePage("Virtual keys", tenant, async (context) => {
    const { body } = await gatewayCall<{ data: VirtualKey[] }>("GET", path(context.tenant), { as: "manage" });
    const writable = can(context.manager, "virtual_keys.write");
    const list =
      body.data.length === 0
        ? h("p", { class: "empty" }, `Tenant ${context.tenant} has no virtual key yet.`)
        : keysTable(context, body.data, writable);
    return [
      list,
      writable
        ? virtualKeyCreateForm(context)
        : h("p", { class: "note" }, "This API key may not change virtual keys (it lacks virtual_keys.write)."),
    ];
  });
}

function keysTable(context: ManageContext, keys: VirtualKey[], writable: boolean): HTMLElement {
  const { tenant, act } = context;
  const keyPath = (k: VirtualKey, action: string) => path(tenant, `/${encodeURIComponent(k.id)}/${action}`);
  const actions = (k: VirtualKey) =>
    h(
      "div",
      { class: "actions" },
      h(
        "button",
        {
          type: "button",
          onclick: () =>
            act(`Virtual key ${k.id} ${k.disabled ? "enabled" : "disabled"}.`, () =>
              gatewayCall("POST", keyPath(k, k.disabled ? "enable" : "disable"), { as: "manage" }),
            ),
        },
        k.disabled ? `Enable ${k.id}` : `Disable ${k.id}`,
      ),
      virtualKeyRotateForm(context, k, keyPath(k, "rotate")),
    );
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
      ...(writable ? [{ label: "actions", value: () => "", render: actions }] : []),
    ],
    keys,
  );
}
