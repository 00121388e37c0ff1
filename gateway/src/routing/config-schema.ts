import { CustomHostUrl } from "@switchyard/platform";
import { z } from "zod";
import { EmbeddingTargetConfig } from "../cache/embedding-config.ts";
import { LIMITS } from "../schemas/limits.ts";
import { isFieldPath, validateQuery } from "./conditions.ts";
import { type ConfigIssue, formatPath, issuesFromZod } from "./config-issues.ts";
import { HOOK_OBJECT_KEYS, hookFields } from "./hooks-schema.ts";
import { OverrideParams } from "./override-params.ts";
import { PROVIDER_FIELD_KEYS, providerFieldsShape } from "./provider-fields.ts";

/**
 * The Portkey config object (`x-portkey-config`, saved configs, SDK `config`) as zod: the one
 * definition of what a config may say, snake_case as on the wire. Structural rules live in the
 * shapes; rules that span keys (a group needs targets, loadbalance needs a positive weight,
 * conditional names must exist) are per-target refinements so every failing path is reported,
 * not just the first. Unknown keys are refused with their path: a typo must never pass as a no-op.
 */

const StatusCode = z.number().int().min(100).max(599);

export const DEFAULT_RETRY_STATUS_CODES: readonly number[] = [429, 500, 502, 503, 504];

export const RetryConfig = z.strictObject({
  attempts: z.number().int().min(0).max(10),
  on_status_codes: z.array(StatusCode).default([...DEFAULT_RETRY_STATUS_CODES]),
  use_retry_after_header: z.boolean().default(true),
});
export type RetryConfig = z.infer<typeof RetryConfig>;

/** Portkey's bounds on `cache.max_age`, in seconds: 1 minute … 90 days. */
export const CACHE_MAX_AGE_RANGE = { min: 60, max: 7_776_000 } as const;

export const CacheConfig = z
  .strictObject({
    mode: z.enum(["simple", "semantic"]),
    /** SECONDS (the open-source gateway reads it as milliseconds; we do not); default 7 days. */
    max_age: z.number().min(CACHE_MAX_AGE_RANGE.min).max(CACHE_MAX_AGE_RANGE.max).optional(),
    /** Our extension: the cosine similarity a semantic hit needs (default: the gateway's, see cache/README.md). */
    similarity_threshold: z.number().min(0.5).max(1).optional(),
    /** Our extension: embed through a provider's /v1/embeddings instead of the local model (cache/README.md). */
    embedding: EmbeddingTargetConfig.optional(),
  })
  .superRefine((cache, ctx) => {
    if (cache.embedding !== undefined && cache.mode !== "semantic")
      ctx.addIssue({ code: "custom", path: ["embedding"], message: 'only applies to mode "semantic"' });
  });
export type CacheConfig = z.infer<typeof CacheConfig>;

