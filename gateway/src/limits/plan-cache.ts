import type { LimitPolicyState } from "@switchyard/platform";
import { LRUCache } from "lru-cache";
import {
  metadataValue,
  type PlannedCounter,
  planCounters,
  type RequestFacts,
  type TargetFacts,
  type Validity,
} from "./limit-plan.ts";

/**
 * The plan of a request depends only on its tenant's policies, the request's values of the
 * dimensions those policies look at, its targets, and the current windows. Requests of one key
 * mostly repeat those facts, so plans are memoised per policy list (a policy change is a new list)
 * under a key made of exactly those values, until the first of the plan's windows ends. Planned
 * counters are shared between requests and never mutated after planning.
 */

interface Dims {
  apiKey: boolean;
  metadata: string[];
  virtualKey: boolean;
  model: boolean;
  provider: boolean;
}

interface Entry extends Validity {
  counters: readonly PlannedCounter[];
}

interface PolicyListCache {
  dims: Dims;
  entries: LRUCache<string, Entry>;
}

/** Per policy list; past it the least recently used plan goes (per-user policies make one entry per user). */
const MAX_ENTRIES = 4096;
const caches = new WeakMap<readonly LimitPolicyState[], PolicyListCache>();

export function cachedPlan(
  tenantId: string,
  policies: readonly LimitPolicyState[],
  request: RequestFacts,
  targets: readonly TargetFacts[],
  now: number,
): readonly PlannedCounter[] {
  let cache = caches.get(policies);
  if (cache === undefined) {
    cache = { dims: dimsOf(policies), entries: new LRUCache({ max: MAX_ENTRIES }) };
    caches.set(policies, cache);
  }
  const key = keyOf(tenantId, cache.dims, request, targets);
  const hit = cache.entries.get(key);
  if (hit !== undefined && now >= hit.from && now < hit.until) return hit.counters;
  const validity: Validity = { from: Number.NEGATIVE_INFINITY, until: Number.POSITIVE_INFINITY };
  const counters = planCounters(tenantId, policies, request, targets, now, validity);
  cache.entries.set(key, { from: validity.from, until: validity.until, counters });
  return counters;
}

function dimsOf(policies: readonly LimitPolicyState[]): Dims {
  const dims: Dims = { apiKey: false, metadata: [], virtualKey: false, model: false, provider: false };
  const metadata = new Set<string>();
  for (const p of policies) {
    for (const { key } of [...p.conditions, ...p.group_by]) {
      if (key === "api_key") dims.apiKey = true;
      else if (key === "virtual_key") dims.virtualKey = true;
      else if (key === "model") dims.model = true;
      else if (key === "provider") dims.provider = true;
      else if (key.startsWith("metadata.")) metadata.add(key.slice(9));
    }
  }
  dims.metadata = [...metadata];
  return dims;
}

/**
 * Every value is length-prefixed so no choice of metadata (a client's own) can make two different
 * requests share a key — and so another end user's counters.
 */
function keyOf(tenantId: string, dims: Dims, request: RequestFacts, targets: readonly TargetFacts[]): string {
  let key = part(tenantId);
  if (dims.apiKey) key += part(request.apiKeyId);
  for (const name of dims.metadata) key += part(metadataValue(request.metadata, name));
  for (const t of targets) {
    key += `|${part(t.path)}`;
    if (dims.provider) key += part(t.provider);
    if (dims.model) key += part(t.model);
    if (dims.virtualKey) key += part(t.virtualKeyId);
  }
  return key;
}

function part(value: string | null): string {
  return value === null ? "-" : `${value.length}:${value}`;
}
