import { setTimeout as delay } from "node:timers/promises";
import type { CircuitBreakers } from "./circuit-breaker.ts";
import type { ConditionContext } from "./conditions.ts";
import {
  type AttemptRecord,
  type Execute,
  isSuccess,
  type LeafResult,
  type RouteOutcome,
  type RouterDeps,
  runLeaf,
  type Sleep,
} from "./leaf-attempt.ts";
import { leavesOf, type ResolvedLeaf, type ResolvedStrategy, type RouteNode } from "./resolve-config.ts";
import { pickConditional, pickLoadbalance, stickyValueOf } from "./select.ts";

/**
 * The executor: walks the resolved tree for one request, calling `execute` for each leaf it
 * tries. Transport-free — execute is the caller's upstream call — so every strategy, retry,
 * timeout and breaker rule is testable without a socket.
 *
 *   single       the first child
 *   fallback     children in order; move on when the status is in strategy.on_status_codes
 *                (default: any non-2xx), on a network error, or past an open circuit.
 *                The last target's answer is returned even when it failed.
 *   loadbalance  one child by weight (sticky by hash when sticky_key is set), preferring
 *                children whose circuit is not open
 *   conditional  the child the first matching condition names, else default, else NoRouteError
 *
 * Every request is held to `maxAttempts` upstream tries, retries and fallbacks together (default
 * 32): once reached, no retry is started and no further fallback child is tried; the last answer
 * stands. Configs are also capped at 64 targets, but 64 targets × 10 retries would still be 704
 * calls for one request.
 */

/** Upstream tries per request, retries and fallbacks together, when the caller sets no limit. */
export const DEFAULT_MAX_ATTEMPTS = 32;

export interface RouteLimits {
  /** Upstream tries per request (circuit-open skips count too: each is an attempt record). At least 1. */
  maxAttempts: number;
}

const DEFAULT_LIMITS: RouteLimits = { maxAttempts: DEFAULT_MAX_ATTEMPTS };

/** Raised by the capped sleep in place of a retry's backoff: runLeaf then keeps the last answer. */
const ATTEMPT_CAP_REACHED = new Error("the request's attempt budget is spent");

export interface RouteRequest {
  metadata: Readonly<Record<string, string>>;
  /** The request body (after parsing), read by `params.*` in conditions and sticky keys. */
  params: Readonly<Record<string, unknown>>;
  pathname: string;
}

export interface RouteResult<T> {
  outcome: RouteOutcome<T>;
  /** The leaf whose answer this is; its path is x-portkey-last-used-option-index. */
  leaf: ResolvedLeaf;
  /** Every try, fallbacks and retries included, in order. */
  attempts: AttemptRecord[];
  /** Retries of the final leaf only: x-portkey-retry-attempt-count. */
  retryCount: number;
}

/** A conditional group had no matching condition and no default: the caller answers 400. */
export class NoRouteError extends Error {
  readonly code = "no_route_matched";
  readonly path: string;
  /** Tries made before the conditional was reached (when it sits under a fallback). */
  readonly attempts: AttemptRecord[];

  constructor(path: string, message: string, attempts: AttemptRecord[]) {
    super(`${message} (at ${path})`);
    this.name = "NoRouteError";
    this.path = path;
    this.attempts = attempts;
  }
}

export async function routeRequest<T>(
  root: RouteNode,
  request: RouteRequest,
  execute: Execute<T>,
  deps: RouterDeps<T>,
  limits: RouteLimits = DEFAULT_LIMITS,
): Promise<RouteResult<T>> {
  const ctx: ConditionContext = {
    metadata: request.metadata,
    params: request.params,
    url: { pathname: request.pathname },
  };
  const attempts: AttemptRecord[] = [];
  const max = Math.max(1, limits.maxAttempts);
  // A retry waits on deps.sleep first (leaf-attempt.ts), so refusing the sleep once the budget is
  // spent ends the leaf's retries with its last answer, exactly as a client leaving mid-backoff does.
  const capped: RouterDeps<T> = {
    ...deps,
    sleep: (ms, signal) => (attempts.length >= max ? Promise.reject(ATTEMPT_CAP_REACHED) : deps.sleep(ms, signal)),
  };
  const result = await routeNode(root, ctx, execute, capped, { attempts, max });
  return { outcome: result.outcome, leaf: result.leaf, attempts, retryCount: result.retries };
}

