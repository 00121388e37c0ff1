import { Redis } from "ioredis";
import type { LimitStore, ReserveItem, ReserveResult, SettleItem } from "./limit-store.ts";

/**
 * Counters in Redis, shared by every replica. Each counter is a hash {used, reserved} plus a
 * sorted set of its open reservations (member `<id>:<amount>`, score = when it expires). Every
 * operation is one Lua script — atomic in Redis and one round trip: reserve purges expired
 * reservations (a request whose process died), checks every item and only then adds to all.
 */
const RESERVE = `
local now = tonumber(ARGV[1])
local id = ARGV[2]
local expires = ARGV[3]
-- The last two keys: the "seeded" marker (missing: Redis lost the counters since the last rebuild)
-- and when that loss was first seen (the rebuild adds the event log's usage from before it).
local lost = redis.call('EXISTS', KEYS[#KEYS - 1]) == 0 and 1 or 0
if lost == 1 then redis.call('SET', KEYS[#KEYS], ARGV[1], 'NX') end
local n = (#KEYS - 2) / 2
local totals = {}
for i = 1, n do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local stale = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  if #stale > 0 then
    local sum = 0
    for _, m in ipairs(stale) do sum = sum + tonumber(string.match(m, ':(%d+)$')) end
    redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
    redis.call('HINCRBY', h, 'reserved', string.format('%d', -sum))
  end
  local v = redis.call('HMGET', h, 'used', 'reserved')
  local total = (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0)
  local base = 4 + (i - 1) * 4
  if total + tonumber(ARGV[base]) > tonumber(ARGV[base + 1]) then return {0, i - 1, total, lost} end
  totals[i] = total
end
for i = 1, n do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local base = 4 + (i - 1) * 4
  local ttl = tonumber(ARGV[base + 2])
  -- A counter made while nothing was lost holds its whole history; one made after a loss waits for the rebuild.
  if lost == 0 then redis.call('HSETNX', h, 'seeded', '1') end
  if ARGV[base + 3] == '1' then
    -- A final amount (one request) goes straight to used: nothing to settle.
    redis.call('HINCRBY', h, 'used', ARGV[base])
    if ttl > 0 then redis.call('PEXPIRE', h, ttl) end
  else
    redis.call('HINCRBY', h, 'reserved', ARGV[base])
    redis.call('ZADD', z, expires, id .. ':' .. ARGV[base])
    if ttl > 0 then
      redis.call('PEXPIRE', h, ttl)
      redis.call('PEXPIRE', z, ttl)
    end
  end
end
return {1, lost, unpack(totals)}
`;

// Settles many reservations at once (every settlement queued in one turn of the event loop).
const SETTLE = `
local out = {}
for i = 1, #KEYS / 2 do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local base = 1 + (i - 1) * 4
  if redis.call('ZREM', z, ARGV[base] .. ':' .. ARGV[base + 1]) == 1 and ARGV[base + 1] ~= '0' then
    redis.call('HINCRBY', h, 'reserved', '-' .. ARGV[base + 1])
  end
  out[i] = redis.call('HINCRBY', h, 'used', ARGV[base + 2])
  local ttl = tonumber(ARGV[base + 3])
  if ttl > 0 and redis.call('PTTL', h) < 0 then redis.call('PEXPIRE', h, ttl) end
end
return out
`;

const SEED = `
for i = 1, #KEYS do
  if redis.call('HGET', KEYS[i], 'seeded') ~= '1' then
    redis.call('HINCRBY', KEYS[i], 'used', ARGV[2 * i - 1])
    redis.call('HSET', KEYS[i], 'seeded', '1')
    local ttl = tonumber(ARGV[2 * i])
    if ttl > 0 and redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ttl) end
  end
end
return 0
`;

interface LimitCommands {
  limitsReserve(...args: Array<string | number>): Promise<number[]>;
  limitsSettle(...args: Array<string | number>): Promise<number[]>;
  limitsSeed(...args: Array<string | number>): Promise<number>;
}

export interface RedisLimitStoreOptions {
  url: string;
  /** Prepended to every key (tests give each run its own). */
  keyPrefix: string;
  /** A reservation not settled within this long is released by the next reserve on its counter. */
  reservationTtlMs: number;
  /** A command not answered within this long fails (the fail mode then decides). */
  commandTimeoutMs: number;
}

export class RedisLimitStore implements LimitStore {
  readonly kind = "redis";
  private readonly redis: Redis & LimitCommands;
  private readonly prefix: string;
  private readonly reservationTtlMs: number;
  private readonly marker: string;
  private pending: Array<{
    id: string;
    items: readonly SettleItem[];
    resolve: (used: number[]) => void;
    reject: (error: unknown) => void;
  }> = [];
  private readonly lostAtKey: string;

  constructor(options: RedisLimitStoreOptions) {
    this.prefix = options.keyPrefix;
    this.reservationTtlMs = options.reservationTtlMs;
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
    redis.defineCommand("limitsSettle", { lua: SETTLE });
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
    const args: Array<string | number> = [items.length * 2 + 2];
    for (const item of items) args.push(this.prefix + item.key, `${this.prefix + item.key}:r`);
    args.push(this.marker, this.lostAtKey, now, id, now + this.reservationTtlMs);
    for (const item of items) args.push(item.amount, item.limit, item.ttlMs, item.final === true ? 1 : 0);
    const [ok, second, ...rest] = await this.redis.limitsReserve(...args);
    if (ok === 1) return { ok: true, totals: rest, lost: second === 1 };
    return { ok: false, failed: second ?? 0, total: rest[0] ?? 0, lost: rest[1] === 1 };
  }

  /**
   * Settlements are off the hot path (the answer is written): those queued in one turn of the event
   * loop go to Redis as one script call, so under load a settlement costs a fraction of a round trip.
   */
  settle(id: string, items: readonly SettleItem[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ id, items, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flushSettlements());
    });
  }

  private flushSettlements(): void {
    const batch = this.pending;
    this.pending = [];
    const keys: string[] = [];
    const argv: Array<string | number> = [];
    for (const { id, items } of batch) {
      for (const item of items) {
        keys.push(this.prefix + item.key, `${this.prefix + item.key}:r`);
        argv.push(id, item.reserved, item.actual, item.ttlMs);
      }
    }
    this.redis.limitsSettle(keys.length, ...keys, ...argv).then(
      (used) => {
        let at = 0;
        for (const s of batch) {
          s.resolve(used.slice(at, at + s.items.length));
          at += s.items.length;
        }
      },
      (error: unknown) => {
        for (const s of batch) s.reject(error);
      },
    );
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

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
