import type { CircuitBreakers } from "./circuit-breaker.ts";
import type { ResolvedLeaf } from "./resolve-config.ts";
import { type BackoffOptions, retryDelay, shouldRetry } from "./retry.ts";
import type { Rng } from "./select.ts";

/**
 * One leaf's share of a request: its circuit breaker, its tries (first + retries with backoff)
 * and each try's request_timeout. The router above decides which leaves; this decides how often
 * and how long.
 */

/** What execute() hands back for one upstream call. */
export interface AttemptOutcome<T> {
  status: number;
  headers: Record<string, string>;
  value: T;
  /** For the attempt record; defaults to null for 2xx and "upstream_error" otherwise. */
  errorType?: string | null;
}

export type RouteFailureType = "timeout" | "network_error" | "circuit_open" | "aborted";

/** The final word on a request: an upstream response, or a failure the caller renders as an OpenAI-style error. */
export type RouteOutcome<T> =
  | ({ kind: "response" } & AttemptOutcome<T>)
  | {
      kind: "failure";
      /** 408 timeout, 502 network error, 503 circuit open, 499 client gone. */
      status: number;
      headers: Record<string, string>;
      errorType: RouteFailureType;
      message: string;
      /** The thrown error, for network failures. Not for clients: it may name internal hosts. */
      cause?: unknown;
    };

export interface AttemptRecord {
  path: string;
  provider: string | null;
  status: number;
  latencyMs: number;
  errorType: string | null;
  /** 0 for a leaf's first try, n for its n-th retry. */
  retry: number;
}

export type Execute<T> = (leaf: ResolvedLeaf, signal: AbortSignal) => Promise<AttemptOutcome<T>>;

/** Waits ms, rejecting when signal aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RouterDeps<T> {
  breakers: CircuitBreakers;
  rng: Rng;
  sleep: Sleep;
  /** Wall-clock epoch ms (Date.now): latency, breaker windows and HTTP-date Retry-After. */
  now: () => number;
  /** The client's request: aborting it stops routing and every attempt in flight. */
  signal: AbortSignal;
  backoff?: BackoffOptions;
  /** Called with a response value the router drops (retried or fallen back from), e.g. to free a body. */
  discard?: (value: T) => void;
  /**
   * A fault of the caller's own code thrown by `execute` (a bug, not an upstream failure): the router
   * stops and rethrows it — no retry, no fallback, nothing held against the target's breaker.
   */
  isFault?: (error: unknown) => boolean;
}

export interface LeafResult<T> {
  outcome: RouteOutcome<T>;
  leaf: ResolvedLeaf;
  retries: number;
  /** Never sent: the circuit was open before the first try. Fallback moves past it regardless of status. */
  skipped: boolean;
}

const TIMED_OUT = Symbol("timed out");

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

export async function runLeaf<T>(
  leaf: ResolvedLeaf,
  execute: Execute<T>,
  deps: RouterDeps<T>,
  attempts: AttemptRecord[],
): Promise<LeafResult<T>> {
  // The previous try's outcome: returned if the circuit opens between retries, freed once superseded.
  let last: RouteOutcome<T> | null = null;
  for (let retry = 0; ; retry++) {
    const permit = deps.breakers.acquire(leaf.breakerKey);
    if (!permit) {
      // Opened while we were retrying: stop, and let the last real answer stand.
      if (last) return { outcome: last, leaf, retries: retry - 1, skipped: false };
      attempts.push({
        path: leaf.path,
        provider: leaf.provider,
        status: 503,
        latencyMs: 0,
        errorType: "circuit_open",
        retry,
      });
      return { outcome: circuitOpen(leaf), leaf, retries: 0, skipped: true };
    }
    const started = deps.now();
    let outcome: RouteOutcome<T>;
    try {
      outcome = await attemptOnce(leaf, execute, deps);
    } catch (fault) {
      permit.release();
      if (last?.kind === "response") deps.discard?.(last.value);
      throw fault;
    }
    if (last?.kind === "response") deps.discard?.(last.value);
    last = outcome;
    const errorType = outcome.kind === "failure" ? outcome.errorType : (outcome.errorType ?? defaultErrorType(outcome));
    const latencyMs = deps.now() - started;
    attempts.push({ path: leaf.path, provider: leaf.provider, status: outcome.status, latencyMs, errorType, retry });
    const done = { outcome, leaf, retries: retry, skipped: false };
    if (outcome.kind === "failure" && outcome.errorType === "aborted") {
      permit.release(); // the client left; this says nothing about the upstream
      return done;
    }
    permit.report(outcome.status);
    if (isSuccess(outcome.status) || retry >= leaf.retry.attempts || !shouldRetry(leaf.retry, outcome.status)) {
      return done;
    }
    const decision = retryDelay(leaf.retry, retry, outcome.headers, { rng: deps.rng, nowMs: deps.now() }, deps.backoff);
    if (!decision.retry) return done; // the provider asked for a longer wait than we hold a client for
    try {
      await deps.sleep(decision.delayMs, deps.signal);
    } catch {
      return done; // the client left during the backoff
    }
  }
}

function defaultErrorType(outcome: { status: number }): string | null {
  return isSuccess(outcome.status) ? null : "upstream_error";
}

/** Reasons given to abort() explicitly: an abort without one constructs a DOMException (stack and all) per call. */
const TIMER_CANCELLED = new Error("request_timeout timer cancelled: the call finished first");
const TIMED_OUT_REASON = new Error("request_timeout");

