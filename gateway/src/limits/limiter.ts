import { randomUUID } from "node:crypto";
import type { LimitCheck, PriceOverride } from "@switchyard/events";
import type { LimitPolicyState, Logger } from "@switchyard/platform";
import { type ActualUsage, actualOf, amountOf, checksOf, isFinal, type TargetWorst, ttlOf } from "./limit-amounts.ts";

export type { ActualUsage } from "./limit-amounts.ts";

import type { LimitMetrics } from "./limit-metrics.ts";
import { type PlannedCounter, planCounters, type RequestFacts, type TargetFacts } from "./limit-plan.ts";
import type { LimitStore, MemoryLimitStore, ReserveItem } from "./limit-store.ts";
import { inputTokensOf, outputCapOf, worstCase } from "./worst-case.ts";

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

const NONE_EXCLUDED: ReadonlyMap<string, Refusal> = new Map();

const LOG_EVERY_MS = 10_000;

/**
 * Reservation, not after-the-fact counting: admit() reserves every counter's worst case in one
 * atomic step and refuses when any does not fit; settle() replaces the reservation with what the
 * request really used. So concurrent requests can never jointly pass a limit.
 */
export class Limiter {
  private readonly o: LimiterOptions;
  private readonly now: () => number;
  private lastStoreLog = 0;

  constructor(options: LimiterOptions) {
    this.o = options;
    this.now = options.now ?? Date.now;
  }

  get store(): LimitStore {
    return this.o.store;
  }

  /** False when the tenant has no limits at all: the request path then skips everything else. */
  hasPolicies(tenantId: string): boolean {
    return this.o.policies(tenantId).length > 0;
  }

  /** The counters a request falls under (none: the request is not limited, nothing to reserve). */
  plan(input: AdmitRequest): PlannedCounter[] {
    const policies = this.o.policies(input.tenantId);
    if (policies.length === 0) return [];
    return planCounters(input.tenantId, policies, input.request, input.targets, this.now());
  }

  /**
   * Reserves the request's worst case on every counter at once, or refuses it. A refusal by a
   * counter that covers only some targets of the route (a virtual key's, a model's) takes those
   * targets out instead — `excluded`: their attempts are refused, a fallback goes on to the next —
   * and the rest is reserved again; only when no target is left is the request refused.
   */
  async admit(input: AdmitRequest, counters: readonly PlannedCounter[]): Promise<Admission> {
    const worst = await this.worstCases(input, counters);
    const excluded = new Map<string, Refusal>();
    const refusedChecks: LimitCheck[] = [];
    const finish = (a: Admission): Admission => ({ ...a, checks: [...refusedChecks, ...a.checks], excluded });
    let current = counters;
    for (;;) {
      const admission = await this.admitOnce(input, current, worst);
      const r = admission.refusal;
      if (r === null || r.why === "unavailable") return finish(admission);
      const out = new Set(r.counter.targets);
      const keep = new Set(input.targets.flatMap((t) => (excluded.has(t.path) || out.has(t.path) ? [] : [t.path])));
      if (keep.size === 0) return finish(admission);
      for (const path of out) excluded.set(path, r);
      refusedChecks.push({
        limit_id: r.counter.limitId,
        kind: r.counter.kind,
        metric: r.counter.metric,
        allowed: false,
      });
      current = current.flatMap((c) => {
        const targets = c.targets.filter((p) => keep.has(p));
        return targets.length > 0 ? [{ ...c, targets }] : [];
      });
      if (current.length === 0) {
        const none = {
          id: randomUUID(),
          tenantId: input.tenantId,
          targetCount: input.targets.length,
          counters: [],
          amounts: [],
          totals: [],
        };
        return finish({ ...none, checks: [], refusal: null, store: null, excluded });
      }
    }
  }

