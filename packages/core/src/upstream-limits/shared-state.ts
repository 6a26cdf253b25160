// What gateway instances share about one upstream in Redis: the budget's pace, the pause (a key's PX TTL) and the AIMD rate.
import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { withStoreDeadline } from '../limiter/store/deadline.js'
import type { AIMDOptions } from './aimd.js'
import { contentionMs, paceWindowMs, type PaceRule } from './pacing.js'

/** The slice of ioredis the shared state uses. */
export type UpstreamRedis = Pick<Redis, 'evalsha' | 'eval'>

/** `pace()` of pacing.ts on Redis's clock, for every instance at once; the pause is read in the same call. */
export const PACE_SCRIPT = `-- KEYS[1]: pace hash (tat, last, mixed)   KEYS[2]: send log, newest first   KEYS[3]: pause key
-- ARGV[1]: intervalMs   ARGV[2]: burst   ARGV[3]: window ms (burst × interval + guard)   ARGV[4]: cost
-- ARGV[5]: caller id   ARGV[6]: '1' when other callers wait   ARGV[7]: contention ms
-- Returns { 1 = sent / 0 = wait, ms to wait (string), pause ms left }
local pause = redis.call('PTTL', KEYS[3])
if pause > 0 then return { 0, '0', pause } end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local units = math.max(1, math.min(math.ceil(cost), burst))
local h = redis.call('HMGET', KEYS[1], 'tat', 'last', 'mixed')
local tat = tonumber(h[1]) or 0
local mixed = tonumber(h[3]) or -1e15
local wait = 0
if ARGV[6] == '1' or now - mixed < tonumber(ARGV[7]) then wait = tat - now end
local oldest = redis.call('LINDEX', KEYS[2], burst - units)
if oldest then wait = math.max(wait, tonumber(oldest) + window - now) end
if wait > 0 then return { 0, string.format('%.3f', wait), 0 } end
local stamp = string.format('%.3f', now)
for i = 1, units do redis.call('LPUSH', KEYS[2], stamp) end
redis.call('LTRIM', KEYS[2], 0, burst - 1)
redis.call('PEXPIRE', KEYS[2], math.ceil(window) + 1000)
if h[2] and h[2] ~= ARGV[5] then mixed = now end
tat = math.max(tat, now) + cost * interval
redis.call('HSET', KEYS[1], 'tat', string.format('%.3f', tat), 'last', ARGV[5], 'mixed', string.format('%.3f', mixed))
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(tat - now, 0) + tonumber(ARGV[7])) + 1000)
return { 1, '0', 0 }
`

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
export const PACE_SCRIPT_SHA = sha1(PACE_SCRIPT)
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

/** One shared pace decision: sent, or the ms to wait (for the budget, or for the pause in force). */
export interface SharedPaceResult {
  sent: boolean
  waitMs: number
  pauseMs: number
}

/**
 * Everything instances share about one upstream, under one hash tag `${prefix}:upstream:{key}` (one Cluster slot).
 * Every call is one script by SHA under a deadline (`timeoutMs`, the store timeout): a slow or paused Redis costs
 * a call at most that long, and the caller falls back to its local state. Every key it writes has a TTL.
 * @example
 * const shared = new SharedUpstreamState(redis, 'tollgate:upstream:{https://api.github.com|anonymous}', aimd, 1, 250)
 * const { sent, waitMs, pauseMs } = await shared.pace(rule, 1, 'caller-a', false)
 */
export class SharedUpstreamState {
  constructor(
    private readonly redis: UpstreamRedis,
    /** `${prefix}:upstream:{${key}}` */
    readonly tag: string,
    private readonly aimd: AIMDOptions,
    private readonly initialRate: number,
    readonly timeoutMs: number,
    private readonly rateTtlMs = 3_600_000,
  ) {}

  get pauseKey(): string {
    return `${this.tag}:pause`
  }

  get rateKey(): string {
    return `${this.tag}:rate`
  }

  /** Spends `cost` units of the shared budget if the pace allows, reading the shared pause in the same call. */
  async pace(rule: PaceRule, cost: number, callerId: string, othersWaiting: boolean): Promise<SharedPaceResult> {
    const keys = [`${this.tag}:pace`, `${this.tag}:log`, this.pauseKey]
    const args = [rule.intervalMs, rule.burst, paceWindowMs(rule), cost, callerId, othersWaiting ? '1' : '0', contentionMs(rule)]
    const reply = (await this.#call(PACE_SCRIPT_SHA, PACE_SCRIPT, keys, args, 'upstream budget')) as [number, string, number]
    return { sent: Number(reply[0]) === 1, waitMs: Number(reply[1]), pauseMs: Number(reply[2]) }
  }

  /** Extends the shared pause to at least `ms` (never shortens one another instance set); returns the pause in force. */
  async extendPause(ms: number): Promise<number> {
    return Number(await this.#call(PAUSE_SCRIPT_SHA, PAUSE_SCRIPT, [this.pauseKey], [Math.max(1, Math.ceil(ms))], 'upstream pause'))
  }

  /** Moves the shared AIMD rate by one outcome and returns it. */
  async recordOutcome(outcome: 'success' | 'throttle'): Promise<number> {
    const o = this.aimd
    const args = [
      outcome,
      o.increase,
      o.decrease,
      o.minRate,
      o.maxRate,
      o.intervalMs,
      o.episodeMs,
      this.initialRate,
      this.rateTtlMs,
      o.slowStart ? '1' : '0',
    ]
    return Number(await this.#call(RATE_SCRIPT_SHA, RATE_SCRIPT, [this.rateKey], args, 'upstream rate'))
  }

  #call(sha: string, script: string, keys: string[], args: Array<string | number>, name: string): Promise<unknown> {
    return withStoreDeadline(run(this.redis, sha, script, keys, args), this.timeoutMs, name)
  }
}
