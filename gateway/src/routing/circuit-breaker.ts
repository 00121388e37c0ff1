/**
 * Circuit breakers, one per upstream identity (ResolvedLeaf.breakerKey), so a dead provider is
 * skipped instead of being retried on every request.
 *
 *   closed ──(N consecutive failures, or failure rate ≥ r over ≥ V calls in the window)──► open
 *   open ──(cooldown elapsed; the next caller takes the one probe)──► half_open
 *   half_open ──probe succeeds──► closed        half_open ──probe fails──► open (cooldown again)
 *
 * Results of calls that started under an earlier state are ignored (each permit carries the
 * generation it was granted in): a slow success from before the trip must not close a breaker
 * that has since opened, and only the probe decides a half-open breaker.
 */

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerOptions {
  /** Consecutive failures that open a closed breaker. */
  consecutiveFailures: number;
  /** Rolling window for the failure-rate rule, in ms. */
  windowMs: number;
  /** Calls the window must hold before the failure rate is judged. */
  minimumVolume: number;
  /** Failure share (0..1] over the window that opens the breaker. */
  failureRate: number;
  /** How long an open breaker refuses calls before letting a probe through. */
  cooldownMs: number;
  /** A probe that never reports (its caller vanished) frees the slot after this long. */
  probeTimeoutMs: number;
  /** Buckets the window is kept in: memory per breaker is fixed, the window slides per bucket. */
  buckets: number;
  /** Breakers remembered at most; the least recently used is forgotten beyond it. */
  maxEntries: number;
  /** Which statuses count against the upstream. Thrown network errors arrive as 502, timeouts as 408. */
  isFailure: (status: number) => boolean;
}

export const DEFAULT_BREAKER_OPTIONS: BreakerOptions = {
  consecutiveFailures: 5,
  windowMs: 30_000,
  minimumVolume: 20,
  failureRate: 0.5,
  cooldownMs: 30_000,
  probeTimeoutMs: 30_000,
  buckets: 10,
  maxEntries: 10_000,
  // 4xx other than 408/429 are the caller's fault: the upstream answered, so it is healthy.
  isFailure: (status) => status >= 500 || status === 429 || status === 408,
};

/** Leave to make one call. Report its status, or release it when the call was abandoned (client gone). */
export interface BreakerPermit {
  readonly probe: boolean;
  report(status: number): void;
  release(): void;
}

interface Bucket {
  epoch: number;
  calls: number;
  failures: number;
}

interface Breaker {
  state: BreakerState;
  generation: number;
  consecutiveFailures: number;
  buckets: Bucket[];
  openedAt: number;
  probeStartedAt: number | null;
}

export interface BreakerSnapshot {
  key: string;
  state: BreakerState;
  consecutiveFailures: number;
  windowCalls: number;
  windowFailures: number;
}

export class CircuitBreakers {
  readonly options: BreakerOptions;
  readonly #now: () => number;
  readonly #breakers = new Map<string, Breaker>();

  constructor(options: Partial<BreakerOptions> = {}, now: () => number = Date.now) {
    this.options = { ...DEFAULT_BREAKER_OPTIONS, ...options };
    this.#now = now;
  }

  /** State as of now: an open breaker whose cooldown is over reads half_open. */
  state(key: string): BreakerState {
    const breaker = this.#breakers.get(key);
    if (!breaker) return "closed";
    this.#advance(breaker);
    return breaker.state;
  }

