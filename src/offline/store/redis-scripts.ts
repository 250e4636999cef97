/**
 * Lua scripts for the Redis store. Each runs atomically on the server, which is what makes a chunk
 * commit, a publish, a rollback and a lookup all-or-nothing. They build key names from a prefix
 * argument, so they suit a single Redis (or a primary with replicas), not Redis Cluster.
 */

/** KEYS: meta, runs index, sets index, seq. ARGV: set, runId, model, version, createdAt, default. */
export const BEGIN_RUN = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local seq = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], 'set', ARGV[1], 'runId', ARGV[2], 'model', ARGV[3], 'version', ARGV[4],
  'createdAt', ARGV[5], 'status', 'writing', 'rowCount', '0', 'rejectedCount', '0', 'defaultValue', ARGV[6], 'seq', seq)
redis.call('ZADD', KEYS[2], seq, ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1`;

/**
 * KEYS: meta, values, chunks. ARGV: chunkIndex, rows, rejected, then key, value pairs.
 * Returns 'missing' or 'closed' without writing anything when the run cannot take the chunk.
 */
export const WRITE_CHUNK = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 'missing' end
if status ~= 'writing' then return 'closed' end
for i = 4, #ARGV, 1000 do
  redis.call('HSET', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
local rows, rejected = 0, 0
for _, marker in ipairs(redis.call('HVALS', KEYS[3])) do
  local r, j = string.match(marker, '^(%d+):(%d+)$')
  rows = rows + tonumber(r)
  rejected = rejected + tonumber(j)
end
redis.call('HSET', KEYS[1], 'rowCount', rows, 'rejectedCount', rejected)
return 'ok'`;

/**
 * KEYS: pointers, meta of the run. ARGV: runId, publishedAt, forced (1|0), the status the caller
 * checked. Returns 'changed' when the status moved since the check (the caller checks again).
 */
export const PUBLISH = `
if redis.call('HGET', KEYS[2], 'status') ~= ARGV[4] then return 'changed' end
local cur = redis.call('HGET', KEYS[1], 'published')
if cur ~= ARGV[1] then
  redis.call('HSET', KEYS[1], 'published', ARGV[1])
  redis.call('HSET', KEYS[2], 'publishedAt', ARGV[2])
  if cur then
    redis.call('HSET', KEYS[1], 'previous', cur)
    redis.call('HSET', KEYS[2], 'previousRun', cur)
  else
    redis.call('HDEL', KEYS[1], 'previous')
    redis.call('HDEL', KEYS[2], 'previousRun')
  end
end
if ARGV[3] == '1' then redis.call('HSET', KEYS[2], 'forced', '1') end
return 'ok'`;

/** KEYS: pointers. ARGV: key prefix of the set's runs (`<prefix>:<set>:`), publishedAt. */
export const ROLLBACK = `
if not redis.call('HGET', KEYS[1], 'published') then return {'none'} end
local prev = redis.call('HGET', KEYS[1], 'previous')
if not prev then return {'noprev'} end
local meta = ARGV[1] .. prev .. ':meta'
if redis.call('EXISTS', meta) == 0 then return {'gone'} end
local before = redis.call('HGET', meta, 'previousRun')
redis.call('HSET', KEYS[1], 'published', prev)
if before and before ~= prev then redis.call('HSET', KEYS[1], 'previous', before) else redis.call('HDEL', KEYS[1], 'previous') end
redis.call('HSET', meta, 'publishedAt', ARGV[2])
return {'ok', prev}`;

/** KEYS: pointers. ARGV: key prefix of the set's runs, then the keys. Returns [runId, values…]. */
export const LOOKUP = `
local run = redis.call('HGET', KEYS[1], 'published')
if not run then return false end
local out = {run}
local values = ARGV[1] .. run
for i = 2, #ARGV, 1000 do
  for _, v in ipairs(redis.call('HMGET', values, unpack(ARGV, i, math.min(i + 999, #ARGV)))) do
    out[#out + 1] = v
  end
end
return out`;
