import { randomUUID } from "node:crypto";
import type { LimitCheck, PriceOverride } from "@switchyard/events";
import type { LimitPolicyState, Logger } from "@switchyard/platform";
import { checksOf } from "./limit-amounts.ts";
import type { LimitMetrics } from "./limit-metrics.ts";
import type { PlannedCounter, RequestFacts, TargetFacts } from "./limit-plan.ts";
import type { LimitStore, MemoryLimitStore } from "./limit-store.ts";

/** What the limiter takes and decides (limiter.ts): a request's facts, its admission or refusal. */

export type FailMode = "open" | "closed";

export interface LimiterOptions {
  store: LimitStore;
  /** fail_open: per-replica counters used while the shared store is unreachable. */
  fallback: MemoryLimitStore | null;
  policies: (tenantId: string) => readonly LimitPolicyState[];
  priceOverrides: readonly PriceOverride[];
  /** Output tokens reserved for a request that sets no max_tokens. */
  defaultOutputCap: number;
  logger: Logger;
  metrics: LimitMetrics;
  /** Called once per limit and period when a budget crosses its alert threshold. */
  onAlert: (alert: LimitAlert) => void;
  /** The shared store lost its counters (Redis restarted empty): rebuild them from the event log. */
  onStoreLost?: () => void;
  now?: () => number;
}

export interface LimitAlert {
  tenantId: string;
  counter: PlannedCounter;
  used: number;
}

/** A target of the request's route, with what its leaf overrides (model, max_tokens). */
export interface LimitTarget extends TargetFacts {
  overrides: Readonly<Record<string, unknown>>;
}

export interface AdmitRequest {
  tenantId: string;
  request: RequestFacts;
  targets: readonly LimitTarget[];
  /** The request's parameters (messages, max_tokens, …) for the worst case. */
  params: Record<string, unknown>;
}

export type Refusal =
  | { why: "over"; counter: PlannedCounter; total: number; amount: number }
  | { why: "unpriced"; counter: PlannedCounter; model: string; provider: string }
  | { why: "unavailable" };

/** What admission decided; settled once when the response is over. */
export interface Admission {
  readonly id: string;
  readonly tenantId: string;
  /** How many targets the request's route has (a counter covering all of them is request-wide). */
  readonly targetCount: number;
  readonly counters: readonly PlannedCounter[];
  readonly amounts: readonly number[];
  /** used + reserved before this request, per counter (for the x-ratelimit headers). */
  readonly totals: readonly number[];
  readonly checks: LimitCheck[];
  readonly refusal: Refusal | null;
  /** The store that holds the reservation (the fallback after a fail-open), null if none. */
  readonly store: LimitStore | null;
  /** Targets (by path) whose own limits refused the request while other targets could serve it. */
  readonly excluded: ReadonlyMap<string, Refusal>;
}

export const NONE_EXCLUDED: ReadonlyMap<string, Refusal> = new Map();

/**
 * Reservation ids: unique across replicas (a random prefix per process) without a UUID per request.
 * Redis names a reservation by it to expire it if its request never settles.
 */
const ID_PREFIX = randomUUID().slice(0, 13);
let sequence = 0;
export const nextId = (): string => `${ID_PREFIX}${(++sequence).toString(36)}`;

/** The checks of an admitted request, one array per planned counter list (plans are memoised). */
const allowedByPlan = new WeakMap<readonly PlannedCounter[], LimitCheck[]>();
export function allowedChecks(counters: readonly PlannedCounter[]): LimitCheck[] {
  let checks = allowedByPlan.get(counters);
  if (checks === undefined) {
    checks = checksOf(counters, null);
    allowedByPlan.set(counters, checks);
  }
  return checks;
}

/** A refused admission: nothing reserved, so nothing to settle (`store` null). */
export function refusedAdmission(
  input: AdmitRequest,
  counters: readonly PlannedCounter[],
  amounts: number[],
  refusal: Refusal,
  checks: LimitCheck[],
): Admission {
  return {
    id: "",
    tenantId: input.tenantId,
    targetCount: input.targets.length,
    counters,
    amounts,
    totals: [],
    checks,
    refusal,
    store: null,
    excluded: NONE_EXCLUDED,
  };
}

/** The counters left once some targets are out: each keeps only the targets still in. */
export function withoutTargets(counters: readonly PlannedCounter[], keep: ReadonlySet<string>): PlannedCounter[] {
  return counters.flatMap((c) => {
    const targets = c.targets.filter((p) => keep.has(p));
    return targets.length > 0 ? [{ ...c, targets }] : [];
  });
}
