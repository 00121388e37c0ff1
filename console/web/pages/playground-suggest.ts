import { h, mount } from "../dom.ts";
import { gatewayCall } from "../gateway.ts";
import { can, manager } from "../manage.ts";

/**
 * The playground's suggestion lists (datalists): the models the tenant can reach (GET /v1/models),
 * and, for a key that may list them, the tenant's enabled virtual keys and its saved configs. Only
 * suggestions: any other value may be typed, and a list that cannot be read stays empty.
 */
export function suggestions(): { models: HTMLElement; virtualKeys: HTMLElement; configs: HTMLElement } {
  const models = h("datalist", { id: "pg-models" });
  const virtualKeys = h("datalist", { id: "pg-vks" });
  const configs = h("datalist", { id: "pg-configs" });
  const fill = (list: HTMLElement, ids: string[]) =>
    mount(
      list,
      ids.map((id) => h("option", { value: id })),
    );
  void gatewayCall<{ data: { id: string }[] }>("GET", "/v1/models", { as: "key" })
    .then(({ body }) =>
      fill(
        models,
        body.data.map((m) => m.id),
      ),
    )
    .catch(() => {});
  const admin = async <T>(scope: string, rest: string): Promise<T[]> => {
    const m = await manager(undefined);
    if (m.tenant === undefined || !can(m, scope)) return [];
    const path = `/v1/admin/tenants/${encodeURIComponent(m.tenant)}/${rest}`;
    return (await gatewayCall<{ data: T[] }>("GET", path, { as: "manage" })).body.data;
  };
  void admin<{ id: string; disabled: boolean }>("virtual_keys.read", "virtual-keys")
    .then((keys) =>
      fill(
        virtualKeys,
        keys.filter((k) => !k.disabled).map((k) => k.id),
      ),
    )
    .catch(() => {});
  void admin<{ id: string }>("configs.read", "configs")
    .then((list) =>
      fill(
        configs,
        list.map((c) => c.id),
      ),
    )
    .catch(() => {});
  return { models, virtualKeys, configs };
}