  private async admitOnce(
    input: AdmitRequest,
    counters: readonly PlannedCounter[],
    worst: ReadonlyMap<string, TargetWorst>,
  ): Promise<Admission> {
    const now = this.now();
    const id = randomUUID();
    const base = {
      id,
      tenantId: input.tenantId,
      targetCount: input.targets.length,
      counters,
      totals: [] as number[],
      excluded: NONE_EXCLUDED,
    };
    const amounts: number[] = [];
    for (const counter of counters) {
      const amount = amountOf(counter, worst);
      if (typeof amount === "object") {
        const refusal: Refusal = { why: "unpriced", counter, ...amount };
        return { ...base, amounts, checks: checksOf(counters, counter), refusal, store: null };
      }
      amounts.push(amount);
    }
    const items: ReserveItem[] = counters.map((c, i) => ({
      key: c.key,
      amount: amounts[i]!,
      limit: c.limit,
      ttlMs: ttlOf(c, now),
      final: isFinal(c, input.targets.length),
    }));
    let store: LimitStore = this.o.store;
    let result: Awaited<ReturnType<LimitStore["reserve"]>>;
    try {
      result = await store.reserve(id, items, now);
    } catch (error) {
      this.storeFailed("reserve", error);
      if (this.o.fallback === null) {
        return {
          ...base,
          amounts,
          checks: checksOf(counters, null, false),
          refusal: { why: "unavailable" },
          store: null,
        };
      }
      store = this.o.fallback;
      result = this.o.fallback.reserveNow(items, now);
    }
    if (result.lost === true) this.o.onStoreLost?.();
    if (!result.ok) {
      const counter = counters[result.failed]!;
      this.o.metrics.refused(input.tenantId, counter);
      const refusal: Refusal = { why: "over", counter, total: result.total, amount: amounts[result.failed]! };
      return { ...base, amounts, checks: checksOf(counters, counter), refusal, store: null };
    }
    const totals = result.totals;
    counters.forEach((c, i) => {
      if (!isFinal(c, input.targets.length)) return;
      const used = totals[i]! + amounts[i]!;
      this.o.metrics.observe(input.tenantId, c, used);
      if (c.alertAt !== null && totals[i]! < c.alertAt && used >= c.alertAt) {
        this.o.onAlert({ tenantId: input.tenantId, counter: c, used });
      }
    });
    return { ...base, amounts, totals, checks: checksOf(counters, null), refusal: null, store };
  }

  /** Replaces the reservation by what was used; never throws (a failure is logged and counted). */
  async settle(admission: Admission, actual: ActualUsage): Promise<void> {
    const store = admission.store;
    if (store === null) return;
    // Request counts of the whole request were final at admission; the rest is settled.
    const settled = admission.counters.flatMap((c, i) => (isFinal(c, admission.targetCount) ? [] : [i]));
    if (settled.length === 0) return;
    const now = this.now();
    const items = settled.map((i) => {
      const counter = admission.counters[i]!;
      const reserved = admission.amounts[i]!;
      return { key: counter.key, reserved, actual: actualOf(counter, actual), ttlMs: ttlOf(counter, now) };
    });
    let used: number[];
    try {
      used = await store.settle(admission.id, items);
    } catch (error) {
      this.storeFailed("settle", error);
      return;
    }
    settled.forEach((index, i) => {
      const counter = admission.counters[index]!;
      this.o.metrics.observe(admission.tenantId, counter, used[i]!);
      const alertAt = counter.alertAt;
      if (alertAt === null) return;
      const before = used[i]! - items[i]!.actual;
      if (before < alertAt && used[i]! >= alertAt)
        this.o.onAlert({ tenantId: admission.tenantId, counter, used: used[i]! });
    });
  }

  private async worstCases(
    input: AdmitRequest,
    counters: readonly PlannedCounter[],
  ): Promise<Map<string, TargetWorst>> {
    const worst = new Map<string, TargetWorst>();
    if (!counters.some((c) => c.metric !== "requests")) return worst;
    const inputTokens = await inputTokensOf(input.params);
    for (const t of input.targets) {
      const output = outputCapOf(input.params, t.overrides) ?? this.o.defaultOutputCap;
      const w = worstCase(t.provider, t.model, inputTokens, output, this.o.priceOverrides);
      worst.set(t.path, { ...w, model: t.model, provider: t.provider });
    }
    return worst;
  }

  private storeFailed(operation: string, error: unknown): void {
    this.o.metrics.storeError(operation);
    const now = this.now();
    if (now - this.lastStoreLog < LOG_EVERY_MS) return;
    this.lastStoreLog = now;
    this.o.logger.warn(
      {
        operation,
        store: this.o.store.kind,
        fallback: this.o.fallback ? "local" : "refuse",
        err: (error as Error)?.message,
      },
      "limits: the shared counters are unreachable",
    );
  }
}