export const ConditionQuery = z.record(z.string(), z.unknown()).superRefine((query, ctx) => {
  for (const issue of validateQuery(query)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});

// biome-ignore lint/suspicious/noThenProperty: "then" is Portkey's wire key; this is a schema, never awaited.
const Condition = z.strictObject({ query: ConditionQuery, then: z.string().min(1) });

export const StrategyMode = z.enum(["single", "fallback", "loadbalance", "conditional"]);
export type StrategyMode = z.infer<typeof StrategyMode>;

// Strategy keys and the one mode each means something in; set under another mode it is a mistake.
const MODE_OF_KEY = {
  on_status_codes: "fallback",
  conditions: "conditional",
  default: "conditional",
  sticky_key: "loadbalance",
};

export const StrategyConfig = z
  .strictObject({
    mode: StrategyMode,
    on_status_codes: z.array(StatusCode).min(1).optional(),
    conditions: z.array(Condition).min(1).optional(),
    default: z.string().min(1).optional(),
    /** Our extension: loadbalance by a stable hash of this field (e.g. `metadata._user`). */
    sticky_key: z.string().refine(isFieldPath, "must name metadata.<key>, params.<path> or url.pathname").optional(),
  })
  .superRefine((strategy, ctx) => {
    for (const [key, mode] of Object.entries(MODE_OF_KEY)) {
      if (strategy[key as keyof typeof MODE_OF_KEY] !== undefined && strategy.mode !== mode) {
        ctx.addIssue({ code: "custom", path: [key], message: `only applies to mode "${mode}"` });
      }
    }
    if (strategy.mode === "conditional" && strategy.conditions === undefined) {
      ctx.addIssue({ code: "custom", path: ["conditions"], message: 'mode "conditional" needs conditions' });
    }
  });
export type StrategyConfig = z.infer<typeof StrategyConfig>;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// Keys that describe one upstream; nothing inherits them, so they are refused on a group.
const LEAF_ONLY_KEYS = ["provider", "api_key", "virtual_key", "prompt_id", ...PROVIDER_FIELD_KEYS];

// Nesting deeper than this is refused before zod sees it: real configs use 2–3 levels, and an
// unbounded depth would let one header recurse the validator into a stack overflow.
export const MAX_TARGET_DEPTH = 8;
// Targets in one config, all levels counted, also checked before zod: every target may cost an
// upstream call (fallback tries them in turn), so a 150-target config is refused, not served.
export const MAX_TARGETS = LIMITS.configTargets;

// Names and ids are short; secrets and provider fields are bounded like the control plane's.
const Name = z.string().min(1).max(200);
const Secret = z.string().min(1).max(16_384);

// Every key of a target but `targets`, which recurses and so needs its type spelled out below.
const targetFieldsShape = {
  name: Name.optional(),
  weight: z.number().min(0).max(1_000_000).default(1),
  strategy: StrategyConfig.optional(),
  provider: z.string().min(1).max(64).optional(),
  api_key: Secret.optional(),
  virtual_key: z.string().min(1).max(128).optional(),
  /** A prompt (`id`, `id@12`, `id@label`) this target sends, on /v1/prompts/{id}/completions: A/B tests and fallback between prompts. */
  prompt_id: z.string().min(1).max(200).optional(),
  ...providerFieldsShape,
  override_params: OverrideParams.optional(),
  custom_host: CustomHostUrl.optional(),
  forward_headers: z.array(z.string().max(256).regex(HEADER_NAME, "must be an HTTP header name")).max(64).optional(),
  retry: RetryConfig.optional(),
  /** Milliseconds per attempt; an attempt that runs over becomes a 408. */
  request_timeout: z
    .number()
    .int()
    .positive()
    .max(LIMITS.requestTimeoutMs, `request_timeout is at most ${LIMITS.requestTimeoutMs} ms`)
    .optional(),
  cache: CacheConfig.optional(),
  strict_open_ai_compliance: z.boolean().optional(),
  ...hookFields,
};

type TargetFieldsSchema = z.ZodObject<typeof targetFieldsShape>;
export type TargetConfig = z.output<TargetFieldsSchema> & { targets?: TargetConfig[] | undefined };
type TargetConfigInput = z.input<TargetFieldsSchema> & { targets?: TargetConfigInput[] | undefined };
type TargetSchema = z.ZodType<TargetConfig, TargetConfigInput>;

const targetShape = {
  ...targetFieldsShape,
  get targets(): z.ZodOptional<z.ZodArray<TargetSchema>> {
    return z.array(TargetConfig).optional();
  },
};

interface TargetFields {
  strategy?: StrategyConfig | undefined;
  targets?: readonly { name?: string | undefined; weight: number }[] | undefined;
  provider?: string | undefined;
  virtual_key?: string | undefined;
}

/** Rules of a target with children: it needs both strategy and targets, and no leaf-only keys. */
function checkGroup(target: TargetFields & Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (target.strategy === undefined) {
    ctx.addIssue({ code: "custom", path: ["strategy"], message: "a target with targets needs a strategy" });
  }
  if (target.targets === undefined || target.targets.length === 0) {
    ctx.addIssue({ code: "custom", path: ["targets"], message: "a strategy needs at least one target" });
    return;
  }
  for (const key of LEAF_ONLY_KEYS) {
    if (target[key] !== undefined) {
      ctx.addIssue({ code: "custom", path: [key], message: "is not inherited by targets; set it on each leaf target" });
    }
  }
  const strategy = target.strategy;
  if (strategy?.mode === "loadbalance" && target.targets.every((child) => child.weight === 0)) {
    ctx.addIssue({
      code: "custom",
      path: ["targets"],
      message: "loadbalance needs at least one target with weight > 0",
    });
  }
  if (strategy?.mode === "conditional") checkConditionalNames(strategy, target.targets, ctx);
}

function checkConditionalNames(
  strategy: StrategyConfig,
  targets: readonly { name?: string | undefined }[],
  ctx: z.RefinementCtx,
): void {
  const names = new Set<string>();
  targets.forEach((child, i) => {
    if (child.name === undefined) return;
    if (names.has(child.name))
      ctx.addIssue({ code: "custom", path: ["targets", i, "name"], message: "duplicate name" });
    names.add(child.name);
  });
  const known = [...names].map((n) => JSON.stringify(n)).join(", ") || "none";
  (strategy.conditions ?? []).forEach((condition, i) => {
    if (!names.has(condition.then)) {
      ctx.addIssue({
        code: "custom",
        path: ["strategy", "conditions", i, "then"],
        message: `no target named ${JSON.stringify(condition.then)} (names: ${known})`,
      });
    }
  });
  if (strategy.default !== undefined && !names.has(strategy.default)) {
    ctx.addIssue({
      code: "custom",
      path: ["strategy", "default"],
      message: `no target named ${JSON.stringify(strategy.default)} (names: ${known})`,
    });
  }
}

function isGroup(target: TargetFields): boolean {
  return target.targets !== undefined || target.strategy !== undefined;
}

/** A target inside `targets[]`: a group, or a leaf that names its upstream. */
export const TargetConfig: TargetSchema = z.strictObject(targetShape).superRefine((target, ctx) => {
  if (isGroup(target)) checkGroup(target, ctx);
  else if (target.provider === undefined && target.virtual_key === undefined && target.prompt_id === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: "a target needs provider (with api_key), virtual_key or prompt_id",
    });
  }
});

