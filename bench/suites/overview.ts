// Issue 12's table in one run: upstream, bare proxy, fast-gateway, Hono + undici, Tollgate's stacks, and the aims.
import {
  compare,
  differenceOf,
  formatDifferences,
  formatRatios,
  formatSummaries,
  type Contender,
  type Difference,
  type Ratio,
} from '../lib/compare.js'
import { benchSettings, measuringTimeMs } from '../lib/settings.js'
import { heading, runSuite, writeResults } from '../lib/suite.js'
import { startTarget, type RunningTarget } from '../lib/target.js'
import { formatFixed } from '../lib/stats.js'
import { BENCH_PATH } from '../targets/shared.js'
import { startRedisServer } from '../../packages/core/src/testing/redis-server.js'

/** What a row needs to start its process. */
interface Context {
  upstream: RunningTarget
  redisUrl: string
}

/**
 * One row: its process and how wrk loads it. `answers: 'itself'` for cache hits (the upstream must see none);
 * `apiKey` sends the key the target announced. To add a row, add one entry.
 */
interface Row {
  name: string
  start: (context: Context) => Promise<RunningTarget>
  answers?: 'upstream' | 'itself'
  apiKey?: boolean
}

const script = (file: string) => new URL(`../targets/${file}`, import.meta.url)
/** Ten processes start at once (tsx compiling each) on a machine that may be busy: allow them time. */
const readyTimeoutMs = 120_000
const proxy =
  (name: string, file: string, env: Record<string, string> = {}) =>
  (context: Context) =>
    startTarget({
      name,
      script: script(file),
      readyTimeoutMs,
      env: { UPSTREAM_URL: context.upstream.origin, REDIS_URL: context.redisUrl, ...env },
    })
const tollgate =
  (name: string, scenario: string, redis = false) =>
  (context: Context) =>
    startTarget({
      name,
      script: script('tollgate.ts'),
      readyTimeoutMs,
      env: { UPSTREAM_URL: context.upstream.origin, TOLLGATE_SCENARIO: scenario, ...(redis ? { REDIS_URL: context.redisUrl } : {}) },
    })

const ROWS: Row[] = [
  { name: 'upstream', start: async ({ upstream }) => upstream },
  { name: 'bare-proxy', start: proxy('bare-proxy', 'bare-proxy.ts') },
  { name: 'fast-gateway', start: proxy('fast-gateway', 'fast-gateway.ts') },
  { name: 'hono-undici', start: proxy('hono-undici', 'hono-undici.ts') },
  { name: 'hono-rlf-memory', start: proxy('hono-rlf-memory', 'hono-undici.ts', { LIMITER: 'memory' }) },
  { name: 'hono-rlf-redis', start: proxy('hono-rlf-redis', 'hono-undici.ts', { LIMITER: 'redis' }) },
  { name: 'tollgate', start: tollgate('tollgate', 'plain') },
  { name: 'tollgate-key-memory', start: tollgate('tollgate-key-memory', 'key-memory'), apiKey: true },
  { name: 'tollgate-key-redis', start: tollgate('tollgate-key-redis', 'key-redis', true), apiKey: true },
  { name: 'tollgate-cache-hit', start: tollgate('tollgate-cache-hit', 'cache'), answers: 'itself' },
  { name: 'hono-constant', start: proxy('hono-constant', 'hono-constant.ts'), answers: 'itself' },
]

/** OVERVIEW_ROWS=upstream,tollgate picks rows (default: all); the upstream process always runs. */
const chosen = (): Row[] => {
  const raw = process.env.OVERVIEW_ROWS?.trim()
  if (!raw) return ROWS
  const names = raw.split(',').map((n) => n.trim())
  const unknown = names.filter((n) => !ROWS.some((r) => r.name === n))
  if (unknown.length > 0) throw new Error(`OVERVIEW_ROWS: unknown ${unknown.join(', ')}; known: ${ROWS.map((r) => r.name).join(', ')}`)
  return ROWS.filter((r) => names.includes(r.name))
}
const rows = chosen()

