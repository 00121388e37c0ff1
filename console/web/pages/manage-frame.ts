import { type Child, h, mount } from "../dom.ts";
import { type Manager, manager, managingNote } from "../manage.ts";
import { loadInto, problemView } from "../ui.ts";
import { adminTokenForm, tenantNeeded } from "./admin-token.ts";

export interface ManageContext {
  manager: Manager;
  /** The managed tenant (always set here). */
  tenant: string;
  /** Runs a change, says what it did (or what went wrong) in the page's status line, then reloads. */
  act: <T>(done: string | ((result: T) => string), call: () => Promise<T>) => Promise<void>;
  /** Says something in the status line (a form's own check). */
  say: (message: string) => void;
}

/** Dispatched on `document` after a change succeeds, so a page's other panels (the limits' spend) reload. */
export const MANAGED_EVENT = "switchyard:managed";

/**
 * The frame of a management page: who manages which tenant (manage.ts), the page's content, one
 * status line for what the last action did, and the operator's admin-token form folded at the end.
 */
export function managePage(
  label: string,
  tenantField: string | undefined,
  content: (context: ManageContext) => Promise<Child>,
): HTMLElement {
  const section = h("section", { class: "panel", "aria-label": label });
  const status = h("div", { class: "action-status", role: "status" });
  const load = (): Promise<void> =>
    loadInto(
      section,
      async () => {
        const who = await manager(tenantField);
        if (who.tenant === undefined) return tenantNeeded();
        const tenant = who.tenant;
        const act = async <T>(done: string | ((result: T) => string), call: () => Promise<T>) => {
          try {
            const result = await call();
            mount(status, h("p", null, typeof done === "function" ? done(result) : done));
            document.dispatchEvent(new Event(MANAGED_EVENT));
            await load();
          } catch (error) {
            mount(status, problemView(error, "gateway"));
          }
        };
        const say = (message: string) => mount(status, h("p", { class: "invalid" }, message));
        return [h("p", { class: "managing" }, managingNote(who)), await content({ manager: who, tenant, act, say })];
      },
      "gateway",
    );
  void load();
  return h("div", null, status, section, adminTokenForm());
}