/**
 * The whole config. At the root a leaf may omit provider and virtual_key: Portkey clients send
 * e.g. `{"retry": {...}}` with the provider in x-portkey-provider / x-portkey-virtual-key.
 */
export const PortkeyConfig = z.strictObject(targetShape).superRefine((target, ctx) => {
  if (isGroup(target)) checkGroup(target, ctx);
});
export type PortkeyConfig = z.infer<typeof PortkeyConfig>;

const KNOWN_KEYS: Record<string, readonly string[]> = {
  target: Object.keys(targetShape),
  strategy: Object.keys(StrategyConfig.shape),
  retry: Object.keys(RetryConfig.shape),
  cache: Object.keys(CacheConfig.shape),
  embedding: Object.keys(EmbeddingTargetConfig.shape),
  conditions: Object.keys(Condition.shape),
  before_request_hooks: HOOK_OBJECT_KEYS,
  after_request_hooks: HOOK_OBJECT_KEYS,
};

/** Which object an unknown key sat in, judged by the nearest named segment of its path. */
function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  const owner = [...path].reverse().find((segment) => typeof segment === "string" && segment !== "targets");
  return (typeof owner === "string" && KNOWN_KEYS[owner]) || KNOWN_KEYS.target!;
}

export type ConfigValidation = { ok: true; config: PortkeyConfig } | { ok: false; issues: ConfigIssue[] };

/** Validates an already-parsed config (inline header JSON, a saved config, the SDK `config`). */
export function validateConfig(value: unknown): ConfigValidation {
  const tooBig = findTooBig(value);
  if (tooBig) return { ok: false, issues: [tooBig] };
  const parsed = PortkeyConfig.safeParse(value);
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, issues: issuesFromZod(parsed.error, knownKeysAt) };
}

/** Nesting past MAX_TARGET_DEPTH or more than MAX_TARGETS targets in all: refused before zod walks it. */
function findTooBig(value: unknown): ConfigIssue | null {
  const counted = { targets: 0 };
  const tooDeep = findTooDeep(value, [], 0, counted);
  if (tooDeep) return tooDeep;
  if (counted.targets > MAX_TARGETS) {
    return {
      path: "targets",
      message: `a config has at most ${MAX_TARGETS} targets (all levels counted); this one has ${counted.targets}`,
    };
  }
  return null;
}

function findTooDeep(
  value: unknown,
  path: (string | number)[],
  depth: number,
  counted: { targets: number },
): ConfigIssue | null {
  if (typeof value !== "object" || value === null || !("targets" in value) || !Array.isArray(value.targets)) {
    return null;
  }
  if (depth >= MAX_TARGET_DEPTH) {
    return { path: formatPath([...path, "targets"]), message: `targets nest deeper than ${MAX_TARGET_DEPTH} levels` };
  }
  counted.targets += value.targets.length;
  // Past the bound there is nothing more to learn; stop before walking a huge array's children.
  if (counted.targets > MAX_TARGETS) return null;
  for (const [i, child] of value.targets.entries()) {
    const issue = findTooDeep(child, [...path, "targets", i], depth + 1, counted);
    if (issue) return issue;
  }
  return null;
}
