import { CircuitBreakers } from "./circuit-breaker.ts";
import { validateConfig } from "./config-schema.ts";
import type { AttemptOutcome, Execute, RouterDeps, Sleep } from "./leaf-attempt.ts";
import { type RequestDefaults, type ResolvedLeaf, type RouteNode, resolveConfig } from "./resolve-config.ts";
import type { Rng } from "./select.ts";

/** Test doubles for the routing tests: time that only moves when told, randomness with a seed. */

/** mulberry32: a tiny seeded PRNG, uniform enough for distribution tests and fully repeatable. */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

interface Timer {
  at: number;
  resolve: () => void;
}

/**
 * A clock for `now` and `sleep`. `instantSleep` completes at once and moves time forward (backoff
 * waits); `sleep` completes only when advance() reaches its deadline (timeouts, cooldowns).
 * Every requested duration is kept in `slept`.
 */
export class FakeClock {
  nowMs = Date.parse("2025-01-01T00:00:00Z");
  readonly slept: number[] = [];
  readonly #timers: Timer[] = [];

  now = (): number => this.nowMs;

  instantSleep: Sleep = async (ms, signal) => {
    signal?.throwIfAborted();
    this.slept.push(ms);
    this.nowMs += ms;
  };

  sleep: Sleep = (ms, signal) => {
    this.slept.push(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer: Timer = { at: this.nowMs + ms, resolve };
      this.#timers.push(timer);
      signal?.addEventListener("abort", () => {
        this.#timers.splice(this.#timers.indexOf(timer), 1);
        reject(signal.reason);
      });
    });
  };

  get pendingTimers(): number {
    return this.#timers.length;
  }

  advance(ms: number): void {
    this.nowMs += ms;
    for (const timer of [...this.#timers]) {
      if (timer.at <= this.nowMs) {
        this.#timers.splice(this.#timers.indexOf(timer), 1);
        timer.resolve();
      }
    }
  }
}

/** Validates and resolves a config written as a plain object; throws with the issues if invalid. */
export function routeTree(config: unknown, defaults?: RequestDefaults): RouteNode {
  const validation = validateConfig(config);
  if (!validation.ok) throw new Error(JSON.stringify(validation.issues));
  return resolveConfig(validation.config, defaults);
}

export function testDeps<T>(clock: FakeClock, overrides: Partial<RouterDeps<T>> = {}): RouterDeps<T> {
  return {
    breakers: new CircuitBreakers({}, clock.now),
    rng: seededRng(1),
    sleep: clock.instantSleep,
    now: clock.now,
    signal: new AbortController().signal,
    ...overrides,
  };
}

export function reply(status: number, value = `status ${status}`, headers: Record<string, string> = {}) {
  return { status, headers, value } satisfies AttemptOutcome<string>;
}

/**
 * One fake upstream per leaf (named by its api_key or virtual_key), each answering from its
 * script — a status, or an Error to throw — and repeating its last line. `calls` lists who was called.
 */
export function scriptedUpstreams(scripts: Record<string, (number | Error)[]>) {
  const calls: string[] = [];
  const execute: Execute<string> = async (leaf: ResolvedLeaf) => {
    const id = leaf.apiKey ?? leaf.virtualKey ?? "?";
    calls.push(id);
    const script = scripts[id]!;
    const next = script.length > 1 ? script.shift()! : script[0]!;
    if (next instanceof Error) throw next;
    return reply(next, `${id}:${next}`);
  };
  return { execute, calls };
}

/** A fallback config over openai leaves whose api_keys are `keys`. */
export function fallbackConfig(strategy: Record<string, unknown>, ...keys: string[]) {
  return {
    strategy: { mode: "fallback", ...strategy },
    targets: keys.map((key) => ({ provider: "openai", api_key: key })),
  };
}

/** Lets queued promise callbacks run (the router awaits a few hops per attempt). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
