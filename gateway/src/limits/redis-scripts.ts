/**
 * The Lua scripts of RedisLimitStore. Each counter is a hash {used, reserved, seeded} plus a sorted
 * set of its open reservations (member `<id>:<amount>`, score = when it expires). A script is atomic
 * in Redis and one round trip.
 *
 * RESERVE carries two things in one call: the settlements queued since the last call (applied first,
 * so the capacity they release is already free for this reservation), then the reservation itself —
 * it purges expired reservations (a request whose process died), checks every item and only then
 * adds to all. With no reservation items it is the idle flush of settlements.
 *
 * KEYS: hash and set of each reserved counter (2n), the "seeded" marker, the `lost_at` key, then hash
 * and set of each settled counter (2m).
 * ARGV: now, reservation id, its expiry, n, then per reserved item amount, limit, ttl, final (4n),
 * then per settlement reservation id, reserved, actual, ttl (4m).
 * Returns {ok, lost, failed index, failed total, used after each settlement (m)..., totals (n)...}.
 */
export const RESERVE = `
local now = tonumber(ARGV[1])
local id = ARGV[2]
local expires = ARGV[3]
local n = tonumber(ARGV[4])
local m = (#KEYS - 2 - 2 * n) / 2
local marker, lostAt = KEYS[2 * n + 1], KEYS[2 * n + 2]
-- The "seeded" marker missing: Redis lost the counters since the last rebuild; record when first seen
-- (the rebuild adds the event log's usage from before it).
local lost = redis.call('EXISTS', marker) == 0 and 1 or 0
if lost == 1 then redis.call('SET', lostAt, ARGV[1], 'NX') end
local out = {1, lost, -1, 0}
for j = 1, m do
  local h, z = KEYS[2 * n + 2 + 2 * j - 1], KEYS[2 * n + 2 + 2 * j]
  local base = 4 + 4 * n + (j - 1) * 4 + 1
  if redis.call('ZREM', z, ARGV[base] .. ':' .. ARGV[base + 1]) == 1 and ARGV[base + 1] ~= '0' then
    redis.call('HINCRBY', h, 'reserved', '-' .. ARGV[base + 1])
  end
  out[4 + j] = redis.call('HINCRBY', h, 'used', ARGV[base + 2])
  local ttl = tonumber(ARGV[base + 3])
  if ttl > 0 and redis.call('PTTL', h) < 0 then redis.call('PEXPIRE', h, ttl) end
end
local totals = {}
for i = 1, n do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local stale = redis.call('ZRANGEBYSCORE', z, '-inf', now)
  if #stale > 0 then
    local sum = 0
    for _, member in ipairs(stale) do sum = sum + tonumber(string.match(member, ':(%d+)$')) end
    redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
    redis.call('HINCRBY', h, 'reserved', string.format('%d', -sum))
  end
  local v = redis.call('HMGET', h, 'used', 'reserved')
  local total = (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0)
  local base = 5 + (i - 1) * 4
  if total + tonumber(ARGV[base]) > tonumber(ARGV[base + 1]) then
    out[1], out[3], out[4] = 0, i - 1, total
    return out
  end
  totals[i] = total
end
for i = 1, n do
  local h, z = KEYS[2 * i - 1], KEYS[2 * i]
  local base = 5 + (i - 1) * 4
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
for i = 1, n do out[4 + m + i] = totals[i] end
return out
`;

/** Seeds counters not seeded yet (absent, or made after a loss) with the event log's usage, once. */
export const SEED = `
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
