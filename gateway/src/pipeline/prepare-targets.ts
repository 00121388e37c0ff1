import { GatewayError } from "../errors.ts";
import { type HeaderBag, headerValue } from "../http/portkey-headers.ts";
import type { ProviderTarget } from "../providers/provider.ts";
import { ProviderId, type ProviderRegistry, providerIdOf } from "../providers/registry.ts";
import { leavesOf, type ResolvedLeaf, type RouteNode } from "../routing/index.ts";
import type { ControlLookup } from "./control-lookup.ts";
import type { CustomHostGuard } from "./custom-host-guard.ts";
import { pickForwardHeaders } from "./forward-headers.ts";
import { openVirtualKey } from "./open-virtual-key.ts";

/** A leaf made ready to call: its provider, credentials and host checked before any upstream call. */
export interface PreparedTarget {
  providerId: ProviderId;
  target: ProviderTarget;
  virtualKeyId: string | null;
}

/**
 * Resolves every leaf of the route up front, so that a bad virtual key, an unknown provider, a
 * missing provider field (the provider's validateTarget) or a forbidden custom host anywhere in
 * the config is a 4xx before anything reaches an upstream. Synchronous (it throws) unless a custom
 * host's DNS answer is not cached yet: then the rest waits for the lookup and a promise is returned
 * (it rejects), so the common request costs no promise here.
 */
export function prepareTargets(
  root: RouteNode,
  tenantId: string,
  headers: HeaderBag,
  control: ControlLookup,
  guard: CustomHostGuard,
  providers?: Pick<ProviderRegistry, ProviderId>,
): Map<string, PreparedTarget> | Promise<Map<string, PreparedTarget>> {
  const strict = headerValue(headers, "x-portkey-strict-open-ai-compliance")?.trim().toLowerCase() !== "false";
  const run: PrepareRun = { leaves: leavesOf(root), tenantId, headers, control, guard, providers, strict };
  return prepareFrom(run, 0, new Map());
}

interface PrepareRun {
  leaves: readonly ResolvedLeaf[];
  tenantId: string;
  headers: HeaderBag;
  control: ControlLookup;
  guard: CustomHostGuard;
  providers: Pick<ProviderRegistry, ProviderId> | undefined;
  strict: boolean;
}

/** Leaves from `start` on, in order; a custom host being looked up holds the ones after it. */
function prepareFrom(
  run: PrepareRun,
  start: number,
  prepared: Map<string, PreparedTarget>,
): Map<string, PreparedTarget> | Promise<Map<string, PreparedTarget>> {
  for (let i = start; i < run.leaves.length; i++) {
    const leaf = run.leaves[i] as ResolvedLeaf;
    const target = prepareLeaf(leaf, run.tenantId, run.headers, run.control);
    if (!run.strict) target.target.strictOpenAICompliance = false;
    const issue = run.providers?.[target.providerId].validateTarget(target.target);
    if (issue) {
      throw new GatewayError(
        "invalid_request",
        issue.message,
        leaf.path === "config" ? issue.field : `${leaf.path}.${issue.field}`,
      );
    }
    prepared.set(leaf.path, target);
    if (target.target.customHost !== null) {
      const param = leaf.path === "config" ? "x-portkey-custom-host" : `${leaf.path}.custom_host`;
      const lookup = run.guard.checkNow(target.target.customHost, param);
      if (lookup !== undefined) return lookup.then(() => prepareFrom(run, i + 1, prepared));
    }
  }
  return prepared;
}

function prepareLeaf(leaf: ResolvedLeaf, tenantId: string, headers: HeaderBag, control: ControlLookup): PreparedTarget {
  const forwardHeaders = pickForwardHeaders(headers, leaf.forwardHeaders);
  if (leaf.virtualKey !== null) {
    const param = leaf.path === "config" ? "x-portkey-virtual-key" : `${leaf.path}.virtual_key`;
    const opened = openVirtualKey(control, tenantId, leaf.virtualKey, param);
    const providerId = checkProvider(opened.provider, param);
    const fields: Record<string, string> = { ...opened.fields, ...leaf.providerFields };
    return {
      providerId,
      virtualKeyId: opened.id,
      target: {
        apiKey: opened.apiKey,
        customHost: leaf.customHost ?? fields.custom_host ?? null,
        forwardHeaders,
        providerFields: fields,
      },
    };
  }
  const param = leaf.path === "config" ? "x-portkey-provider" : `${leaf.path}.provider`;
  const providerId = checkProvider(leaf.provider ?? "openai", param);
  return {
    providerId,
    virtualKeyId: null,
    target: { apiKey: leaf.apiKey, customHost: leaf.customHost, forwardHeaders, providerFields: leaf.providerFields },
  };
}

function checkProvider(name: string, param: string): ProviderId {
  const id = providerIdOf(name);
  if (id === null) {
    throw new GatewayError(
      "unknown_provider",
      `unknown provider "${name}"; supported: ${ProviderId.options.join(", ")}`,
      param,
    );
  }
  return id;
}
