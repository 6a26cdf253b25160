// The Lua script behind RedisStore: one atomic decision over every rule of every key, timed by the Redis server.

/**
 * Mirrors limiter/algorithms/*.ts expression by expression (same IEEE arithmetic, same order), so memory and
 * Redis agree to the unit. States are strings: `f:start:count`, `s:start:current:previous`, `t:tokens:updatedAt`.
 */
export const CONSUME_SCRIPT = `-- Tollgate rate limit: one decision over all rules of all keys of a request (all-or-nothing).
-- KEYS[i]  : the state key of rule i (\${prefix}:rl:{key}:[scope:]ruleIndex)
-- ARGV     : 5 per rule i: algorithm (f|s|t), limit, windowMs, burst, cost   (milliseconds, units)
-- returns  : { allowed (1|0), ruleIndex (0-based, -1 when no rule), limit, remaining, resetAt (epoch ms), retryAfterMs, windowMs }
redis.replicate_commands()
local floor, ceil, max, min, fmt, match, tonumber = math.floor, math.ceil, math.max, math.min, string.format, string.match, tonumber
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + floor(tonumber(t[2]) / 1000)
local n = #KEYS
local allowed = true
local pick = 0
local pLimit, pRemaining, pReset, pRetry, pW = 0, 0, now, 0, 0
local states, ttls = {}, {}
for i = 1, n do
  local b = (i - 1) * 5
  local algo = ARGV[b + 1]
  local limit = tonumber(ARGV[b + 2])
  local w = tonumber(ARGV[b + 3])
  local cost = tonumber(ARGV[b + 5])
  local raw = redis.call('GET', KEYS[i])
  local ok, remaining, resetAt, retry, ttl, state, shown
  if algo == 'f' then
    local start = now - (now % w)
    local count = 0
    if raw then
      local s, c = match(raw, '^f:([^:]+):([^:]+)$')
      if s and tonumber(s) == start then count = tonumber(c) end
    end
    resetAt = start + w
    ttl = resetAt - now
    if count + cost <= limit then
      ok = true
      remaining = floor(limit - (count + cost))
      retry = 0
      state = 'f:' .. fmt('%.17g', start) .. ':' .. fmt('%.17g', count + cost)
    else
      ok = false
      remaining = max(0, floor(limit - count))
      retry = resetAt - now
    end
    shown = limit
  elseif algo == 's' then
    local start = now - (now % w)
    local current, previous = 0, 0
    if raw then
      local s, c, p = match(raw, '^s:([^:]+):([^:]+):([^:]+)$')
      if s then
        s = tonumber(s)
        if s == start then
          current = tonumber(c)
          previous = tonumber(p)
        elseif s == start - w then
          previous = tonumber(c)
        end
      end
    end
    local elapsed = now - start
    local estimate = (previous * (w - elapsed)) / w + current
    resetAt = start + w
    ttl = start + 2 * w - now
    if estimate + cost <= limit then
      ok = true
      remaining = max(0, floor(limit - estimate - cost))
      retry = 0
      state = 's:' .. fmt('%.17g', start) .. ':' .. fmt('%.17g', current + cost) .. ':' .. fmt('%.17g', previous)
    else
      ok = false
      remaining = max(0, floor(limit - estimate))
      if current + cost <= limit then
        retry = ceil(w - ((limit - current - cost) * w) / previous - elapsed)
      else
        local into = 0
        if current > 0 then into = max(0, ceil(w - ((limit - cost) * w) / current)) end
        retry = resetAt - now + into
      end
      retry = max(1, retry)
    end
    shown = limit
  else
    local capacity = tonumber(ARGV[b + 4])
    local tokens = capacity
    if raw then
      local k, u = match(raw, '^t:([^:]+):([^:]+)$')
      if k then
        local elapsed = max(0, now - tonumber(u))
        tokens = min(capacity, tonumber(k) + (elapsed * limit) / w)
      end
    end
    if tokens >= cost then
      local left = tokens - cost
      local fullIn = ceil(((capacity - left) * w) / limit)
      ok = true
      remaining = floor(left)
      resetAt = now + fullIn
      retry = 0
      ttl = max(1, fullIn)
      state = 't:' .. fmt('%.17g', left) .. ':' .. fmt('%.17g', now)
    else
      local fullIn = ceil(((capacity - tokens) * w) / limit)
      ok = false
      remaining = floor(tokens)
      resetAt = now + fullIn
      retry = max(1, ceil(((cost - tokens) * w) / limit))
      ttl = max(1, fullIn)
    end
    shown = capacity
  end
  states[i] = state
  ttls[i] = ttl
  local take = false
  if not ok then
    take = allowed or retry > pRetry
    allowed = false
  elseif allowed then
    take = pick == 0 or remaining < pRemaining
  end
  if take then
    pick, pLimit, pRemaining, pReset, pRetry, pW = i, shown, remaining, resetAt, retry, w
  end
end
if pick == 0 then return { 1, -1, 0, 0, now, 0, 0 } end
if allowed then
  for i = 1, n do
    redis.call('SET', KEYS[i], states[i], 'PX', max(1, ceil(ttls[i])))
  end
end
return { allowed and 1 or 0, pick - 1, pLimit, pRemaining, pReset, pRetry, pW }
`
