/**
 * The admin API (control plane) client of the compatibility suite. Every write appends an event to
 * the control topic; every gateway replica folds it. Calls are Bearer-authenticated with
 * SWITCHYARD_ADMIN_TOKEN.
 */
export interface AdminResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export class AdminClient {
  private readonly gatewayUrl: string;
  private readonly token: string;

  constructor(gatewayUrl: string, token: string) {
    this.gatewayUrl = gatewayUrl;
    this.token = token;
  }

  async request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    token: string | null = this.token,
  ): Promise<AdminResponse<T>> {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${this.gatewayUrl}/v1/admin${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? {} : JSON.parse(text);
    } catch {
      // not JSON: keep the text for the failure message
    }
    return { status: res.status, body: parsed as T };
  }

  private async created<T>(what: string, method: string, path: string, body: unknown): Promise<T> {
    const res = await this.request<T>(method, path, body);
    if (res.status < 200 || res.status >= 300) {
      throw new Error(`admin API: creating ${what} failed with ${res.status}: ${JSON.stringify(res.body)}`);
    }
    return res.body;
  }

  createTenant(id: string, name = id): Promise<{ id: string }> {
    return this.created("a tenant", "POST", "/tenants", { id, name });
  }

  /** Creates the tenant unless it already exists (e.g. the default tenant of open local-dev mode). */
  async ensureTenant(id: string): Promise<void> {
    const existing = await this.request("GET", `/tenants/${encodeURIComponent(id)}`);
    if (existing.status === 200) return;
    await this.createTenant(id);
  }

  /** Returns the raw `sy-…` key once; only its hash is stored. */
  createApiKey(tenantId: string, name = "compat"): Promise<{ id: string; key: string }> {
    return this.created("an API key", "POST", `/tenants/${encodeURIComponent(tenantId)}/api-keys`, { name });
  }

  async revokeApiKey(tenantId: string, id: string): Promise<void> {
    const path = `/tenants/${encodeURIComponent(tenantId)}/api-keys/${encodeURIComponent(id)}/revoke`;
    await this.created("a revocation", "POST", path, {});
  }

  /** Secrets (`api_key`, …) and provider fields (`custom_host`, …) sit flat on the body, as on a config target. */
  createVirtualKey(
    tenantId: string,
    fields: { provider: string; api_key: string; custom_host?: string; name?: string; [k: string]: unknown },
  ): Promise<{ id: string }> {
    return this.created("a virtual key", "POST", `/tenants/${encodeURIComponent(tenantId)}/virtual-keys`, fields);
  }

  createConfig(tenantId: string, config: Record<string, unknown>, name = "compat"): Promise<{ id: string }> {
    return this.created("a saved config", "POST", `/tenants/${encodeURIComponent(tenantId)}/configs`, {
      name,
      config,
    });
  }
}