/** The request's tries so far and how many it may make. */
interface Budget {
  attempts: AttemptRecord[];
  max: number;
}

function routeNode<T>(
  node: RouteNode,
  ctx: ConditionContext,
  execute: Execute<T>,
  deps: RouterDeps<T>,
  budget: Budget,
): Promise<LeafResult<T>> {
  if (node.kind === "leaf") return runLeaf(node.leaf, execute, deps, budget.attempts);
  const { strategy, children } = node;
  switch (strategy.mode) {
    case "single":
      return routeNode(children[0]!, ctx, execute, deps, budget);
    case "fallback":
      return routeFallback(strategy, children, ctx, execute, deps, budget);
    case "loadbalance": {
      const index = pickLoadbalance({
        weights: children.map((child) => child.weight),
        available: children.map((child) => isAvailable(child, deps.breakers)),
        rng: deps.rng,
        stickyValue: stickyValueOf(strategy.stickyKey, ctx),
      });
      // Validation refuses a loadbalance without a positive weight; a hand-built tree could still have one.
      if (index < 0) throw new Error(`loadbalance at ${node.path} has no target with weight > 0`);
      return routeNode(children[index]!, ctx, execute, deps, budget);
    }
    case "conditional": {
      const choice = pickConditional(strategy, ctx);
      if (!choice.ok) throw new NoRouteError(node.path, choice.message, budget.attempts);
      return routeNode(children[choice.index]!, ctx, execute, deps, budget);
    }
  }
}

async function routeFallback<T>(
  strategy: ResolvedStrategy,
  children: readonly RouteNode[],
  ctx: ConditionContext,
  execute: Execute<T>,
  deps: RouterDeps<T>,
  budget: Budget,
): Promise<LeafResult<T>> {
  // The latest answer an upstream actually gave: preferred over a never-sent circuit_open 503
  // when the last child was skipped, because it says what really went wrong.
  let lastSent: LeafResult<T> | null = null;
  let result: LeafResult<T> | null = null;
  for (const child of children) {
    if (result && deps.signal.aborted) break; // the client left (e.g. during a backoff): try nothing more
    if (result && budget.attempts.length >= budget.max) break; // the attempt budget is spent
    result = await routeNode(child, ctx, execute, deps, budget);
    if (result.outcome.kind === "failure" && result.outcome.errorType === "aborted") return result;
    if (result.skipped) continue;
    if (lastSent?.outcome.kind === "response") deps.discard?.(lastSent.outcome.value);
    lastSent = result;
    if (!movesOn(strategy, result.outcome)) return result;
  }
  return lastSent ?? result!;
}

function movesOn<T>(strategy: ResolvedStrategy, outcome: RouteOutcome<T>): boolean {
  if (outcome.kind === "failure" && outcome.errorType === "network_error") return true;
  if (strategy.onStatusCodes === null) return !isSuccess(outcome.status);
  return strategy.onStatusCodes.includes(outcome.status);
}

// Leaves under each node, computed once per resolved tree (trees are immutable and may be cached).
const leavesCache = new WeakMap<RouteNode, readonly ResolvedLeaf[]>();

/** A child is worth picking when at least one leaf under it would be let through now. */
function isAvailable(node: RouteNode, breakers: CircuitBreakers): boolean {
  let leaves = leavesCache.get(node);
  if (!leaves) {
    leaves = leavesOf(node);
    leavesCache.set(node, leaves);
  }
  return leaves.some((leaf) => breakers.isAvailable(leaf.breakerKey));
}

/** setTimeout as a promise that rejects when signal aborts: the production Sleep. */
export const realSleep: Sleep = (ms, signal) => delay(ms, undefined, signal ? { signal } : {});

/** Production dependencies around the two that are per-process (breakers) and per-request (signal). */
export function productionRouterDeps<T>(
  breakers: CircuitBreakers,
  signal: AbortSignal,
  extra: Pick<RouterDeps<T>, "backoff" | "discard" | "isFault"> = {},
): RouterDeps<T> {
  return { breakers, rng: Math.random, sleep: realSleep, now: Date.now, signal, ...extra };
}
