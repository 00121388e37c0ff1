import { h } from "../dom.ts";
import { adminToken, storeAdminToken } from "../gateway.ts";
import { app } from "../ui.ts";

/**
 * The operator's way in: the gateway's admin token, for any tenant (kept in this tab's session
 * storage only). Folded away: the management pages use the API key the user entered by default.
 */
export function adminTokenForm(): HTMLElement {
  const input = h("input", {
    id: "admin-token",
    type: "password",
    autocomplete: "off",
    placeholder: "SWITCHYARD_ADMIN_TOKEN",
    required: true,
  });
  const active = adminToken() !== null;
  const form = h(
    "form",
    {
      class: "key-form",
      onsubmit: (event: Event) => {
        event.preventDefault();
        storeAdminToken(input.value.trim());
        app.rerender();
      },
    },
    h("label", { for: "admin-token" }, "Admin token"),
    input,
    h("button", { type: "submit" }, active ? "Replace admin token" : "Use this admin token"),
    active
      ? h(
          "button",
          {
            type: "button",
            onclick: () => {
              storeAdminToken(null);
              app.rerender();
            },
          },
          "Forget admin token",
        )
      : null,
  );
  return h(
    "details",
    { class: "operator-access", open: active },
    h("summary", null, active ? "Operator access: admin token in use" : "Operator access (admin token)"),
    form,
  );
}

/** The tenant an operator manages: the header's Tenant field. */
export function tenantNeeded(): HTMLElement {
  return h(
    "div",
    { class: "empty" },
    h("p", null, "Pick the tenant to manage: type its id in the Tenant field at the top of the page."),
  );
}
