// What each gateway feature costs on the hot path: Tollgate plain vs rate limiting, auth, cache hits and a 2-target pool.
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
import { BENCH_PATH } from '../targets/shared.js'

const SCENARIOS = ['plain', 'ratelimit-memory', 'auth', 'cache', 'pool2'] as const
type Scenario = (typeof SCENARIOS)[number]
/**
 * An A/A control: a second process running `plain`. Its difference from `plain` is what "no difference" looks
 * like in this run (process-to-process and order effects), the yardstick for the few-µs aims below.
 */
const CONTROL = 'plain-2'

// Seven contenders: four rounds of 4 s (rather than three of 5 s) give the per-round medians more to work with
// in about the same time (~2½ min).
const settings = benchSettings({ rounds: 4, durationS: 4 })
const script = (file: string) => new URL(`../targets/${file}`, import.meta.url)
const url = (target: RunningTarget) => `${target.origin}${BENCH_PATH}`

// The issues' aims (#3 rate limiting, #4 keys and cache, #6 pools); printed as met / NOT met, never failing the suite.
const RATIOS: Ratio[] = [
  { of: 'plain', to: 'bare-proxy', metric: 'rps' },
  { of: 'ratelimit-memory', to: 'plain', metric: 'rps', aim: { atLeast: 0.9 } },
  { of: 'auth', to: 'bare-proxy', metric: 'rps' },
  { of: 'auth', to: 'plain', metric: 'rps' },
  { of: 'cache', to: 'bare-proxy', metric: 'rps', aim: { atLeast: 1 } },
  { of: 'pool2', to: 'plain', metric: 'rps' },
  { of: CONTROL, to: 'plain', metric: 'rps' },
  { of: 'plain', to: 'bare-proxy', metric: 'cpu' },
  { of: 'cache', to: 'bare-proxy', metric: 'cpu' },
]
const DIFFERENCES: Difference[] = [
  { of: 'ratelimit-memory', to: 'plain', aim: { atMost: 10 } },
  { of: 'auth', to: 'plain' },
  { of: 'cache', to: 'plain' },
  { of: 'pool2', to: 'plain', aim: { atMost: 2 } },
  { of: CONTROL, to: 'plain' },
]

