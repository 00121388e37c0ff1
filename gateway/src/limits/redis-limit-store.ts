import { Redis } from "ioredis";
import type { LimitStore, ReserveItem, ReserveResult, SettleItem } from "./limit-store.ts";
import { RESERVE, SEED } from "./redis-scripts.ts";

interface LimitCommands {
  limitsReserve(...args: Array<string | number>): Promise<number[]>;
  limitsSeed(...args: Array<string | number>): Promise<number>;
}

interface PendingSettlement {
  id: string;
  items: readonly SettleItem[];
  resolve: (used: number[]) => void;
  reject: (error: unknown) => void;
}

/** Past this many queued settlement items they go at once, in a call of their own. */
const MAX_CARRIED = 256;

export interface RedisLimitStoreOptions {
  url: string;
  /** Prepended to every key (tests give each run its own). */
  keyPrefix: string;
  /** A reservation not settled within this long is released by the next reserve on its counter. */
  reservationTtlMs: number;
  /** A command not answered within this long fails (the fail mode then decides). */
  commandTimeoutMs: number;
  /**
   * Settlements wait at most this long for the next reservation to carry them; when none comes (an
   * idle gateway) they go on their own. Also the most a crash can lose (limits/README.md).
   */
  settleDelayMs: number;
}

/**
 * Counters in Redis, shared by every replica (the scripts: redis-scripts.ts). The hot path is one
 * round trip per request: the reservation's script also carries the settlements queued since the
 * previous one (answers already written), so under load a settlement costs no call of its own; a
 * timer sends what is left when no request comes, and close() sends the rest.
 */
export class RedisLimitStore implements LimitStore {
  readonly kind = "redis";
  private readonly redis: Redis & LimitCommands;
  private readonly prefix: string;
  private readonly reservationTtlMs: number;
  private readonly marker: string;
  private readonly settleDelayMs: number;
  private pending: PendingSettlement[] = [];
  private pendingItems = 0;
  private idle: NodeJS.Timeout | null = null;
  private readonly lostAtKey: string;

  constructor(options: RedisLimitStoreOptions) {
    this.prefix = options.keyPrefix;
    this.reservationTtlMs = options.reservationTtlMs;
    this.settleDelayMs = options.settleDelayMs;
    this.marker = `${options.keyPrefix}seeded`;
    this.lostAtKey = `${options.keyPrefix}lost_at`;
    const redis = new Redis(options.url, {
      // Fail fast while disconnected (the fail mode answers) instead of queueing requests behind it.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      retryStrategy: (times) => Math.min(times * 100, 1000),
      lazyConnect: false,
    });
    // Connection errors are reported through the failing commands; this keeps them off stderr.
    redis.on("error", () => undefined);
    redis.defineCommand("limitsReserve", { lua: RESERVE });
    redis.defineCommand("limitsSeed", { lua: SEED });
    this.redis = redis as Redis & LimitCommands;
  }

  /** Resolves once connected (or rejects after `timeoutMs`): start-up waits, requests never do. */
  async ready(timeoutMs: number): Promise<void> {
    if (this.redis.status === "ready") return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms`)), timeoutMs);
      this.redis.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async reserve(id: string, items: readonly ReserveItem[], now: number): Promise<ReserveResult> {
    const carried = this.takePending();
    const args: Array<string | number> = [items.length * 2 + 2 + carried.keys.length];
    for (const item of items) args.push(this.prefix + item.key, `${this.prefix + item.key}:r`);
    args.push(this.marker, this.lostAtKey);
    for (const key of carried.keys) args.push(key);
    args.push(now, id, now + this.reservationTtlMs, items.length);
    for (const item of items) args.push(item.amount, item.limit, item.ttlMs, item.final === true ? 1 : 0);
    for (const arg of carried.argv) args.push(arg);
    let reply: number[];
    try {
      reply = await this.redis.limitsReserve(...args);
    } catch (error) {
      for (const s of carried.batch) s.reject(error);
      throw error;
    }
    const [ok, lost, failed, total] = reply;
    const settled = reply.slice(4, 4 + carried.items);
    let at = 0;
    for (const s of carried.batch) {
      s.resolve(settled.slice(at, at + s.items.length));
      at += s.items.length;
    }
    if (ok === 1) return { ok: true, totals: reply.slice(4 + carried.items), lost: lost === 1 };
    return { ok: false, failed: failed ?? 0, total: total ?? 0, lost: lost === 1 };
  }

  /**
   * Settlements are off the hot path (the answer is written): queued until the next reservation
   * carries them, or the idle timer / a full queue sends them alone.
   */
  settle(id: string, items: readonly SettleItem[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, items, resolve, reject });
      this.pendingItems += items.length;
      if (this.pendingItems >= MAX_CARRIED) void this.flush();
      else if (this.idle === null) {
        this.idle = setTimeout(() => void this.flush(), this.settleDelayMs);
        this.idle.unref();
      }
    });
  }

  /** Sends the queued settlements alone (a reservation script with no reservation). */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    await this.reserve("", [], Date.now()).catch(() => undefined);
  }

  private takePending(): { batch: PendingSettlement[]; items: number; keys: string[]; argv: Array<string | number> } {
    if (this.idle !== null) {
      clearTimeout(this.idle);
      this.idle = null;
    }
    const batch = this.pending;
    const items = this.pendingItems;
    this.pending = [];
    this.pendingItems = 0;
    const keys: string[] = [];
    const argv: Array<string | number> = [];
    for (const { id, items } of batch) {
      for (const item of items) {
        keys.push(this.prefix + item.key, `${this.prefix + item.key}:r`);
        argv.push(id, item.reserved, item.actual, item.ttlMs);
      }
    }
    return { batch, items, keys, argv };
  }

  async read(keys: readonly string[]): Promise<number[]> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hmget(this.prefix + key, "used", "reserved");
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) throw error;
      const [used, reserved] = value as [string | null, string | null];
      return Number(used ?? 0) + Number(reserved ?? 0);
    });
  }

  async seed(entries: ReadonlyArray<{ key: string; used: number; ttlMs: number }>): Promise<void> {
    if (entries.length === 0) return;
    const args: Array<string | number> = [entries.length];
    for (const e of entries) args.push(this.prefix + e.key);
    for (const e of entries) args.push(e.used, e.ttlMs);
    await this.redis.limitsSeed(...args);
  }

  async markSeeded(): Promise<void> {
    await this.redis.multi().set(this.marker, new Date().toISOString()).del(this.lostAtKey).exec();
  }

  async lostAt(): Promise<number | null> {
    const at = await this.redis.get(this.lostAtKey);
    return at === null ? null : Number(at);
  }

  async scan(prefix: string, max: number): Promise<Array<{ key: string; total: number }>> {
    const keys: string[] = [];
    let cursor = "0";
    const pattern = `${escapeGlob(this.prefix + prefix)}*`;
    do {
      const [next, batch] = await this.redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      for (const key of batch) if (!key.endsWith(":r") && keys.length < max) keys.push(key.slice(this.prefix.length));
    } while (cursor !== "0" && keys.length < max);
    const totals = await this.read(keys);
    return keys.map((key, i) => ({ key, total: totals[i]! }));
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    const full = `${this.prefix}claim:${key}`;
    const set = ttlMs > 0 ? await this.redis.set(full, "1", "PX", ttlMs, "NX") : await this.redis.set(full, "1", "NX");
    return set === "OK";
  }

  /** Sends the settlements still queued (a shutdown loses none), then disconnects. */
  async close(): Promise<void> {
    await this.flush();
    this.redis.disconnect();
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
