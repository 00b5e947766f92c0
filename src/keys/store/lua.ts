/**
 * The Redis store's two scripts. Each runs atomically on the server, so a decision (check, choose,
 * record) never races another process's. Times are the server's (TIME, inside the script) in wall
 * milliseconds; every number a script writes or returns goes through %.17g, because Redis's Lua
 * prints numbers with 14 digits and returns them as integers.
 *
 * The window arithmetic mirrors the TypeScript windows expression for expression (the limiter
 * parameters are derived in TypeScript and passed in), so on the same times the two decide alike:
 * the store test replays the server's decisions on MemoryKeys and compares.
 */

/**
 * take: up to `want` admissions. KEYS: 1 used (hash fingerprint → lifetime admissions), 2 busy
 * (hash fingerprint → "token lease-end"), 3 round-robin cursor, 4 sequence, 5… one window per key.
 * ARGV: 1 want, 2 limiter, 3–5 its parameters, 6 choice, 7 exclusive (1/0), 8 lease ms, 9 n, then
 * n fingerprints, then `want` random numbers in [0, 1) (random choice).
 * Returns { now, wait ms (-1: only a release), entries peak, key index, token, key index, token, … }.
 */
export const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local f = function(x) return string.format('%.17g', x) end
local want = tonumber(ARGV[1])
local lim = ARGV[2]
local p1, p2, p3 = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local choice = ARGV[6]
local exclusive = ARGV[7] == '1'
local lease = tonumber(ARGV[8])
local n = tonumber(ARGV[9])
local fp = {}
for i = 1, n do fp[i] = ARGV[9 + i] end
local rnd = 9 + n

-- one window per key, loaded on first use: admits(i), record(i), nextAt(i), save(i)
local st = {}
local entries = 0
local load, admits, record, nextAt, save

