// What gateway instances share about one upstream in Redis: the pause (a key's PX TTL) and the AIMD rate.
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { AIMDOptions } from './aimd.js'

/** The slice of ioredis the shared state uses. */
export type UpstreamRedis = Pick<Redis, 'evalsha' | 'eval' | 'pttl'>

/** Extends the pause to at least ARGV[1] ms; never shortens one another instance set. */
export const PAUSE_SCRIPT = `-- KEYS[1]: the upstream's pause key
-- ARGV[1]: pause length wanted, in ms
-- Returns the pause now in force, in ms
local wanted = tonumber(ARGV[1])
local current = redis.call('PTTL', KEYS[1])
if current < wanted then
  redis.call('SET', KEYS[1], '1', 'PX', wanted)
  return wanted
end
return current
`

/** AIMD on a hash so every instance moves one rate: one increase per interval, one decrease per episode, Redis's clock. */
export const RATE_SCRIPT = `-- KEYS[1]: the upstream's adaptive-rate hash (rate, inc_at, dec_at, throttled)
-- ARGV[1]: 'success' or 'throttle'
-- ARGV[2]: increase (requests/s)   ARGV[3]: decrease (share cut)
-- ARGV[4]: minRate   ARGV[5]: maxRate   ARGV[6]: intervalMs   ARGV[7]: episodeMs
-- ARGV[8]: initial rate   ARGV[9]: key TTL in ms   ARGV[10]: '1' for slow start
-- Returns the shared rate as a string (Lua numbers reply as integers)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'rate', 'inc_at', 'dec_at', 'throttled')
local rate = tonumber(h[1]) or tonumber(ARGV[8])
local inc_at = tonumber(h[2]) or now
local dec_at = tonumber(h[3]) or 0
local throttled = h[4] == '1'
local min_rate = tonumber(ARGV[4])
local max_rate = tonumber(ARGV[5])
if ARGV[1] == 'throttle' then
  inc_at = now
  if (not throttled) or now - dec_at >= tonumber(ARGV[7]) then
    dec_at = now
    rate = rate * (1 - tonumber(ARGV[3]))
  end
  throttled = true
elseif now - inc_at >= tonumber(ARGV[6]) then
  inc_at = now
  if throttled or ARGV[10] ~= '1' then rate = rate + tonumber(ARGV[2]) else rate = rate * 2 end
end
rate = math.max(min_rate, math.min(max_rate, rate))
redis.call('HSET', KEYS[1], 'rate', tostring(rate), 'inc_at', tostring(inc_at), 'dec_at', tostring(dec_at), 'throttled', throttled and '1' or '0')
redis.call('PEXPIRE', KEYS[1], ARGV[9])
return tostring(rate)
`

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex')
export const PAUSE_SCRIPT_SHA = sha1(PAUSE_SCRIPT)
export const RATE_SCRIPT_SHA = sha1(RATE_SCRIPT)

/** Calls a script by SHA, falling back to EVAL when Redis lost its script cache (NOSCRIPT). */
const run = async (redis: UpstreamRedis, sha: string, script: string, keys: string[], args: Array<string | number>): Promise<unknown> => {
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args)
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error
    return redis.eval(script, keys.length, ...keys, ...args)
  }
}

/**
 * The shared pause of one upstream: `extend(ms)` is one atomic script call; `remainingMs()` one PTTL.
 * Time is Redis's own (a TTL), so instances with skewed clocks agree.
 */
export class SharedPause {
  constructor(
    private readonly redis: UpstreamRedis,
    readonly key: string,
  ) {}

  async extend(ms: number): Promise<number> {
    return Number(await run(this.redis, PAUSE_SCRIPT_SHA, PAUSE_SCRIPT, [this.key], [Math.max(1, Math.ceil(ms))]))
  }

  /** Ms of pause left (0 when none). */
  async remainingMs(): Promise<number> {
    const ttl = await this.redis.pttl(this.key)
    return Math.max(ttl, 0)
  }
}

/** The AIMD rate shared by every instance: each outcome moves it once, in one script call, and returns it. */
export class SharedRate {
  constructor(
    private readonly redis: UpstreamRedis,
    readonly key: string,
    private readonly options: AIMDOptions,
    private readonly initialRate: number,
    private readonly ttlMs = 3_600_000,
  ) {}

  async record(outcome: 'success' | 'throttle'): Promise<number> {
    const o = this.options
    const args = [
      outcome,
      o.increase,
      o.decrease,
      o.minRate,
      o.maxRate,
      o.intervalMs,
      o.episodeMs,
      this.initialRate,
      this.ttlMs,
      o.slowStart ? '1' : '0',
    ]
    return Number(await run(this.redis, RATE_SCRIPT_SHA, RATE_SCRIPT, [this.key], args))
  }
}
