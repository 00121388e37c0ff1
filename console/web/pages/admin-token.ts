import { h } from "../dom.ts";
import { adminToken, storeAdminToken } from "../gateway.ts";
import { app } from "../ui.ts";

/** The admin token form of the admin pages (kept in this tab's session storage only). */
export function adminTokenForm(): HTMLElement {
  const input = h("input", {
    id: "admin-token",
    type: "password",
    autocomplete: "off",
    placeholder: "SWITCHYARD_ADMIN_TOKEN",
    required: true,
  });
  return h(
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
    h("button", { type: "submit" }, adminToken() ? "Replace admin token" : "Use this admin token"),
    adminToken()
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
}

/** The tenant an admin page manages: the header's Tenant field. */
export function tenantNeeded(): HTMLElement {
  return h(
    "div",
    { class: "empty" },
    h("p", null, "Pick the tenant to manage: type its id in the Tenant field at the top of the page."),
  );
}
