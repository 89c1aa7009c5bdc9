//! The Lua scripts of the Redis session store: each multi-key step (add within the
//! user's cap, lock and read, write back and release) runs atomically in Redis.

/// Adds a session within its user's cap. KEYS: session, user set, deadlines. ARGV: id,
/// value, ttl ms, cap, deadline, session key prefix. Returns -1 when added, else the
/// open count. Members whose session expired are dropped from the user set first.
pub(super) const INSERT: &str = r"
local max = tonumber(ARGV[4])
if max > 0 then
  local open = 0
  for _, m in ipairs(redis.call('SMEMBERS', KEYS[2])) do
    if redis.call('EXISTS', ARGV[6] .. m) == 1 then open = open + 1
    else redis.call('SREM', KEYS[2], m) end
  end
  if open >= max then return open end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
return -1
";

/// Takes a session's lock and reads it. KEYS: session, lock, deadlines. ARGV: token,
/// lease ms, id. Returns the value, 0 while another call holds the lock, nil when the
/// session is gone (its deadline is then dropped too).
pub(super) const LOCK: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('ZREM', KEYS[3], ARGV[3])
  return false
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return v end
return 0
";

/// Writes a session back and releases its lock, only while the lock is still ours.
/// KEYS: session, lock, deadlines, user set. ARGV: token, value, ttl ms, deadline ('' =
/// closed), id. Returns 1 when written, 0 when the lock was lost.
pub(super) const COMMIT: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[4] == '' then
  redis.call('ZREM', KEYS[3], ARGV[5])
  redis.call('SREM', KEYS[4], ARGV[5])
else
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
end
redis.call('DEL', KEYS[2])
return 1
";