/** The aims, printed met / NOT met (a noisy shared machine: they never fail the run). */
const RATIOS: Ratio[] = [
  { of: 'tollgate', to: 'bare-proxy', metric: 'cpu', aim: { atMost: 1 } },
  { of: 'tollgate', to: 'fast-gateway', metric: 'cpu', aim: { atMost: 0.9 } },
  { of: 'tollgate', to: 'hono-undici', metric: 'cpu', aim: { atMost: 0.9 } },
  { of: 'tollgate', to: 'fast-gateway', metric: 'rps', aim: { atLeast: 1 } },
  { of: 'tollgate-key-memory', to: 'bare-proxy', metric: 'cpu', aim: { atMost: 1.15 } },
  { of: 'tollgate-cache-hit', to: 'bare-proxy', metric: 'rps', aim: { atLeast: 2 } },
  { of: 'tollgate', to: 'bare-proxy', metric: 'rps' },
  { of: 'hono-undici', to: 'bare-proxy', metric: 'cpu' },
  { of: 'fast-gateway', to: 'bare-proxy', metric: 'cpu' },
  // What the framework itself allows a gateway answering from memory: the cache-hit aim's ceiling.
  { of: 'hono-constant', to: 'bare-proxy', metric: 'rps' },
  { of: 'tollgate-cache-hit', to: 'hono-constant', metric: 'rps' },
]
const DIFFERENCES: Difference[] = [
  { of: 'tollgate-key-memory', to: 'tollgate', aim: { atMost: 10 } },
  { of: 'tollgate-key-redis', to: 'tollgate-key-memory' },
  { of: 'hono-rlf-redis', to: 'hono-rlf-memory' },
]

const settings = benchSettings({ rounds: 5, durationS: 3 })
const signed = (value: number) => `${value >= 0 ? '+' : ''}${formatFixed(value, 1)}`

runSuite('overview', measuringTimeMs(settings, rows.length) + 120_000, async () => {
  console.log(
    heading(
      `overview: ${rows.map((r) => r.name).join(', ')} — GET ${BENCH_PATH}, 100-byte JSON; wrk -t${settings.threads} ` +
        `-c${settings.connections}, ${settings.rounds} interleaved round(s) × ${settings.durationS} s, warm-up ${settings.warmupS} s`,
    ),
  )
  const redis = await startRedisServer()
  try {
    const upstream = await startTarget({ name: 'upstream', script: script('upstream.ts') })
    const context = { upstream, redisUrl: redis.url }
    const started = await Promise.all(rows.map((row) => row.start(context)))
    const contenders = rows.map((row, i): Contender => {
      const target = started[i]!
      const apiKey = target.details.apiKey
      if (row.apiKey && apiKey === undefined) throw new Error(`${row.name}: the target announced no apiKey`)
      return {
        name: row.name,
        url: `${target.origin}${BENCH_PATH}`,
        cpuOf: target,
        ...(row.answers === 'itself' ? { notServedBy: upstream } : { servedBy: upstream }),
        ...(row.apiKey ? { request: { headers: { 'x-api-key': apiKey! } } } : {}),
      }
    })
    const summaries = await compare(contenders, settings)
    const ratios = RATIOS.filter((r) => summaries.has(r.of) && summaries.has(r.to))
    const differences = DIFFERENCES.filter((d) => summaries.has(d.of) && summaries.has(d.to))

    console.log(heading('overview: medians over rounds (CPU µs/req: that process alone)'))
    console.log(formatSummaries(summaries))
    console.log(heading('overview: aims (median of per-round ratios and differences)'))
    console.log(formatRatios(summaries, ratios))
    console.log(formatDifferences(summaries, differences))
    if (differences.length === DIFFERENCES.length) {
      // Redis limiting's own cost (over memory) against rate-limiter-flexible's, each on its own stack.
      const ours = differenceOf(summaries, DIFFERENCES[1]!)
      const theirs = differenceOf(summaries, DIFFERENCES[2]!)
      const met = ours <= theirs
      console.log(
        `Redis over memory: Tollgate ${signed(ours)} µs vs rate-limiter-flexible ${signed(theirs)} µs ` +
          `(aim: no more: ${met ? 'met' : 'NOT met'})`,
      )
    }
    await writeResults('overview', { settings, summaries: [...summaries.values()] })
  } finally {
    await redis.close()
  }
})
