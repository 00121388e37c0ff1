/**
 * Who the management pages act as. With an operator's admin token: any tenant, the one in the
 * header's Tenant field. Otherwise the API key the user entered, for its own tenant only, as far
 * as its scopes go: GET /v1/admin/whoami says which tenant and which scopes (asked once per key).
 */
import { ApiProblem, storedKey } from "./api.ts";
import { adminToken, gatewayCall } from "./gateway.ts";

export interface Manager {
  via: "admin" | "key";
  /** The tenant managed: the key's own, or (admin token) the Tenant field's, if any. */
  tenant: string | undefined;
  /** The key's scopes; null = everything (admin token, admin-role key). */
  scopes: readonly string[] | null;
  /** A Tenant field naming another tenant than the key's (which is the one shown). */
  ignoredTenant: string | null;
}

interface WhoAmI {
  kind: "operator" | "api_key";
  tenant_id: string | null;
  scopes: string[] | null;
}

let asked: { key: string; who: Promise<WhoAmI> } | null = null;

export async function manager(tenantField: string | undefined): Promise<Manager> {
  if (adminToken() !== null) return { via: "admin", tenant: tenantField, scopes: null, ignoredTenant: null };
  const key = storedKey();
  if (key === null) {
    throw new ApiProblem(
      "auth",
      "Managing needs an API key with the management scopes (virtual_keys.read, virtual_keys.write, configs.read, …), or an operator's admin token (below).",
      401,
    );
  }
  if (asked?.key !== key) {
    const who = gatewayCall<WhoAmI>("GET", "/v1/admin/whoami", { as: "key" }).then((a) => a.body);
    asked = { key, who };
    who.catch(() => {
      if (asked?.who === who) asked = null; // ask again next time (the gateway may have been down)
    });
  }
  const who = await asked.who;
  const tenant = who.tenant_id ?? undefined;
  const ignored = tenantField && tenantField !== tenant ? tenantField : null;
  return { via: "key", tenant, scopes: who.scopes, ignoredTenant: ignored };
}

/** True when the manager may do `scope` (the gateway checks again: this only hides what would fail). */
export const can = (m: Manager, scope: string): boolean => m.scopes === null || m.scopes.includes(scope);

/** A one-line note of whose tenant this is, for the page's top. */
export function managingNote(m: Manager): string {
  if (m.via === "admin") return `Managing tenant ${m.tenant} with the admin token.`;
  const ignored = m.ignoredTenant ? ` (not ${m.ignoredTenant}: a key manages only its own tenant)` : "";
  return `Managing tenant ${m.tenant}${ignored} with your API key.`;
}