  /** Would acquire() grant a permit now? Does not take the probe. */
  isAvailable(key: string): boolean {
    const breaker = this.#breakers.get(key);
    if (!breaker) return true;
    this.#advance(breaker);
    return breaker.state === "closed" || (breaker.state === "half_open" && !this.#probeBusy(breaker));
  }

  /** A permit to call the upstream, or null while its circuit is open (or its one probe is out). */
  acquire(key: string): BreakerPermit | null {
    const breaker = this.#touch(key);
    this.#advance(breaker);
    if (breaker.state === "closed") return this.#permit(breaker, false);
    if (breaker.state === "open" || this.#probeBusy(breaker)) return null;
    breaker.probeStartedAt = this.#now();
    return this.#permit(breaker, true);
  }

  snapshot(): BreakerSnapshot[] {
    return [...this.#breakers].map(([key, breaker]) => {
      this.#advance(breaker);
      const window = this.#window(breaker);
      return {
        key,
        state: breaker.state,
        consecutiveFailures: breaker.consecutiveFailures,
        windowCalls: window.calls,
        windowFailures: window.failures,
      };
    });
  }

  #permit(breaker: Breaker, probe: boolean): BreakerPermit {
    const generation = breaker.generation;
    let settled = false;
    return {
      probe,
      report: (status) => {
        if (settled) return;
        settled = true;
        if (breaker.generation === generation) this.#record(breaker, this.options.isFailure(status));
      },
      release: () => {
        if (settled) return;
        settled = true;
        if (probe && breaker.generation === generation) breaker.probeStartedAt = null;
      },
    };
  }

  #record(breaker: Breaker, failed: boolean): void {
    if (breaker.state === "half_open") {
      if (failed) this.#transition(breaker, "open");
      else this.#transition(breaker, "closed");
      return;
    }
    if (breaker.state !== "closed") return;
    const bucket = this.#currentBucket(breaker);
    bucket.calls++;
    if (!failed) {
      breaker.consecutiveFailures = 0;
      return;
    }
    bucket.failures++;
    breaker.consecutiveFailures++;
    const window = this.#window(breaker);
    const o = this.options;
    const rateTripped = window.calls >= o.minimumVolume && window.failures / window.calls >= o.failureRate;
    if (breaker.consecutiveFailures >= o.consecutiveFailures || rateTripped) this.#transition(breaker, "open");
  }

  #transition(breaker: Breaker, state: BreakerState): void {
    breaker.state = state;
    breaker.generation++;
    breaker.probeStartedAt = null;
    if (state === "open") breaker.openedAt = this.#now();
    if (state === "closed") {
      // A recovered upstream starts with a clean record; its old failures are history.
      breaker.consecutiveFailures = 0;
      for (const bucket of breaker.buckets) bucket.epoch = -1;
    }
  }

  #advance(breaker: Breaker): void {
    if (breaker.state === "open" && this.#now() - breaker.openedAt >= this.options.cooldownMs) {
      this.#transition(breaker, "half_open");
    }
  }

  #probeBusy(breaker: Breaker): boolean {
    return breaker.probeStartedAt !== null && this.#now() - breaker.probeStartedAt < this.options.probeTimeoutMs;
  }

  #bucketMs(): number {
    return Math.max(1, this.options.windowMs / this.options.buckets);
  }

  #currentBucket(breaker: Breaker): Bucket {
    const epoch = Math.floor(this.#now() / this.#bucketMs());
    const bucket = breaker.buckets[epoch % breaker.buckets.length]!;
    if (bucket.epoch !== epoch) {
      bucket.epoch = epoch;
      bucket.calls = 0;
      bucket.failures = 0;
    }
    return bucket;
  }

  #window(breaker: Breaker): { calls: number; failures: number } {
    const current = Math.floor(this.#now() / this.#bucketMs());
    let calls = 0;
    let failures = 0;
    for (const bucket of breaker.buckets) {
      if (bucket.epoch > current - breaker.buckets.length && bucket.epoch <= current) {
        calls += bucket.calls;
        failures += bucket.failures;
      }
    }
    return { calls, failures };
  }

  /** The breaker for key, created closed if new, moved to most-recently-used for eviction. */
  #touch(key: string): Breaker {
    let breaker = this.#breakers.get(key);
    if (breaker) {
      this.#breakers.delete(key);
    } else {
      breaker = {
        state: "closed",
        generation: 0,
        consecutiveFailures: 0,
        buckets: Array.from({ length: Math.max(1, this.options.buckets) }, () => ({
          epoch: -1,
          calls: 0,
          failures: 0,
        })),
        openedAt: 0,
        probeStartedAt: null,
      };
    }
    this.#breakers.set(key, breaker);
    if (this.#breakers.size > this.options.maxEntries) {
      const oldest = this.#breakers.keys().next().value;
      if (oldest !== undefined) this.#breakers.delete(oldest);
    }
    return breaker;
  }
}
