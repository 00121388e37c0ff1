import type { LimitCheck } from "@switchyard/events";
import {
  type Admission,
  type AdmitRequest,
  allowedChecks,
  type LimiterOptions,
  NONE_EXCLUDED,
  nextId,
  type Refusal,
  refusedAdmission,
  withoutTargets,
} from "./admission.ts";
import { type ActualUsage, amountOf, checksOf, isFinal, settlementsOf, ttlOf } from "./limit-amounts.ts";

export type { ActualUsage } from "./limit-amounts.ts";

import type { PlannedCounter } from "./limit-plan.ts";
import {
  type LimitStore,
  MemoryLimitStore,
  type ReserveItem,
  type ReserveResult,
  type SettleItem,
} from "./limit-store.ts";
import { cachedPlan } from "./plan-cache.ts";
import {
  inputTokensBound,
  inputTokensCounted,
  type Prompt,
  promptOf,
  type TargetWorst,
  targetWorsts,
} from "./worst-case.ts";

export type {
  Admission,
  AdmitRequest,
  FailMode,
  LimitAlert,
  LimiterOptions,
  LimitTarget,
  Refusal,
} from "./admission.ts";

const NO_WORST: ReadonlyMap<string, TargetWorst> = new Map();

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
  admit(input: AdmitRequest, counters: readonly PlannedCounter[]): Admission | Promise<Admission> {
    const needsWorst = counters.some((c) => c.metric !== "requests");
    const prompt = needsWorst ? promptOf(input.params) : null;
    const worst = prompt === null ? NO_WORST : this.worst(input, inputTokensBound(prompt));
    const first = this.admitOnce(input, counters, worst);
    // In memory an admitted request is decided synchronously: no promise on the common path.
    if (!(first instanceof Promise) && first.refusal === null) return first;
    return this.admitRest(input, counters, first, prompt, worst);
  }

  private async admitRest(
    input: AdmitRequest,
    counters: readonly PlannedCounter[],
    first: Admission | Promise<Admission>,
    prompt: Prompt | null,
    bound: ReadonlyMap<string, TargetWorst>,
  ): Promise<Admission> {
    let admission = await first;
    if (admission.refusal === null) return admission;
    let worst = bound;
    let counted = prompt === null;
    let excluded: Map<string, Refusal> | null = null;
    const refusedChecks: LimitCheck[] = [];
    const finish = (a: Admission): Admission =>
      excluded === null ? a : { ...a, checks: [...refusedChecks, ...a.checks], excluded };
    let current = counters;
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
      current = withoutTargets(current, keep);
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

  private admitOnce(
    input: AdmitRequest,
    counters: readonly PlannedCounter[],
    worst: ReadonlyMap<string, TargetWorst>,
  ): Admission | Promise<Admission> {
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
        return refusedAdmission(input, counters, amounts, refusal, checksOf(counters, c));
      }
      amounts[i] = amount;
      items[i] = { key: c.key, amount, limit: c.limit, ttlMs: ttlOf(c, now), final: isFinal(c, targetCount) };
    }
    const store = this.o.store;
    const id = nextId();
    if (store instanceof MemoryLimitStore) {
      return this.decide(input, counters, amounts, items, id, store, store.reserveNow(items, now));
    }
    return this.reserveShared(input, counters, amounts, items, id, now);
  }

  /** The shared store's reservation; unreachable → the fail mode (local counters, or a refusal). */
  private async reserveShared(
    input: AdmitRequest,
    counters: readonly PlannedCounter[],
    amounts: number[],
    items: ReserveItem[],
    id: string,
    now: number,
  ): Promise<Admission> {
    let store: LimitStore = this.o.store;
    let result: ReserveResult;
    try {
      result = await store.reserve(id, items, now);
    } catch (error) {
      this.storeFailed("reserve", error);
      if (this.o.fallback === null) {
        return refusedAdmission(input, counters, amounts, { why: "unavailable" }, checksOf(counters, null, false));
      }
      store = this.o.fallback;
      result = this.o.fallback.reserveNow(items, now);
    }
    return this.decide(input, counters, amounts, items, id, store, result);
  }

  private decide(
    input: AdmitRequest,
    counters: readonly PlannedCounter[],
    amounts: number[],
    items: ReserveItem[],
    id: string,
    store: LimitStore,
    result: ReserveResult,
  ): Admission {
    const n = counters.length;
    if (result.lost === true) this.o.onStoreLost?.();
    if (!result.ok) {
      const counter = counters[result.failed]!;
      this.o.metrics.refused(input.tenantId, counter);
      const refusal: Refusal = { why: "over", counter, total: result.total, amount: amounts[result.failed]! };
      return refusedAdmission(input, counters, amounts, refusal, checksOf(counters, counter));
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
      targetCount: input.targets.length,
      counters,
      amounts,
      totals,
      checks,
      refusal: null,
      store,
      excluded: NONE_EXCLUDED,
    };
  }

  /** Replaces the reservation by what was used; never throws (a failure is logged and counted). */
  settle(admission: Admission, actual: ActualUsage): Promise<void> | undefined {
    const store = admission.store;
    if (store === null) return;
    // Request counts of the whole request were final at admission; the rest is settled.
    const { counters: settled, items } = settlementsOf(admission, actual, this.now());
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
