import { LRUCache } from "lru-cache";
import { GatewayError } from "../errors.ts";
import { customHostFrom, type HeaderBag, headerValue } from "../http/portkey-headers.ts";
import {
  describeIssues,
  type PortkeyConfig,
  parseConfigHeader,
  type RouteNode,
  resolveConfig,
  validateConfig,
} from "../routing/index.ts";
import { LIMITS } from "../schemas/limits.ts";
import type { ControlLookup } from "./control-lookup.ts";
import { forwardHeaderNames } from "./forward-headers.ts";

export interface RoutePlan {
  root: RouteNode;
  /** The saved config id (`pc-…`) when the request named one. */
  configId: string | null;
}

/**
 * Plans are memoised per planner (one per app): the same config header, defaults and credential
 * give the same immutable route tree, and parsing + validating + resolving a config costs more
 * than the rest of the gateway's own work. Saved configs are keyed by the folded object, so an
 * admin update (a new object) is picked up at once. Bounded: least recently used plans go first.
 */
const PLAN_CACHE_MAX = 2_000;

export type RoutePlanner = (headers: HeaderBag, tenantId: string, providerKey: string | null) => RoutePlan;

export function createRoutePlanner(control: ControlLookup): RoutePlanner {
  const cache = new LRUCache<string, RoutePlan>({ max: PLAN_CACHE_MAX });
  const savedIds = new WeakMap<object, number>();
  let nextSavedId = 0;
  const savedIdentity = (tenantId: string, id: string): string => {
    const saved = control.savedConfig(tenantId, id);
    if (typeof saved !== "object" || saved === null) return "none";
    let n = savedIds.get(saved);
    if (n === undefined) {
      n = nextSavedId++;
      savedIds.set(saved, n);
    }
    return String(n);
  };
  return (headers, tenantId, providerKey) => {
    const config = headerValue(headers, "x-portkey-config")?.trim() ?? "";
    // Every value the plan depends on, NUL-separated (built by concatenation: this runs per request).
    let key = config;
    for (const name of KEY_HEADERS) key += `\u0000${headerValue(headers, name) ?? ""}`;
    key += `\u0000${providerKey ?? ""}\u0000`;
    // A saved config id resolves per tenant and per version of the saved config.
    if (config.startsWith("pc-")) key += `${tenantId}\u0000${savedIdentity(tenantId, config)}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const plan = planRoute(headers, tenantId, providerKey, control);
    cache.set(key, plan);
    return plan;
  };
}

/**
 * Turns the request's headers into a route tree: an inline or saved `x-portkey-config`, else a
 * single target from `x-portkey-virtual-key` / `x-portkey-provider` (default openai). Header-level
 * custom host, forward headers and request timeout act as root defaults the config may override.
 */
export function planRoute(
  headers: HeaderBag,
  tenantId: string,
  providerKey: string | null,
  control: ControlLookup,
): RoutePlan {
  const { config, configId } = configFrom(headers, tenantId, control);
  const root = resolveConfig(withHeaderDefaults(config, headers), {
    provider: headerValue(headers, "x-portkey-provider")?.trim() || null,
    virtualKey: headerValue(headers, "x-portkey-virtual-key")?.trim() || null,
    apiKey: providerKey,
  });
  return { root, configId };
}

function configFrom(
  headers: HeaderBag,
  tenantId: string,
  control: ControlLookup,
): { config: PortkeyConfig; configId: string | null } {
  const raw = headerValue(headers, "x-portkey-config")?.trim();
  if (!raw) return { config: {} as PortkeyConfig, configId: null };
  const parsed = parseConfigHeader(raw);
  if (parsed.ok) return { config: parsed.config, configId: null };
  if (parsed.kind === "invalid") {
    throw new GatewayError(
      "invalid_config",
      `invalid x-portkey-config: ${describeIssues(parsed.issues)}`,
      "x-portkey-config",
    );
  }
  const saved = control.savedConfig(tenantId, parsed.id);
  if (saved === undefined) {
    throw new GatewayError(
      "unknown_config",
      `saved config ${parsed.id} does not exist for this tenant`,
      "x-portkey-config",
    );
  }
  const validated = validateConfig(saved);
  if (!validated.ok) {
    throw new GatewayError(
      "invalid_config",
      `saved config ${parsed.id} is invalid: ${describeIssues(validated.issues)}`,
      "x-portkey-config",
    );
  }
  return { config: validated.config, configId: parsed.id };
}

function withHeaderDefaults(config: PortkeyConfig, headers: HeaderBag): PortkeyConfig {
  const customHost = customHostFrom(headers);
  const forward = forwardHeaderNames(headers);
  const timeoutRaw = headerValue(headers, "x-portkey-request-timeout")?.trim();
  let timeout: number | undefined;
  if (timeoutRaw) {
    timeout = Number(timeoutRaw);
    if (!Number.isInteger(timeout) || timeout <= 0 || timeout > LIMITS.requestTimeoutMs) {
      throw new GatewayError(
        "invalid_header",
        `x-portkey-request-timeout must be a whole number of milliseconds from 1 to ${LIMITS.requestTimeoutMs}`,
        "x-portkey-request-timeout",
      );
    }
  }
  return {
    ...config,
    ...(config.targets ? {} : vertexFields(config, headers)),
    custom_host: config.custom_host ?? customHost,
    forward_headers: config.forward_headers ?? (forward.length > 0 ? forward : undefined),
    request_timeout: config.request_timeout ?? timeout,
  } as PortkeyConfig;
}

/** Portkey's Vertex headers and the leaf fields they set (a single-target request; the config wins). */
const VERTEX_HEADERS = [
  ["x-portkey-vertex-project-id", "vertex_project_id"],
  ["x-portkey-vertex-region", "vertex_region"],
  ["x-portkey-vertex-service-account-json", "vertex_service_account_json"],
] as const;

/** The routing headers the plan is built from, in the order the memo key lists them (after x-portkey-config). */
const KEY_HEADERS: readonly string[] = [
  "x-portkey-provider",
  "x-portkey-virtual-key",
  "x-portkey-custom-host",
  "x-portkey-forward-headers",
  "x-portkey-request-timeout",
  ...VERTEX_HEADERS.map(([name]) => name),
];

function vertexFields(config: PortkeyConfig, headers: HeaderBag): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, field] of VERTEX_HEADERS) {
    const value = headerValue(headers, name)?.trim();
    if (!value || (config as Record<string, unknown>)[field] !== undefined) continue;
    if (field !== "vertex_service_account_json") {
      fields[field] = value;
      continue;
    }
    let account: unknown;
    try {
      account = JSON.parse(value);
    } catch {
      throw new GatewayError("invalid_header", `${name} must be the service account's JSON`, name);
    }
    const isObject = typeof account === "object" && account !== null && !Array.isArray(account);
    if (!isObject || !Object.values(account as Record<string, unknown>).every((v) => typeof v === "string")) {
      throw new GatewayError("invalid_header", `${name} must be a JSON object of strings`, name);
    }
    fields[field] = account;
  }
  return fields;
}
