import type { ControlPlaneView, KeyStore } from "@switchyard/platform";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { headerValue, providerKeyFrom } from "../http/portkey-headers.ts";
import { authenticate } from "../pipeline/authenticate.ts";
import type { ControlLookup } from "../pipeline/control-lookup.ts";
import type { RoutePlanner } from "../pipeline/plan-route.ts";
import { type ProviderId, type ProviderRegistry, providerIdOf } from "../providers/registry.ts";
import { leavesOf } from "../routing/index.ts";

export interface ModelsRouteDeps {
  keys: KeyStore;
  providers: ProviderRegistry;
  /** The control plane; listing virtual keys is optional (a bare lookup lists none). */
  control: ControlLookup & Partial<Pick<ControlPlaneView, "virtualKeys">>;
  planRoute: RoutePlanner;
}

interface ModelEntry {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  /** Switchyard extensions: which provider serves it, through which virtual key, if any. */
  provider: string;
  virtual_key: string | null;
}

/**
 * GET /v1/models — the models the caller's tenant can reach, in OpenAI's list shape:
 * 1. for each enabled virtual key of the tenant, its provider's well-known models (the
 *    provider's catalogue in providers/; an Azure deployment is listed under its deployment_id);
 * 2. for the providers the request's own routing headers name (x-portkey-provider,
 *    x-portkey-virtual-key, x-portkey-config incl. saved configs), their well-known models;
 * 3. when neither names any provider: the default provider (openai).
 * A catalogue, not a live upstream listing: no upstream is called.
 */
export function registerModels(app: FastifyInstance, deps: ModelsRouteDeps): void {
  app.get("/v1/models", (request) => listModels(request, deps));
}

function listModels(request: FastifyRequest, deps: ModelsRouteDeps) {
  const headers = request.headers;
  const { principal, gatewayKey } = authenticate(headers, deps.keys);
  const tenantId = principal.tenantId;
  const seen = new Set<string>();
  const data: ModelEntry[] = [];
  const add = (provider: ProviderId, virtualKey: string | null, extra: readonly string[] = []) => {
    for (const id of [...extra, ...deps.providers[provider].models]) {
      const key = `${provider}\u0000${virtualKey ?? ""}\u0000${id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      data.push({ id, object: "model", created: 0, owned_by: provider, provider, virtual_key: virtualKey });
    }
  };
  for (const vk of deps.control.virtualKeys?.(tenantId) ?? []) {
    const provider = providerIdOf(vk.state.provider);
    if (vk.state.disabled || provider === null) continue;
    const deployment = vk.state.fields.deployment_id;
    add(provider, vk.state.id, deployment ? [deployment] : []);
  }
  const named =
    headerValue(headers, "x-portkey-provider") ??
    headerValue(headers, "x-portkey-virtual-key") ??
    headerValue(headers, "x-portkey-config");
  if (named) {
    const plan = deps.planRoute(headers, tenantId, providerKeyFrom(headers, gatewayKey));
    for (const leaf of leavesOf(plan.root)) {
      const vk = leaf.virtualKey ? deps.control.virtualKey(tenantId, leaf.virtualKey) : null;
      const provider = providerIdOf(vk && vk.status === "ok" ? vk.provider : (leaf.provider ?? "openai"));
      if (provider !== null)
        add(provider, leaf.virtualKey, leaf.providerFields.deployment_id ? [leaf.providerFields.deployment_id] : []);
    }
  }
  if (data.length === 0) add("openai", null);
  return { object: "list", data };
}