/** One upstream call under the leaf's request_timeout, ended early if the client goes away. */
function attemptOnce<T>(leaf: ResolvedLeaf, execute: Execute<T>, deps: RouterDeps<T>): Promise<RouteOutcome<T>> {
  if (deps.signal.aborted) return Promise.resolve(aborted());
  // Not async: an async function returning attemptUntimed's promise would adopt it (a promise and two turns more).
  if (leaf.requestTimeoutMs === null) return attemptUntimed(leaf, execute, deps);
  return attemptTimed(leaf, execute, deps);
}

/** attemptOnce under a request_timeout: the call, the timer and the client's abort race. */
async function attemptTimed<T>(leaf: ResolvedLeaf, execute: Execute<T>, deps: RouterDeps<T>): Promise<RouteOutcome<T>> {
  const hasTimeout = leaf.requestTimeoutMs !== null;
  // Only a timed attempt needs its own signal. Linked, not copied: after a success the value
  // (e.g. a stream) keeps reading under this signal, so a client disconnect must still reach it.
  const timeout = hasTimeout ? new AbortController() : null;
  const signal = timeout ? AbortSignal.any([deps.signal, timeout.signal]) : deps.signal;
  let callResult: RouteOutcome<T> | undefined;
  const call: Promise<RouteOutcome<T>> = execute(leaf, signal).then(
    (outcome) => (callResult = { kind: "response", ...outcome }),
    (error: unknown) => {
      if (!deps.signal.aborted && deps.isFault?.(error)) throw error;
      callResult = deps.signal.aborted ? aborted() : networkError(leaf, error);
      return callResult;
    },
  );
  const timerCancel = hasTimeout ? new AbortController() : null;
  const clientGone = whenAborted<T>(deps.signal);
  const contenders: Promise<RouteOutcome<T> | typeof TIMED_OUT>[] = [call, clientGone.promise];
  if (timerCancel && leaf.requestTimeoutMs !== null) {
    contenders.push(
      deps.sleep(leaf.requestTimeoutMs, timerCancel.signal).then(
        () => TIMED_OUT,
        () => new Promise<never>(() => {}), // cancelled because the call won: never settles, never matters
      ),
    );
  }
  try {
    const winner = await Promise.race(contenders);
    if (winner === callResult) return winner;
    // The call lost (timeout or client gone) but may still complete; its value is ours to free.
    void call.then(
      (late) => {
        if (late.kind === "response") deps.discard?.(late.value);
      },
      () => undefined, // a fault after the timeout: nobody waits for this call any more
    );
    if (winner !== TIMED_OUT) return winner;
    timeout?.abort(TIMED_OUT_REASON);
    return {
      kind: "failure",
      status: 408,
      headers: {},
      errorType: "timeout",
      message: `the request to ${leaf.provider ?? "the provider"} exceeded request_timeout of ${leaf.requestTimeoutMs} ms`,
    };
  } finally {
    timerCancel?.abort(TIMER_CANCELLED);
    clientGone.dispose();
  }
}

/**
 * attemptOnce without a request_timeout (the common case), with the same outcome: the call's, or
 * aborted as soon as the client leaves (a late answer is then discarded, a late fault ignored). One
 * promise and one abort listener, where the timed path races three promises.
 */
function attemptUntimed<T>(leaf: ResolvedLeaf, execute: Execute<T>, deps: RouterDeps<T>): Promise<RouteOutcome<T>> {
  const signal = deps.signal;
  return new Promise<RouteOutcome<T>>((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      if (settled) return;
      settled = true;
      resolve(aborted());
    };
    // No {once}: an abort fires once, both ends remove it, and the options make it slower per attempt.
    signal.addEventListener("abort", onAbort);
    const answered = (outcome: AttemptOutcome<T>) => {
      signal.removeEventListener("abort", onAbort);
      if (settled) {
        deps.discard?.(outcome.value);
        return;
      }
      settled = true;
      resolve({ kind: "response", ...outcome });
    };
    const failed = (error: unknown) => {
      signal.removeEventListener("abort", onAbort);
      if (settled) return; // a fault after the client left: nobody waits for this call any more
      settled = true;
      if (!signal.aborted && deps.isFault?.(error)) reject(error);
      else resolve(signal.aborted ? aborted() : networkError(leaf, error));
    };
    try {
      execute(leaf, signal).then(answered, failed);
    } catch (error) {
      // Thrown before any promise (as the timed path's await would rethrow it): the caller's fault.
      signal.removeEventListener("abort", onAbort);
      settled = true;
      reject(error);
    }
  });
}

/** Resolves with an aborted outcome when signal aborts; dispose() unhooks it (the signal may outlive many attempts). */
function whenAborted<T>(signal: AbortSignal): { promise: Promise<RouteOutcome<T>>; dispose: () => void } {
  if (signal.aborted) return { promise: Promise.resolve(aborted()), dispose: () => {} };
  let onAbort = () => {};
  const promise = new Promise<RouteOutcome<T>>((resolve) => {
    onAbort = () => resolve(aborted());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener("abort", onAbort) };
}

function aborted<T>(): RouteOutcome<T> {
  return { kind: "failure", status: 499, headers: {}, errorType: "aborted", message: "the client closed the request" };
}

function networkError<T>(leaf: ResolvedLeaf, error: unknown): RouteOutcome<T> {
  // Only the error code reaches the message: the error's own text may name internal hosts.
  const code = typeof error === "object" && error !== null && "code" in error ? String(error.code) : null;
  const message = `could not reach ${leaf.provider ?? "the provider"}${code ? ` (${code})` : ""}`;
  return { kind: "failure", status: 502, headers: {}, errorType: "network_error", message, cause: error };
}

function circuitOpen<T>(leaf: ResolvedLeaf): RouteOutcome<T> {
  return {
    kind: "failure",
    status: 503,
    headers: {},
    errorType: "circuit_open",
    message: `${leaf.provider ?? "the target"} at ${leaf.path} is failing and its circuit is open; try again later`,
  };
}
