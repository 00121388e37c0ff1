import { createHash } from "node:crypto";
import type { EmbeddingTargetConfig } from "../cache/embedding-config.ts";
import type { Query } from "./conditions.ts";
import {
  type CacheConfig,
  DEFAULT_RETRY_STATUS_CODES,
  type PortkeyConfig,
  type RetryConfig,
  type StrategyMode,
  type TargetConfig,
} from "./config-schema.ts";
import type { GuardrailShorthand, HookObject } from "./hooks-schema.ts";
import { providerFieldsOf } from "./provider-fields.ts";

/**
 * Turns a validated config into the tree the router walks: inheritance applied once, names of
 * conditional targets resolved to indexes, and each node labelled with its JSON path exactly as
 * Portkey reports it in `x-portkey-last-used-option-index` (`config`, `config.targets[1]`,
 * `config.targets[1].targets[0]`). Resolve once per config (saved configs can be cached).
 */

export interface RetryPolicy {
  /** Retries after the first try; 0 = one try only. */
  attempts: number;
  onStatusCodes: readonly number[];
  useRetryAfterHeader: boolean;
}

export const NO_RETRY: RetryPolicy = {
  attempts: 0,
  onStatusCodes: DEFAULT_RETRY_STATUS_CODES,
  useRetryAfterHeader: true,
};

export interface CachePolicy {
  mode: "simple" | "semantic";
  maxAgeSeconds: number | null;
  similarityThreshold: number | null;
  /** `cache.embedding`: embed through this provider instead of the local model. */
  embedding?: EmbeddingTargetConfig;
}

export interface HookSettings {
  inputGuardrails: readonly GuardrailShorthand[] | null;
  outputGuardrails: readonly GuardrailShorthand[] | null;
  beforeRequestHooks: readonly HookObject[] | null;
  afterRequestHooks: readonly HookObject[] | null;
}

export interface ResolvedLeaf {
  path: string;
  name: string | null;
  /** null when the leaf names only a virtual key, or a root leaf leaves it to x-portkey-provider. */
  provider: string | null;
  /** Provider credential. Never logged, never in an event, span or error message. */
  apiKey: string | null;
  virtualKey: string | null;
  /** `prompt_id` of the target (prompt calls render it per leaf: gateway/src/prompts). */
  promptId: string | null;
  customHost: string | null;
  /** Lower-cased names of client headers to pass upstream as-is. */
  forwardHeaders: readonly string[];
  overrideParams: Readonly<Record<string, unknown>>;
  retry: RetryPolicy;
  requestTimeoutMs: number | null;
  weight: number;
  /** Provider specifics (azure, aws, vertex, ...) exactly as configured. */
  providerFields: Readonly<Record<string, string>>;
  cache: CachePolicy | null;
  hooks: HookSettings;
  strictOpenAiCompliance: boolean | null;
  /** Circuit-breaker identity: provider plus a digest of everything that picks the upstream (no secret in clear). */
  breakerKey: string;
}

export interface ResolvedCondition {
  query: Query;
  /** Index into the group's children of the target `then` names. */
  thenIndex: number;
}

export interface ResolvedStrategy {
  mode: StrategyMode;
  /** Fallback moves on for these statuses; null = any non-2xx. */
  onStatusCodes: readonly number[] | null;
  conditions: readonly ResolvedCondition[];
  defaultIndex: number | null;
  stickyKey: string | null;
}

export type RouteNode =
  | { kind: "leaf"; path: string; weight: number; leaf: ResolvedLeaf }
  | {
      kind: "group";
      path: string;
      name: string | null;
      weight: number;
      strategy: ResolvedStrategy;
      children: readonly RouteNode[];
    };

// What a target passes down to its children when they do not set their own.
interface Inherited {
  overrideParams: Readonly<Record<string, unknown>>;
  retry: RetryConfig | undefined;
  cache: CacheConfig | undefined;
  customHost: string | undefined;
  forwardHeaders: readonly string[] | undefined;
  requestTimeout: number | undefined;
  strictOpenAiCompliance: boolean | undefined;
  inputGuardrails: readonly GuardrailShorthand[] | undefined;
  outputGuardrails: readonly GuardrailShorthand[] | undefined;
  beforeRequestHooks: readonly HookObject[] | undefined;
  afterRequestHooks: readonly HookObject[] | undefined;
}

const NOTHING_INHERITED: Inherited = {
  overrideParams: {},
  retry: undefined,
  cache: undefined,
  customHost: undefined,
  forwardHeaders: undefined,
  requestTimeout: undefined,
  strictOpenAiCompliance: undefined,
  inputGuardrails: undefined,
  outputGuardrails: undefined,
  beforeRequestHooks: undefined,
  afterRequestHooks: undefined,
};

export const ROOT_PATH = "config";

/**
 * What the request's headers supply to leaves that leave it unset. Resolving with them (rather
 * than patching leaves afterwards) keeps breakerKey honest: two header-provided credentials
 * must not share one breaker.
 */
export interface RequestDefaults {
  /** x-portkey-provider / x-portkey-virtual-key: only for a config that is a single root leaf. */
  provider?: string | null;
  virtualKey?: string | null;
  /** Authorization bearer: for any leaf with neither api_key nor virtual_key. */
  apiKey?: string | null;
}

export function resolveConfig(config: PortkeyConfig, defaults: RequestDefaults = {}): RouteNode {
  return resolveTarget(config, ROOT_PATH, NOTHING_INHERITED, defaults);
}

