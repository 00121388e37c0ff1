import { z } from "zod";

/**
 * Bounds on what a client controls at the gateway's edge, in one place (documented in
 * docs/LIMITS.md; keep the two in step). Each is enforced where the value is read, as a 4xx
 * naming the field: a value past its bound must never reach an upstream, an event, a span name
 * or a metric label.
 */
export const LIMITS = {
  /** Characters in a model name: body `model` and `override_params.model`. */
  modelName: 256,
  /** Nesting levels of a tool's JSON Schema (`tools[i].function.parameters`). */
  toolSchemaDepth: 32,
  /** Nesting levels of any JSON value inside `override_params` (e.g. `response_format`). */
  overrideValueDepth: 16,
  /** Keys in one target's `override_params`. */
  overrideKeys: 64,
  /** Characters in an `override_params` key. */
  overrideKeyLength: 64,
  /** Targets in one config, every level counted (the root not included). */
  configTargets: 64,
  /** Keys in `x-portkey-metadata`. */
  metadataKeys: 64,
  /** Characters in one metadata key. */
  metadataKeyLength: 128,
  /** Characters in one metadata value: Portkey's documented bound. */
  metadataValueLength: 128,
  /** Characters in `x-portkey-trace-id` (the event's trace_id bound). */
  traceId: 256,
  /** Characters in body `user`. */
  user: 256,
  /** request_timeout (config) and x-portkey-request-timeout, ms: 10 minutes (Node timers overflow past 2^31). */
  requestTimeoutMs: 600_000,
} as const;

/**
 * A model name as a provider takes it: non-empty, bounded. Shared by every endpoint's body
 * (chat, completions, embeddings, messages) and by `override_params.model`, so no route can
 * accept a model name that the event, the span name or a metric label would then have to carry.
 */
export const ModelName = z
  .string({ error: (issue) => (issue.input === undefined ? "model is required" : "model must be a string") })
  .min(1, "model is required")
  .max(LIMITS.modelName, `model must be at most ${LIMITS.modelName} characters`);

/** Body `user` (OpenAI's end-user id): recorded in the event, so bounded. */
export const EndUser = z.string().max(LIMITS.user, `user must be at most ${LIMITS.user} characters`);

export interface DepthIssue {
  /** Path from the value's root to the first container past the limit. */
  path: (string | number)[];
  message: string;
}

/**
 * The first place where `value` nests more than `maxDepth` containers (objects or arrays), or
 * null. Iterative, so an adversarial 100,000-level value cannot overflow the stack checking it.
 */
export function findTooDeep(value: unknown, maxDepth: number): DepthIssue | null {
  const stack: { value: unknown; depth: number; path: (string | number)[] }[] = [{ value, depth: 0, path: [] }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value !== "object" || item.value === null) continue;
    const depth = item.depth + 1;
    if (depth > maxDepth) return { path: item.path, message: `nests deeper than ${maxDepth} levels` };
    const entries: [string | number, unknown][] = Array.isArray(item.value)
      ? item.value.map((v, i) => [i, v])
      : Object.entries(item.value);
    for (const [key, child] of entries) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth, path: [...item.path, key] });
    }
  }
  return null;
}
