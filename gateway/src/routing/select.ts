import { type ConditionContext, evaluateQuery, readField } from "./conditions.ts";
import type { ResolvedStrategy } from "./resolve-config.ts";

/**
 * Which child of a group serves: pure functions of the strategy, the request and a random
 * source, so the router stays a loop and every choice is testable on its own.
 */

/** A number in [0, 1). Math.random in production, a seeded generator in tests. */
export type Rng = () => number;

/**
 * Index whose share of the total weight covers u ∈ [0, 1): weights are relative, 0 is never
 * chosen. Returns -1 when no weight is positive.
 */
export function pickWeighted(weights: readonly number[], u: number): number {
  let total = 0;
  for (const weight of weights) total += weight > 0 ? weight : 0;
  if (total <= 0) return -1;
  let point = u * total;
  let last = -1;
  for (const [i, weight] of weights.entries()) {
    if (weight <= 0) continue;
    if (point < weight) return i;
    point -= weight;
    last = i;
  }
  return last; // u * total landed on the upper edge through rounding
}

export interface LoadbalanceInput {
  weights: readonly number[];
  /** Children worth trying now (circuit not open); when none is, every child is a candidate. */
  available: readonly boolean[];
  rng: Rng;
  /** The value of strategy.sticky_key for this request, if the strategy has one and the request carries it. */
  stickyValue: string | null;
}

/**
 * Weighted pick among available children. Sticky: the value's hash replaces the random draw,
 * so the same value lands on the same child for as long as the set of available children is
 * the same; when that child's circuit opens, its share is spread over the others and the value
 * returns to it once it recovers.
 */
export function pickLoadbalance(input: LoadbalanceInput): number {
  const u = input.stickyValue === null ? input.rng() : unitHash(input.stickyValue);
  const anyAvailable = input.weights.some((weight, i) => weight > 0 && input.available[i]);
  const candidateWeights = anyAvailable ? input.weights.map((w, i) => (input.available[i] ? w : 0)) : input.weights;
  return pickWeighted(candidateWeights, u);
}

/** The sticky field's value as a string (metadata arrives as strings; a number in params is used as written). */
export function stickyValueOf(stickyKey: string | null, ctx: ConditionContext): string | null {
  if (stickyKey === null) return null;
  const value = readField(ctx, stickyKey);
  if (typeof value === "string") return value === "" ? null : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}

export type ConditionalChoice = { ok: true; index: number } | { ok: false; message: string };

/** The first condition whose query holds picks its `then` target; else `default`; else no route. */
export function pickConditional(strategy: ResolvedStrategy, ctx: ConditionContext): ConditionalChoice {
  for (const condition of strategy.conditions) {
    if (evaluateQuery(condition.query, ctx)) return { ok: true, index: condition.thenIndex };
  }
  if (strategy.defaultIndex !== null) return { ok: true, index: strategy.defaultIndex };
  return { ok: false, message: "no conditional route matched and no default is set" };
}

const utf8 = new TextEncoder();

/**
 * 32-bit FNV-1a of the UTF-8 bytes, then murmur3's fmix32 finaliser, as a fraction in [0, 1).
 * FNV alone leaves the high bits of short, similar keys ("user-1", "user-2") poorly mixed, and
 * it is the high bits that decide the bucket; the finaliser spreads every input bit across all
 * output bits. Stable across processes and replicas (no seed), which stickiness requires.
 */
export function unitHash(value: string): number {
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(value)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 0x1_0000_0000;
}
