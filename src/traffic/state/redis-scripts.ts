/**
 * Lua scripts of the Redis traffic state. Redis runs a script whole, without interleaving other
 * commands, so a prediction's record and its group counts, and a feedback event's dedup and its
 * counts, are applied all-or-nothing even with several replicas writing at once.
 *
 * A prediction hash keeps the names of its group hashes (`~gv`, `~ga`), so ADD_FEEDBACK finds the
 * groups without the caller reading the prediction first. Keys reached that way are not declared
 * in KEYS: these scripts suit a single Redis (or a primary with replicas), not Redis Cluster.
 *
 * Group hash fields: `predictions`, and per event type t: `events:t`, `units:t`, `sum:t`, `sumsq:t`.
 */

/**
 * KEYS: prediction, version group, version members, [arm group, arm members].
 * ARGV: ttlMs, version, arm, then the prediction's field/value pairs.
 * A prediction id that exists already is left alone (returns 0), so a retried record counts once.
 */
export const RECORD_PREDICTION = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('HINCRBY', KEYS[2], 'predictions', 1)
redis.call('SADD', KEYS[3], ARGV[2])
if #KEYS == 5 then
  redis.call('HINCRBY', KEYS[4], 'predictions', 1)
  redis.call('SADD', KEYS[5], ARGV[3])
end
return 1`;

/**
 * KEYS: prediction, event identity. ARGV: type, value ('0' when absent), the store's ttlMs.
 * The identity key lives as long as the prediction, so a late duplicate is still caught and the
 * key never outlives what it guards. The per-prediction total of the type moves old → new, and
 * each group's sumsq by new² − old², so sumsq stays the sum of squared per-prediction totals.
 */
export const ADD_FEEDBACK = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 'unknown_prediction' end
if ttl == -1 then ttl = tonumber(ARGV[3]) end
if ttl < 1 then ttl = 1 end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ttl) then return 'duplicate' end
local t = ARGV[1]
local field = 'total:' .. t
local old = redis.call('HGET', KEYS[1], field)
local oldTotal = tonumber(old or '0')
local newTotal = tonumber(redis.call('HINCRBYFLOAT', KEYS[1], field, ARGV[2]))
local sumSqDelta = string.format('%.17g', newTotal * newTotal - oldTotal * oldTotal)
local groups = redis.call('HMGET', KEYS[1], '~gv', '~ga')
for i = 1, 2 do
  local g = groups[i]
  if g then
    redis.call('HINCRBY', g, 'events:' .. t, 1)
    if not old then redis.call('HINCRBY', g, 'units:' .. t, 1) end
    redis.call('HINCRBYFLOAT', g, 'sum:' .. t, ARGV[2])
    redis.call('HINCRBYFLOAT', g, 'sumsq:' .. t, sumSqDelta)
  end
end
return 'counted'`;

/** KEYS: rollout hash. ARGV: state JSON, expected revision (0 = must not exist). Returns 1 or 0. */
export const PUT_ROLLOUT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
if current ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'revision', tostring(current + 1))
return 1`;