function resolveTarget(target: TargetConfig, path: string, parent: Inherited, defaults: RequestDefaults): RouteNode {
  const own = inherit(target, parent);
  if (!target.targets || !target.strategy) {
    return { kind: "leaf", path, weight: target.weight, leaf: resolveLeaf(target, path, own, defaults) };
  }
  // Portkey never inherits provider or virtual key, so below the root only the credential default applies.
  const childDefaults = { apiKey: defaults.apiKey ?? null };
  const children = target.targets.map((child, i) => resolveTarget(child, `${path}.targets[${i}]`, own, childDefaults));
  const indexOfName = (name: string): number => target.targets!.findIndex((child) => child.name === name);
  const strategy = target.strategy;
  return {
    kind: "group",
    path,
    name: target.name ?? null,
    weight: target.weight,
    strategy: {
      mode: strategy.mode,
      onStatusCodes: strategy.on_status_codes ?? null,
      // Validation guarantees every name exists, so the indexes are never -1.
      conditions: (strategy.conditions ?? []).map((c) => ({ query: c.query, thenIndex: indexOfName(c.then) })),
      defaultIndex: strategy.default === undefined ? null : indexOfName(strategy.default),
      stickyKey: strategy.sticky_key ?? null,
    },
    children,
  };
}

/** A target's own settings win; what it leaves unset comes from its parent. override_params merge shallowly. */
function inherit(target: TargetConfig, parent: Inherited): Inherited {
  return {
    overrideParams: { ...parent.overrideParams, ...target.override_params },
    retry: target.retry ?? parent.retry,
    cache: target.cache ?? parent.cache,
    customHost: target.custom_host ?? parent.customHost,
    forwardHeaders: target.forward_headers ?? parent.forwardHeaders,
    requestTimeout: target.request_timeout ?? parent.requestTimeout,
    strictOpenAiCompliance: target.strict_open_ai_compliance ?? parent.strictOpenAiCompliance,
    inputGuardrails: target.input_guardrails ?? parent.inputGuardrails,
    outputGuardrails: target.output_guardrails ?? parent.outputGuardrails,
    beforeRequestHooks: target.before_request_hooks ?? parent.beforeRequestHooks,
    afterRequestHooks: target.after_request_hooks ?? parent.afterRequestHooks,
  };
}

function resolveLeaf(target: TargetConfig, path: string, settings: Inherited, defaults: RequestDefaults): ResolvedLeaf {
  const namesUpstream = target.provider !== undefined || target.virtual_key !== undefined;
  const provider = target.provider ?? (namesUpstream ? null : (defaults.provider ?? null));
  const virtualKey = target.virtual_key ?? (namesUpstream ? null : (defaults.virtualKey ?? null));
  const leaf: Omit<ResolvedLeaf, "breakerKey"> = {
    path,
    name: target.name ?? null,
    provider,
    apiKey: target.api_key ?? (virtualKey === null ? (defaults.apiKey ?? null) : null),
    virtualKey,
    promptId: target.prompt_id ?? null,
    customHost: settings.customHost ?? null,
    forwardHeaders: (settings.forwardHeaders ?? []).map((name) => name.toLowerCase()),
    overrideParams: settings.overrideParams,
    retry: settings.retry
      ? {
          attempts: settings.retry.attempts,
          onStatusCodes: settings.retry.on_status_codes,
          useRetryAfterHeader: settings.retry.use_retry_after_header,
        }
      : NO_RETRY,
    requestTimeoutMs: settings.requestTimeout ?? null,
    weight: target.weight,
    providerFields: providerFieldsOf(target),
    cache: settings.cache
      ? {
          mode: settings.cache.mode,
          maxAgeSeconds: settings.cache.max_age ?? null,
          similarityThreshold: settings.cache.similarity_threshold ?? null,
          ...(settings.cache.embedding ? { embedding: settings.cache.embedding } : {}),
        }
      : null,
    hooks: {
      inputGuardrails: settings.inputGuardrails ?? null,
      outputGuardrails: settings.outputGuardrails ?? null,
      beforeRequestHooks: settings.beforeRequestHooks ?? null,
      afterRequestHooks: settings.afterRequestHooks ?? null,
    },
    strictOpenAiCompliance: settings.strictOpenAiCompliance ?? null,
  };
  return { ...leaf, breakerKey: breakerKeyOf(leaf) };
}

/**
 * Two leaves share a breaker exactly when they reach the same upstream the same way: same
 * provider, credential, host, provider fields and overridden model — even across different
 * configs and tenants, which is the point (a dead endpoint is dead for everyone). The credential
 * enters only through a SHA-256 digest so the key is safe to log and to show in metrics.
 */
export function breakerKeyOf(leaf: Omit<ResolvedLeaf, "breakerKey">): string {
  const model = typeof leaf.overrideParams.model === "string" ? leaf.overrideParams.model : null;
  const identity = JSON.stringify([
    leaf.provider,
    leaf.virtualKey,
    leaf.apiKey,
    leaf.customHost,
    Object.entries(leaf.providerFields).sort(([a], [b]) => (a < b ? -1 : 1)),
    model,
  ]);
  const digest = createHash("sha256").update(identity).digest("hex").slice(0, 16);
  return `${leaf.provider ?? (leaf.virtualKey ? "virtual-key" : "default")}#${digest}`;
}

/** Every leaf under a node, in config order. */
export function leavesOf(node: RouteNode): ResolvedLeaf[] {
  return node.kind === "leaf" ? [node.leaf] : node.children.flatMap(leavesOf);
}
