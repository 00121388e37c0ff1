import type { LimitCheck, PriceOverride } from "@switchyard/events";
import type { LimitPolicyState, Logger } from "@switchyard/platform";
import {
  type Admission,
  type AdmitRequest,
  allowedChecks,
  type LimitAlert,
  NONE_EXCLUDED,
  nextId,
  type Refusal,
} from "./admission.ts";
import { type ActualUsage, actualOf, amountOf, checksOf, isFinal, type TargetWorst, ttlOf } from "./limit-amounts.ts";

export type { ActualUsage } from "./limit-amounts.ts";

import type { LimitMetrics } from "./limit-metrics.ts";
import type { PlannedCounter } from "./limit-plan.ts";
import {
  type LimitStore,
  MemoryLimitStore,
  type ReserveItem,
  type ReserveResult,
  type SettleItem,
} from "./limit-store.ts";
import { cachedPlan } from "./plan-cache.ts";
import { inputTokensBound, inputTokensCounted, promptOf, targetWorsts } from "./worst-case.ts";

export type { Admission, AdmitRequest, LimitAlert, LimitTarget, Refusal } from "./admission.ts";

export type FailMode = "open" | "closed";

const NO_WORST: ReadonlyMap<string, TargetWorst> = new Map();

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
  plan(input: AdmitRequest): readonly PlannedCounter[] {
    const policies = this.o.policies(input.tenantId);
    if (policies.length === 0) return [];
    return cachedPlan(input.tenantId, policies, input.request, input.targets, this.now());
  }

  /**
   * Reserves the request's worst case on every counter at once, or refuses it. The input tokens are
   * first bounded by the prompt's bytes (no tokenizing); a refusal by a token or cost counter under
   * that bound retries once with the prompt counted. A refusal by a counter that covers only some
   * targets of the route (a virtual key's, a model's) takes those targets out instead — `excluded`:
   * their attempts are refused, a fallback goes on to the next — and the rest is reserved again;
   * only when no target is left is the request refused.
   */
  async admit(input: AdmitRequest, counters: readonly PlannedCounter[]): Promise<Admission> {
    const needsWorst = counters.some((c) => c.metric !== "requests");
    const prompt = needsWorst ? promptOf(input.params) : null;
    let worst = prompt === null ? NO_WORST : this.worst(input, inputTokensBound(prompt));
    let counted = prompt === null;
    const first = await this.admitOnce(input, counters, worst);
    if (first.refusal === null) return first;
    let excluded: Map<string, Refusal> | null = null;
    const refusedChecks: LimitCheck[] = [];
    const finish = (a: Admission): Admission =>
      excluded === null ? a : { ...a, checks: [...refusedChecks, ...a.checks], excluded };
    let current = counters;
    let admission = first;
    for (;;) {
      const r = admission.refusal;
      if (r === null || r.why === "unavailable") return finish(admission);
      if (r.why === "over" && !counted && r.counter.metric !== "requests" && prompt !== null) {
        // Refused under the byte bound: count the prompt, reserve again (nothing was reserved).
        counted = true;
        worst = this.worst(input, await inputTokensCounted(prompt));
        admission = await this.admitOnce(input, current, worst);
        continue;
      }
      const out = new Set(r.counter.targets);
      const gone = excluded;
      const keep = new Set(input.targets.flatMap((t) => (gone?.has(t.path) || out.has(t.path) ? [] : [t.path])));
      if (keep.size === 0) return finish(admission);
      excluded ??= new Map();
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
        const none = { id: nextId(), tenantId: input.tenantId, targetCount: input.targets.length };
        return finish({
          ...none,
          counters: [],
          amounts: [],
          totals: [],
          checks: [],
          refusal: null,
          store: null,
          excluded,
        });
      }
      admission = await this.admitOnce(input, current, worst);
    }
  }

  private async admitOnce(
    input: AdmitRequest,
    counters: readonly PlannedCounter[],
    worst: ReadonlyMap<string, TargetWorst>,
  ): Promise<Admission> {
    const now = this.now();
    const targetCount = input.targets.length;
    const n = counters.length;
    const amounts: number[] = new Array(n);
    const items: ReserveItem[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const c = counters[i]!;
      const amount = amountOf(c, worst);
      if (typeof amount === "object") {
        const refusal: Refusal = { why: "unpriced", counter: c, ...amount };
        return this.refused(input, counters, amounts, refusal, checksOf(counters, c));
      }
      amounts[i] = amount;
      items[i] = { key: c.key, amount, limit: c.limit, ttlMs: ttlOf(c, now), final: isFinal(c, targetCount) };
    }
    const id = nextId();
    let store: LimitStore = this.o.store;
    let result: ReserveResult;
    if (store instanceof MemoryLimitStore) {
      // In memory the reservation is synchronous: no promise to wait on.
      result = store.reserveNow(items, now);
    } else {
      try {
        result = await store.reserve(id, items, now);
      } catch (error) {
        this.storeFailed("reserve", error);
        if (this.o.fallback === null) {
          return this.refused(input, counters, amounts, { why: "unavailable" }, checksOf(counters, null, false));
        }
        store = this.o.fallback;
        result = this.o.fallback.reserveNow(items, now);
      }
    }
    if (result.lost === true) this.o.onStoreLost?.();
    if (!result.ok) {
      const counter = counters[result.failed]!;
      this.o.metrics.refused(input.tenantId, counter);
      const refusal: Refusal = { why: "over", counter, total: result.total, amount: amounts[result.failed]! };
      return this.refused(input, counters, amounts, refusal, checksOf(counters, counter));
    }
    const totals = result.totals;
    for (let i = 0; i < n; i++) {
      const c = counters[i]!;
      if (!items[i]!.final) continue;
      const used = totals[i]! + amounts[i]!;
      this.o.metrics.observe(input.tenantId, c, used);
      if (c.alertAt !== null && totals[i]! < c.alertAt && used >= c.alertAt) {
        this.o.onAlert({ tenantId: input.tenantId, counter: c, used });
      }
    }
    const checks = allowedChecks(counters);
    return {
      id,
      tenantId: input.tenantId,
      targetCount,
      counters,
      amounts,
      totals,
      checks,
      refusal: null,
      store,
      excluded: NONE_EXCLUDED,
    };
  }

  private refused(
    input: AdmitRequest,
    counters: readonly PlannedCounter[],
    amounts: number[],
    refusal: Refusal,
    checks: LimitCheck[],
  ): Admission {
    const targetCount = input.targets.length;
    return {
      id: "",
      tenantId: input.tenantId,
      targetCount,
      counters,
      amounts,
      totals: [],
      checks,
      refusal,
      store: null,
      excluded: NONE_EXCLUDED,
    };
  }

  /** Replaces the reservation by what was used; never throws (a failure is logged and counted). */
  settle(admission: Admission, actual: ActualUsage): Promise<void> | undefined {
    const store = admission.store;
    if (store === null) return;
    // Request counts of the whole request were final at admission; the rest is settled.
    const now = this.now();
    const counters = admission.counters;
    const settled: PlannedCounter[] = [];
    const items: SettleItem[] = [];
    for (let i = 0; i < counters.length; i++) {
      const counter = counters[i]!;
      if (isFinal(counter, admission.targetCount)) continue;
      const reserved = admission.amounts[i]!;
      settled.push(counter);
      items.push({ key: counter.key, reserved, actual: actualOf(counter, actual), ttlMs: ttlOf(counter, now) });
    }
    if (items.length === 0) return;
    if (store instanceof MemoryLimitStore) {
      this.settled(admission.tenantId, settled, items, store.settleNow(items));
      return;
    }
    return store.settle(admission.id, items).then(
      (used) => this.settled(admission.tenantId, settled, items, used),
      (error: unknown) => this.storeFailed("settle", error),
    );
  }

  private settled(tenantId: string, counters: PlannedCounter[], items: SettleItem[], used: number[]): void {
    for (let i = 0; i < counters.length; i++) {
      const counter = counters[i]!;
      this.o.metrics.observe(tenantId, counter, used[i]!);
      const alertAt = counter.alertAt;
      if (alertAt === null) continue;
      const before = used[i]! - items[i]!.actual;
      if (before < alertAt && used[i]! >= alertAt) this.o.onAlert({ tenantId, counter, used: used[i]! });
    }
  }

  private worst(input: AdmitRequest, inputTokens: number): Map<string, TargetWorst> {
    return targetWorsts(input.targets, input.params, inputTokens, this.o.defaultOutputCap, this.o.priceOverrides);
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
