import { createHash } from "node:crypto";
import { GatewayError } from "../errors.ts";
import type { ControlLookup } from "../pipeline/control-lookup.ts";
import type { CustomHostGuard } from "../pipeline/custom-host-guard.ts";
import { openVirtualKey } from "../pipeline/open-virtual-key.ts";
import type { Provider, ProviderTarget } from "../providers/provider.ts";
import { type ProviderRegistry, providerIdOf } from "../providers/registry.ts";
import { DEFAULT_EMBEDDING_TIMEOUT_MS, type EmbeddingTargetConfig } from "./embedding-config.ts";

/** What resolving `cache.embedding` needs: the gateway's providers, the tenant's vault, the SSRF guard. */
export interface EmbeddingTargetDeps {
  providers: ProviderRegistry;
  control: Pick<ControlLookup, "virtualKey">;
  customHosts: CustomHostGuard;
}

/**
 * One attempt's embedding target, resolved: `id` names the vector space (provider, host, model,
 * dimensions — never the credential) so vectors of different models never meet in one partition
 * and the vector cache never hands one model's vector to another; and the tenant, so one tenant's
 * embedding call is never saved by another's (its upstream would otherwise show what was asked).
 */
export interface RemoteEmbedding {
  id: string;
  /** A unit vector, or null when the upstream failed, timed out or answered something unusable. */
  embed(text: string, signal: AbortSignal): Promise<Float32Array | null>;
}

const PARAM = "cache.embedding";
/**
 * Resolves a `cache.embedding` target for one tenant, before any upstream call: an unknown
 * provider or virtual key, a provider without embeddings, a missing provider field or a forbidden
 * custom host is a 400 naming `cache.embedding.<field>` (wherever in the config the `cache` sits: a
 * target inherits its parent's).
 */
export async function resolveEmbeddingTarget(
  config: EmbeddingTargetConfig,
  tenantId: string,
  deps: EmbeddingTargetDeps,
): Promise<RemoteEmbedding> {
  const param = (field: string) => `${PARAM}.${field}`;
  let providerName = config.provider ?? null;
  let apiKey = config.api_key ?? null;
  let fields: Record<string, string> = {};
  if (config.virtual_key !== undefined) {
    const opened = openVirtualKey(deps.control, tenantId, config.virtual_key, param("virtual_key"));
    // As for a target: a virtual key names its provider.
    providerName = opened.provider;
    apiKey ??= opened.apiKey;
    fields = opened.fields;
  }
  const providerId = providerIdOf(providerName ?? "");
  if (providerId === null)
    throw new GatewayError("unknown_provider", `unknown provider "${providerName}"`, param("provider"));
  const provider = deps.providers[providerId];
  if (!provider.capabilities.embeddings || !provider.embed)
    throw new GatewayError("invalid_config", `provider ${providerId} does not offer /v1/embeddings`, param("provider"));
  const customHost = config.custom_host ?? fields.custom_host ?? null;
  const target: ProviderTarget = { apiKey, customHost, forwardHeaders: {}, providerFields: fields };
  const issue = provider.validateTarget(target);
  if (issue) throw new GatewayError("invalid_config", issue.message, param(issue.field));
  if (customHost !== null) await deps.customHosts.check(customHost, param("custom_host"));
  const id = createHash("sha256")
    .update(JSON.stringify([tenantId, providerId, customHost, config.model, config.dimensions ?? null]))
    .digest("base64");
  const timeoutMs = config.request_timeout ?? DEFAULT_EMBEDDING_TIMEOUT_MS;
  return {
    id,
    embed: (text, signal) =>
      embedVia(provider, target, config, text, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])),
  };
}

async function embedVia(
  provider: Provider,
  target: ProviderTarget,
  config: EmbeddingTargetConfig,
  text: string,
  signal: AbortSignal,
): Promise<Float32Array | null> {
  const request = { model: config.model, input: text, ...(config.dimensions ? { dimensions: config.dimensions } : {}) };
  // embed is present: resolveEmbeddingTarget checked it.
  const result = await provider.embed!({ request, target, signal });
  if (result.status < 200 || result.status > 299) throw new Error(`embedding upstream answered ${result.status}`);
  return firstEmbedding(result.body);
}

/** The OpenAI-shaped list's first `embedding` (float form), unit length; null when there is none. */
export function firstEmbedding(body: Buffer): Float32Array | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
  const first = (parsed as { data?: Array<{ embedding?: unknown }> })?.data?.[0]?.embedding;
  if (!Array.isArray(first) || first.length === 0 || first.length > 4_096) return null;
  const v = new Float32Array(first.length);
  let norm = 0;
  for (let i = 0; i < first.length; i++) {
    const x = first[i];
    if (typeof x !== "number" || !Number.isFinite(x)) return null;
    v[i] = x;
    norm += x * x;
  }
  if (norm === 0) return null;
  norm = Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}
