/**
 * Where counters live: in this process (MemoryLimitStore) or in Redis shared by every replica
 * (RedisLimitStore). Amounts are integers (requests, tokens, nano-USD). A reservation is
 * all-or-nothing: either every item fits (used + reserved + amount ≤ limit) and all are reserved,
 * or none is. Settling moves a reservation's amount out of `reserved` and the actual amount into
 * `used`.
 */
export interface ReserveItem {
  key: string;
  amount: number;
  limit: number;
  /** How long the counter must outlive now (its window's end plus slack); 0 = no expiry. */
  ttlMs: number;
  /** The amount is final (a request counts as one whatever happens): added to `used`, never settled. */
  final?: boolean;
}

export type ReserveResult =
  /** `totals[i]`: what item i's counter held (used + reserved) before this reservation. */
  | { ok: true; totals: number[]; lost?: boolean }
  /** The first item that did not fit and what its counter held. */
  | { ok: false; failed: number; total: number; lost?: boolean };
// `lost`: the store no longer holds what the last rebuild seeded (Redis restarted empty): rebuild.

export interface SettleItem {
  key: string;
  reserved: number;
  actual: number;
  ttlMs: number;
}

export interface LimitStore {
  readonly kind: "memory" | "redis";
  /** `id` names the reservation so a store can expire it if its request never settles. */
  reserve(id: string, items: readonly ReserveItem[], now: number): Promise<ReserveResult>;
  /** Returns each counter's `used` after settling. */
  settle(id: string, items: readonly SettleItem[]): Promise<number[]>;
  /** used + reserved of each counter (0 when absent). */
  read(keys: readonly string[]): Promise<number[]>;
  /**
   * A rebuild from the event log: adds `used` to each counter not seeded yet (absent, or made after
   * the store lost its counters), once — a counter that already holds its history is left alone.
   */
  seed(entries: ReadonlyArray<{ key: string; used: number; ttlMs: number }>): Promise<void>;
  /** Counters whose key starts with `prefix` (at most `max`), with used + reserved. */
  scan(prefix: string, max: number): Promise<Array<{ key: string; total: number }>>;
  /** true for the first caller per key until it expires (an alert once per period, across replicas). */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Sends what is queued (Redis: settlements waiting for a reservation to carry them). */
  flush(): Promise<void>;
  /** Records that a rebuild seeded the store (a reserve then reports `lost` once this is gone). */
  markSeeded(): Promise<void>;
  /** When the store was first seen to have lost its counters since the last rebuild (null: it has not). */
  lostAt(): Promise<number | null>;
  close(): Promise<void>;
}

interface Counter {
  used: number;
  reserved: number;
  /** ms since the epoch; Infinity = never. */
  expiresAt: number;
}

const SWEEP_EVERY = 1024;

/**
 * Counters in this process: a reservation is one synchronous pass, so no two requests interleave
 * inside it (JavaScript runs one at a time) — the check-and-add is atomic by construction. A
 * request's finisher always settles (the transport runs it once, whatever happened); a process
 * that dies loses its reservations with its memory, and the rebuild counts only settled events.
 */
export class MemoryLimitStore implements LimitStore {
  readonly kind = "memory";
  private readonly counters = new Map<string, Counter>();
  private readonly claims = new Map<string, number>();
  private sinceSweep = 0;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  reserve(_id: string, items: readonly ReserveItem[], now: number): Promise<ReserveResult> {
    return Promise.resolve(this.reserveNow(items, now));
  }

  /** The synchronous core (the fail-open fallback and the bench call it directly). */
  reserveNow(items: readonly ReserveItem[], now: number): ReserveResult {
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep(now);
    const totals: number[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const c = this.live(item.key, now);
      const total = c === undefined ? 0 : c.used + c.reserved;
      if (total + item.amount > item.limit) return { ok: false, failed: i, total };
      totals[i] = total;
    }
    for (const item of items) {
      const expiresAt = item.ttlMs > 0 ? now + item.ttlMs : Number.POSITIVE_INFINITY;
      const c = this.live(item.key, now);
      const [used, reserved] = item.final === true ? [item.amount, 0] : [0, item.amount];
      if (c === undefined) this.counters.set(item.key, { used, reserved, expiresAt });
      else {
        c.used += used;
        c.reserved += reserved;
        if (expiresAt > c.expiresAt) c.expiresAt = expiresAt;
      }
    }
    return { ok: true, totals };
  }

  settle(_id: string, items: readonly SettleItem[]): Promise<number[]> {
    return Promise.resolve(this.settleNow(items));
  }

  settleNow(items: readonly SettleItem[]): number[] {
    const now = this.now();
    return items.map((item) => {
      let c = this.live(item.key, now);
      if (c === undefined) {
        // The window ended while the request ran: its spend goes to a counter that expires with it.
        c = {
          used: 0,
          reserved: item.reserved,
          expiresAt: item.ttlMs > 0 ? now + item.ttlMs : Number.POSITIVE_INFINITY,
        };
        this.counters.set(item.key, c);
      }
      c.reserved = Math.max(0, c.reserved - item.reserved);
      c.used += item.actual;
      return c.used;
    });
  }

  read(keys: readonly string[]): Promise<number[]> {
    const now = this.now();
    return Promise.resolve(
      keys.map((key) => {
        const c = this.live(key, now);
        return c === undefined ? 0 : c.used + c.reserved;
      }),
    );
  }

  seed(entries: ReadonlyArray<{ key: string; used: number; ttlMs: number }>): Promise<void> {
    const now = this.now();
    // In memory a rebuild runs once, at start, before any request: only absent counters exist to seed.
    for (const e of entries) {
      if (this.live(e.key, now) !== undefined) continue;
      const expiresAt = e.ttlMs > 0 ? now + e.ttlMs : Number.POSITIVE_INFINITY;
      this.counters.set(e.key, { used: e.used, reserved: 0, expiresAt });
    }
    return Promise.resolve();
  }

  scan(prefix: string, max: number): Promise<Array<{ key: string; total: number }>> {
    const now = this.now();
    const out: Array<{ key: string; total: number }> = [];
    for (const [key, c] of this.counters) {
      if (out.length >= max) break;
      if (key.startsWith(prefix) && c.expiresAt > now) out.push({ key, total: c.used + c.reserved });
    }
    return Promise.resolve(out);
  }

  claimOnce(key: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    const until = this.claims.get(key);
    if (until !== undefined && until > now) return Promise.resolve(false);
    if (this.claims.size >= 100_000) for (const [k, t] of this.claims) if (t <= now) this.claims.delete(k);
    this.claims.set(key, ttlMs > 0 ? now + ttlMs : Number.POSITIVE_INFINITY);
    return Promise.resolve(true);
  }

  markSeeded(): Promise<void> {
    return Promise.resolve();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  lostAt(): Promise<number | null> {
    return Promise.resolve(null);
  }

  close(): Promise<void> {
    this.counters.clear();
    return Promise.resolve();
  }

  private live(key: string, now: number): Counter | undefined {
    const c = this.counters.get(key);
    if (c !== undefined && c.expiresAt <= now) {
      this.counters.delete(key);
      return undefined;
    }
    return c;
  }

  private sweep(now: number): void {
    this.sinceSweep = 0;
    for (const [key, c] of this.counters) if (c.expiresAt <= now) this.counters.delete(key);
  }
}