runSuite('features', measuringTimeMs(settings, 2 + SCENARIOS.length) + 90_000, async () => {
  console.log(
    heading(
      `features: bare-proxy, tollgate ${SCENARIOS.join(', ')}, ${CONTROL} (A/A control) — GET ${BENCH_PATH}, 100-byte JSON; ` +
        `wrk -t${settings.threads} -c${settings.connections}, ${settings.rounds} round(s) × ${settings.durationS} s, warm-up ${settings.warmupS} s`,
    ),
  )

  // `upstream` serves every target; `upstream-b` only pool2's second target, so its count shows the split.
  const [upstream, upstreamB] = await Promise.all([
    startTarget({ name: 'upstream', script: script('upstream.ts') }),
    startTarget({ name: 'upstream-b', script: script('upstream.ts') }),
  ])
  const tollgate = (scenario: Scenario, name: string = scenario) => {
    const upstreams = scenario === 'pool2' ? [upstream, upstreamB] : [upstream]
    return startTarget({
      name,
      script: script('tollgate.ts'),
      env: { UPSTREAM_URL: upstreams.map((u) => u.origin).join(','), TOLLGATE_SCENARIO: scenario },
    })
  }
  const [bare, control, ...started] = await Promise.all([
    startTarget({ name: 'bare-proxy', script: script('bare-proxy.ts'), env: { UPSTREAM_URL: upstream.origin } }),
    tollgate('plain', CONTROL),
    ...SCENARIOS.map((scenario) => tollgate(scenario)),
  ])
  const gateways = new Map(SCENARIOS.map((scenario, i) => [scenario, started[i]!]))
  const gateway = (scenario: Scenario) => gateways.get(scenario)!

  const apiKey = gateway('auth').details.apiKey
  if (apiKey === undefined) throw new Error('the auth target announced no apiKey')

  const contenders: Contender[] = [
    { name: 'bare-proxy', url: url(bare), cpuOf: bare, servedBy: upstream },
    ...SCENARIOS.map((scenario): Contender => {
      const target = gateway(scenario)
      const base = { name: scenario, url: url(target), cpuOf: target }
      switch (scenario) {
        case 'auth':
          return { ...base, request: { headers: { 'x-api-key': apiKey } }, servedBy: upstream }
        case 'cache':
          // Hits are answered by the gateway: the upstream must see (almost) none of them.
          return { ...base, notServedBy: upstream }
        case 'pool2':
          return { ...base, servedBy: [upstream, upstreamB] }
        default:
          return { ...base, servedBy: upstream }
      }
    }),
    { name: CONTROL, url: url(control), cpuOf: control, servedBy: upstream },
  ]

  // A target reports a request count once it has counted one: give upstream-b its first request, so that pool2's
  // preflight (which round-robin sends to `upstream`) leaves it with a count to subtract from.
  await (await fetch(url(upstreamB), { signal: AbortSignal.timeout(5_000) })).arrayBuffer()
  const before = await upstreamB.stats()
  const summaries = await compare(contenders, settings)
  const after = await upstreamB.stats()

  console.log(heading('features: medians over rounds (CPU µs/req: the proxy process alone)'))
  console.log(formatSummaries(summaries))
  console.log(heading('features: ratios and CPU differences (median of per-round values)'))
  console.log(formatRatios(summaries, RATIOS))
  console.log(formatDifferences(summaries, DIFFERENCES))
  // A single A/A difference is a rough yardstick, not a confidence interval; it still stops a "met" being over-read.
  const floor = Math.abs(differenceOf(summaries, { of: CONTROL, to: 'plain' }))
  const unresolved = DIFFERENCES.filter((d) => d.of !== CONTROL && Math.abs(differenceOf(summaries, d)) <= floor).map((d) => d.of)
  console.log(
    `noise floor: ${CONTROL} runs the same code as plain, |${CONTROL} − plain| = ${floor.toFixed(1)} µs; ` +
      (unresolved.length === 0 ? 'every difference above exceeds it' : `within it, so not resolved by this run: ${unresolved.join(', ')}`),
  )

  // The cache row must have been hits, by the gateway's own count (an entry expiring mid-run makes one miss).
  const completed = (name: string) => {
    const { samples, warmup } = summaries.get(name)!
    return [...samples, ...(warmup ? [warmup] : [])].reduce((sum, s) => sum + s.load.requests, 0)
  }
  const cacheMetrics = (await (await fetch(`${gateway('cache').origin}/_metrics`, { signal: AbortSignal.timeout(5_000) })).json()) as {
    cache_hits?: unknown
    cache_misses?: unknown
  }
  const hits = Number(cacheMetrics.cache_hits)
  const cacheSent = completed('cache')
  console.log(
    `\ncache /_metrics: cache_hits ${hits}, cache_misses ${String(cacheMetrics.cache_misses)} ` +
      `(wrk completed ${cacheSent} + 1 preflight)`,
  )
  if (!(hits >= cacheSent * 0.99)) throw new Error('cache: fewer than 99% of the responses were cache hits')

  // Round-robin over two targets: upstream-b served only pool2, about half of what wrk sent it.
  const sent = completed('pool2') + 1 // + its preflight
  const servedByB = (after?.requests ?? Number.NaN) - (before?.requests ?? Number.NaN)
  const share = servedByB / sent
  console.log(`pool2: upstream-b served ${servedByB} of ${sent} requests (${(share * 100).toFixed(1)}%; round-robin → 50%)`)
  if (!(share > 0.4 && share < 0.6)) throw new Error('pool2: the second target did not get about half of the requests')

  await writeResults('features', { settings, summaries: [...summaries.values()] })
})