if lim == 'sliding-log' then
  -- p1 = N, p2 = W. A sorted set of admission times, trimmed to the window.
  load = function(i)
    local k = KEYS[4 + i]
    -- bulk trim of what is surely out, then the window's own test (t + W <= now) on the oldest
    redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. f(now - p2 - 1))
    local cnt = redis.call('ZCARD', k)
    local oldest
    while cnt > 0 do
      oldest = tonumber(redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')[2])
      if oldest + p2 <= now then
        redis.call('ZREMRANGEBYRANK', k, 0, 0)
        cnt = cnt - 1
        oldest = nil
      else break end
    end
    return { cnt = cnt, oldest = oldest }
  end
  admits = function(s) return s.cnt < p1 end
  record = function(s, i, member)
    local k = KEYS[4 + i]
    redis.call('ZADD', k, f(now), member)
    redis.call('PEXPIRE', k, math.ceil(p2) + 1)
    s.cnt = s.cnt + 1
    if s.oldest == nil then s.oldest = now end
    if s.cnt > entries then entries = s.cnt end
  end
  nextAt = function(s) if s.cnt < p1 then return now end return s.oldest + p2 end
elseif lim == 'bucket-window' then
  -- p1 = N, p2 = buckets B, p3 = width w. A hash of per-bucket counters (field ⌊t / w⌋), expired whole.
  load = function(i)
    local k = KEYS[4 + i]
    local idx = math.floor(now / p3)
    local h = redis.call('HGETALL', k)
    local s = { idx = idx, counts = {}, total = 0 }
    for j = 1, #h, 2 do
      local b = tonumber(h[j])
      if b > idx - p2 then
        s.counts[b] = tonumber(h[j + 1])
        s.total = s.total + s.counts[b]
      else
        redis.call('HDEL', k, h[j])
      end
    end
    return s
  end
  admits = function(s) return s.total < p1 end
  record = function(s, i)
    local k = KEYS[4 + i]
    redis.call('HINCRBY', k, s.idx, 1)
    redis.call('PEXPIRE', k, math.ceil(p2 * p3) + 1)
    s.counts[s.idx] = (s.counts[s.idx] or 0) + 1
    s.total = s.total + 1
    entries = p2 + 1
  end
  nextAt = function(s)
    if s.total < p1 then return now end
    local left = s.total
    for age = p2 - 1, 0, -1 do
      left = left - (s.counts[s.idx - age] or 0)
      if left < p1 then
        local b = s.idx - age + p2
        local at = b * p3
        if math.floor(at / p3) < b then at = at + p3 * 1e-9 end
        return at
      end
    end
    return now
  end
else
  -- One value per key: gcra "base k" (p1 = T, p2 = burst), token-bucket "level last" (p1 = unit,
  -- p2 = cap, p3 = refill per ms), uniform-interval "last" (p1 = interval), none "".
  load = function(i)
    local v = redis.call('GET', KEYS[4 + i])
    local s = { dirty = false }
    if v then
      local a, b = string.match(v, '^(%S+) ?(%S*)$')
      s.a, s.b = tonumber(a), tonumber(b)
    end
    return s
  end
  if lim == 'gcra' then
    local allowAt = function(s) return s.a + (s.b - p2 + 1) * p1 end
    admits = function(s) return s.a == nil or allowAt(s) <= now end
    record = function(s)
      if s.a == nil or s.a + s.b * p1 <= now then s.a, s.b = now, 1 else s.b = s.b + 1 end
      s.dirty = true
      entries = 2
    end
    nextAt = function(s) if s.a == nil then return now end local at = allowAt(s) if at > now then return at end return now end
    save = function(s, i) redis.call('SET', KEYS[4 + i], f(s.a) .. ' ' .. s.b, 'PX', math.max(1, math.ceil(s.a + s.b * p1 - now) + 1)) end
  elseif lim == 'token-bucket' then
    local levelAt = function(s, x)
      if s.a == nil then return p2 end
      local elapsed = x - s.b
      if not (elapsed > 0) then return s.a end
      local l = s.a + elapsed * p3
      if l > p2 then return p2 end
      return l
    end
    admits = function(s) return levelAt(s, now) >= p1 end
    record = function(s)
      s.a = levelAt(s, now) - p1
      if s.b == nil or now > s.b then s.b = now end
      s.dirty = true
      entries = 2
    end
    nextAt = function(s)
      if levelAt(s, now) >= p1 then return now end
      local at = s.b + (p1 - s.a) / p3
      if at < now then at = now end
      return at
    end
    save = function(s, i) redis.call('SET', KEYS[4 + i], f(s.a) .. ' ' .. f(s.b), 'PX', math.max(1, math.ceil((p2 - s.a) / p3) + 1)) end
  elseif lim == 'uniform-interval' then
    admits = function(s) return s.a == nil or now - s.a >= p1 end
    record = function(s) s.a = now s.dirty = true entries = 1 end
    nextAt = function(s) if s.a == nil or now - s.a >= p1 then return now end return s.a + p1 end
    save = function(s, i) redis.call('SET', KEYS[4 + i], f(s.a), 'PX', math.ceil(p1) + 1) end
  else
    admits = function() return true end
    record = function() end
    nextAt = function() return now end
  end
end

local state = function(i)
  local s = st[i]
  if s == nil then s = load(i) st[i] = s end
  return s
end

local busy = {}
if exclusive then
  local b = redis.call('HMGET', KEYS[2], unpack(fp))
  for i = 1, n do
    if b[i] then
      local ends = tonumber(string.match(b[i], ' (%S+)$'))
      if ends > now then busy[i] = ends end
    end
  end
end
local used = {}
if choice == 'least-used' then
  local u = redis.call('HMGET', KEYS[1], unpack(fp))
  for i = 1, n do used[i] = tonumber(u[i]) or 0 end
end
local cursor = 0
if choice == 'round-robin' then cursor = tonumber(redis.call('GET', KEYS[3])) or 0 end

local admissible = function(i) return busy[i] == nil and admits(state(i)) end
local seq = redis.call('INCR', KEYS[4])
local out = { f(now), '-1', 0 }
local granted = 0
for g = 1, want do
  local key
  if choice == 'least-used' then
    -- lifetime use across every process sharing the pool; ties go to the lower index
    local best = math.huge
    for i = 1, n do
      if used[i] < best and admissible(i) then best = used[i] key = i end
    end
  elseif choice == 'round-robin' then
    for j = 0, n - 1 do
      local i = (cursor + j) % n + 1
      if admissible(i) then key = i cursor = i % n break end
    end
  else
    local count = 0
    for i = 1, n do if admissible(i) then count = count + 1 end end
    if count > 0 then
      local r = math.floor(tonumber(ARGV[rnd + g]) * count)
      for i = 1, n do
        if admissible(i) then
          if r == 0 then key = i break end
          r = r - 1
        end
      end
    end
  end
  if key == nil then break end
  granted = granted + 1
  local token = seq .. ':' .. g
  record(state(key), key, token)
  if choice == 'least-used' then used[key] = used[key] + 1 end
  redis.call('HINCRBY', KEYS[1], fp[key], 1)
  if exclusive then
    busy[key] = now + lease
    redis.call('HSET', KEYS[2], fp[key], token .. ' ' .. f(now + lease))
  end
  out[#out + 1] = key - 1
  out[#out + 1] = token
end
if choice == 'round-robin' and granted > 0 then redis.call('SET', KEYS[3], cursor) end
if save then for i, s in pairs(st) do if s.dirty then save(s, i) end end end
if granted < want then
  -- the earliest a key can turn admissible: its window, or the end of another process's lease
  local at = math.huge
  for i = 1, n do
    local x = nextAt(state(i))
    if busy[i] and busy[i] > x then x = busy[i] end
    if x < at then at = x end
  end
  if at < math.huge then out[2] = f(at - now) end
end
out[3] = entries
return out
`;

/**
 * release: ends a hold if the token still owns it (a lease taken over by another process after it
 * ran out is left alone), and tells waiting processes. KEYS: 1 busy. ARGV: 1 fingerprint, 2 token,
 * 3 channel. Returns 1 when released.
 */
export const RELEASE = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if v and string.sub(v, 1, #ARGV[2] + 1) == ARGV[2] .. ' ' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('PUBLISH', ARGV[3], ARGV[1])
  return 1
end
return 0
`;
