// The cost of forwarding one small request: the upstream directly, a bare node:http proxy, fast-gateway and Tollgate.
import { compare, formatRatios, formatSummaries, type Contender, type Ratio } from '../lib/compare.js'
import { benchSettings, measuringTimeMs } from '../lib/settings.js'
import { heading, runSuite, writeResults } from '../lib/suite.js'
import { startTarget, type RunningTarget } from '../lib/target.js'
import { BENCH_PATH } from '../targets/shared.js'

const ALL = ['upstream', 'bare-proxy', 'hono-undici', 'fast-gateway', 'tollgate'] as const
type Name = (typeof ALL)[number]
/** hono-undici (a Hono + undici floor) is a reference for digging into Tollgate's overhead, off by default. */
const DEFAULT: readonly Name[] = ['upstream', 'bare-proxy', 'fast-gateway', 'tollgate']

/**
 * PROXY_TARGETS=upstream,bare-proxy,hono-undici picks the targets (the upstream process always runs: it serves
 * the others; list it to measure it directly too).
 */
const selected = (): Name[] => {
  const raw = process.env.PROXY_TARGETS
  if (raw === undefined || raw.trim() === '') return [...DEFAULT]
  const names = raw.split(',').map((n) => n.trim())
  for (const name of names) {
    if (!(ALL as readonly string[]).includes(name)) throw new Error(`PROXY_TARGETS: unknown target ${name}; known: ${ALL.join(', ')}`)
  }
  return ALL.filter((name) => names.includes(name))
}

const settings = benchSettings()
const names = selected()
const script = (file: string) => new URL(`../targets/${file}`, import.meta.url)

runSuite('proxy', measuringTimeMs(settings, names.length) + 90_000, async () => {
  console.log(
    heading(
      `proxy: ${names.join(', ')} — GET ${BENCH_PATH}, 100-byte JSON; wrk -t${settings.threads} -c${settings.connections}, ` +
        `${settings.rounds} round(s) × ${settings.durationS} s, warm-up ${settings.warmupS} s`,
    ),
  )

  const upstream = await startTarget({ name: 'upstream', script: script('upstream.ts') })
  const env = { UPSTREAM_URL: upstream.origin }
  const proxies = new Map<Name, RunningTarget>(
    await Promise.all(
      names
        .filter((name) => name !== 'upstream')
        .map(async (name) => [name, await startTarget({ name, script: script(`${name}.ts`), env })] as const),
    ),
  )

  const contenders: Contender[] = names.map((name) => {
    const target = name === 'upstream' ? upstream : proxies.get(name)!
    // servedBy: every response must have come from the upstream (a proxy answering 3xx or by itself fails the run).
    return { name, url: `${target.origin}${BENCH_PATH}`, cpuOf: target, servedBy: upstream }
  })

  const summaries = await compare(contenders, settings)

  const wanted: Ratio[] = [
    { of: 'bare-proxy', to: 'upstream', metric: 'rps' },
    { of: 'hono-undici', to: 'upstream', metric: 'rps' },
    { of: 'fast-gateway', to: 'upstream', metric: 'rps' },
    { of: 'tollgate', to: 'upstream', metric: 'rps' },
    { of: 'tollgate', to: 'bare-proxy', metric: 'rps' },
    { of: 'tollgate', to: 'fast-gateway', metric: 'rps', aim: { atLeast: 1 } },
    { of: 'tollgate', to: 'hono-undici', metric: 'rps' },
    { of: 'fast-gateway', to: 'bare-proxy', metric: 'cpu' },
    { of: 'tollgate', to: 'bare-proxy', metric: 'cpu', aim: { atMost: 1.1 } },
    { of: 'tollgate', to: 'fast-gateway', metric: 'cpu' },
    { of: 'hono-undici', to: 'bare-proxy', metric: 'cpu' },
    { of: 'tollgate', to: 'hono-undici', metric: 'cpu' },
  ]
  const ratios = wanted.filter((r) => summaries.has(r.of) && summaries.has(r.to))

  console.log(heading('proxy: medians over rounds (CPU µs/req: the target process itself; for proxies, the proxy alone)'))
  console.log(formatSummaries(summaries))
  if (ratios.length > 0) {
    console.log(heading('proxy: ratios (median of per-round ratios)'))
    console.log(formatRatios(summaries, ratios))
  }

  const tollgate = proxies.get('tollgate')
  if (tollgate !== undefined) {
    // Metrics are on: its counter must have seen at least every request wrk completed, plus the preflight request.
    const { samples, warmup } = summaries.get('tollgate')!
    const sent = [...samples, ...(warmup ? [warmup] : [])].reduce((sum, s) => sum + s.load.requests, 1)
    let total: unknown
    try {
      total = ((await (await fetch(`${tollgate.origin}/_metrics`)).json()) as { requests_total?: unknown }).requests_total
    } catch (error) {
      console.log(`\ntollgate /_metrics unreadable: ${(error as Error).message}`)
    }
    if (total !== undefined) {
      console.log(`\ntollgate /_metrics: requests_total ${String(total)} (wrk completed ${sent - 1} + 1 preflight)`)
      if (typeof total !== 'number' || total < sent) throw new Error('tollgate /_metrics counted fewer requests than it served')
    }
  }

  await writeResults('proxy', { settings, summaries: [...summaries.values()] })
})
