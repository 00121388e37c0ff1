import fc from "fast-check";

/**
 * Random routing configs as trees of provider ids; `renderConfig` turns one into the
 * `x-portkey-config` JSON once the fronts' addresses are known. Covers every strategy (single,
 * fallback with on_status_codes, loadbalance with weights — all-zero included, a 400 —, conditional
 * on metadata with $eq/$in/$regex and a default), nesting, retries, request_timeout,
 * forward_headers and override_params of the right and the wrong types.
 */
export const PROPERTY_PROVIDERS = ["openai", "anthropic", "google", "cohere", "bedrock", "mistral"] as const;
export type PropertyProvider = (typeof PROPERTY_PROVIDERS)[number];

export interface LeafNode {
  kind: "leaf";
  provider: PropertyProvider;
  override?: Record<string, unknown>;
  timeoutMs?: number;
  retry?: { attempts: number; on_status_codes?: number[] };
  forwardHeaders?: string[];
  weight?: number;
}

export interface Condition {
  op: "$eq" | "$in" | "$regex";
  /** Index (mod the number of children) of the target the condition routes to. */
  target: number;
}

export interface GroupNode {
  kind: "group";
  mode: "fallback" | "loadbalance" | "conditional";
  children: ConfigNode[];
  onStatusCodes?: number[];
  conditions: Condition[];
  defaultIndex?: number;
  weight?: number;
}

export type ConfigNode = LeafNode | GroupNode;

/** override_params providers would take, and ones no provider would (each a 400 naming the key). */
export const GOOD_OVERRIDES: Record<string, unknown>[] = [
  { model: "gpt-4o-mini" },
  { temperature: 0.2, max_tokens: 12 },
  { stop: ["\n"], seed: 7 },
  { vendor_param: { deep: [1, "two"] } },
  { user: "über-user ☃" },
];
export const BAD_OVERRIDES: Record<string, unknown>[] = [
  { model: 123 },
  { model: true },
  { model: ["a"] },
  { model: { x: 1 } },
  { model: "" },
  { model: "m".repeat(300) },
  { temperature: "hot" },
  { max_tokens: -1 },
  { stream: "yes" },
  { n: 1000 },
  { encoding_format: "hex" },
  { user: 42 },
];

const STATUS_SETS = [[429], [500, 502, 503], [400, 404], [408, 504], [401, 403, 429, 500]];

const leafArb = (provider: fc.Arbitrary<PropertyProvider>): fc.Arbitrary<LeafNode> =>
  fc.record(
    {
      kind: fc.constant("leaf" as const),
      provider,
      // About one leaf in nine carries a wrong type: enough 400s without starving the served paths.
      override: fc.oneof(
        { weight: 5, arbitrary: fc.constant(undefined) },
        { weight: 3, arbitrary: fc.constantFrom(...GOOD_OVERRIDES) },
        { weight: 1, arbitrary: fc.constantFrom(...BAD_OVERRIDES) },
      ),
      timeoutMs: fc.integer({ min: 20, max: 120 }),
      retry: fc.record(
        { attempts: fc.integer({ min: 0, max: 2 }), on_status_codes: fc.constantFrom(...STATUS_SETS) },
        { requiredKeys: ["attempts"] },
      ),
      forwardHeaders: fc.constantFrom(["x-trace-me"], ["x-trace-me", "x-absent"]),
      weight: fc.constantFrom(0, 0.5, 1, 3),
    },
    { requiredKeys: ["kind", "provider"] },
  );

function groupArb(child: fc.Arbitrary<ConfigNode>): fc.Arbitrary<GroupNode> {
  return fc.record(
    {
      kind: fc.constant("group" as const),
      mode: fc.constantFrom("fallback" as const, "loadbalance" as const, "conditional" as const),
      children: fc.array(child, { minLength: 1, maxLength: 3 }),
      onStatusCodes: fc.constantFrom(...STATUS_SETS),
      conditions: fc.array(
        fc.record({ op: fc.constantFrom("$eq" as const, "$in" as const, "$regex" as const), target: fc.nat(5) }),
        { minLength: 1, maxLength: 2 },
      ),
      defaultIndex: fc.nat(5),
      weight: fc.constantFrom(0, 1, 2),
    },
    { requiredKeys: ["kind", "mode", "children", "conditions"] },
  );
}

/**
 * A leaf at the root (single) four times in ten; otherwise a group up to three levels deep.
 * Leaves name a provider that offers the endpoint (`offering`) four times out of five, so most
 * requests get past target checks; the rest are refused there (a 400, still one event).
 */
export function configArb(offering: readonly PropertyProvider[]): fc.Arbitrary<ConfigNode> {
  const provider = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...offering) },
    { weight: 1, arbitrary: fc.constantFrom(...PROPERTY_PROVIDERS) },
  );
  const leaf = leafArb(provider);
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 4, arbitrary: groupArb(leaf) },
    { weight: 2, arbitrary: groupArb(fc.oneof({ weight: 2, arbitrary: leaf }, groupArb(leaf))) },
  );
}

export interface RenderOptions {
  /** custom_host and credentials of a leaf aimed at the provider's front. */
  leaf: (provider: PropertyProvider) => Record<string, unknown>;
  /** Every leaf gets a request_timeout (a stalled upstream must end in a 408, not a hang). */
  forceTimeout: boolean;
  /** No leaf gets one (the client is the one to give up). */
  noTimeout: boolean;
}

const CONDITION_QUERY: Record<Condition["op"], unknown> = {
  $eq: { "metadata.tier": { $eq: "pro" } },
  $in: { "metadata.tier": { $in: ["free", "trial", "ünï"] } },
  $regex: { "metadata.tier": { $regex: "^p(ro)?$" } },
};

export function renderConfig(node: ConfigNode, options: RenderOptions): Record<string, unknown> {
  if (node.kind === "leaf") {
    const out: Record<string, unknown> = { ...options.leaf(node.provider) };
    if (node.override) out.override_params = node.override;
    const timeout = options.noTimeout ? undefined : (node.timeoutMs ?? (options.forceTimeout ? 60 : undefined));
    if (timeout !== undefined) out.request_timeout = timeout;
    // Retry-After (the fakes say 1 s on a 429) is not waited for: the run stays fast.
    if (node.retry) out.retry = { ...node.retry, use_retry_after_header: false };
    if (node.forwardHeaders) out.forward_headers = node.forwardHeaders;
    if (node.weight !== undefined) out.weight = node.weight;
    return out;
  }
  const n = node.children.length;
  const targets = node.children.map((child, i) => ({ ...renderConfig(child, options), name: `t${i}` }));
  const strategy: Record<string, unknown> = { mode: node.mode };
  if (node.mode === "fallback" && node.onStatusCodes) strategy.on_status_codes = node.onStatusCodes;
  if (node.mode === "conditional") {
    strategy.conditions = node.conditions.map((c) => ({
      query: CONDITION_QUERY[c.op],
      // biome-ignore lint/suspicious/noThenProperty: "then" is Portkey's wire key; never awaited.
      then: `t${c.target % n}`,
    }));
    if (node.defaultIndex !== undefined) strategy.default = `t${node.defaultIndex % n}`;
  }
  const out: Record<string, unknown> = { strategy, targets };
  if (node.weight !== undefined) out.weight = node.weight;
  return out;
}

/** A short description of a config tree, for failure reports. */
export function describeConfig(node: ConfigNode): string {
  if (node.kind === "leaf") return node.provider + (node.override ? `+${JSON.stringify(node.override)}` : "");
  return `${node.mode}(${node.children.map(describeConfig).join(", ")})`;
}
