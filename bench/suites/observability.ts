// What request IDs, trace propagation and the access log cost: Tollgate plain (IDs + traceparent, no log) vs the
// same with the access log on (pino to a file, or /dev/null) and with tracing off, interleaved over rounds.
import { statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

const settings = benchSettings({ rounds: 4, durationS: 4 })
const script = (file: string) => new URL(`../targets/${file}`, import.meta.url)
const url = (target: RunningTarget) => `${target.origin}${BENCH_PATH}`
const CONTROL = 'plain-2'

// Issue 15's aim: access logging + request IDs cost at most 5% of req/s.
const RATIOS: Ratio[] = [
  { of: 'access-log-file', to: 'plain', metric: 'rps', aim: { atLeast: 0.95 } },
  { of: 'access-log-devnull', to: 'plain', metric: 'rps', aim: { atLeast: 0.95 } },
  { of: 'access-log-file', to: 'no-tracing', metric: 'rps', aim: { atLeast: 0.95 } },
  { of: 'plain', to: 'no-tracing', metric: 'rps' },
  { of: CONTROL, to: 'plain', metric: 'rps' },
]
const DIFFERENCES: Difference[] = [
  { of: 'access-log-file', to: 'plain' },
  { of: 'access-log-devnull', to: 'plain' },
  { of: 'plain', to: 'no-tracing' },
  { of: CONTROL, to: 'plain' },
]

runSuite('observability', measuringTimeMs(settings, 5) + 90_000, async () => {
  console.log(
    heading(
      `observability: tollgate plain (request IDs + traceparent), no-tracing, access-log-file, access-log-devnull, ${CONTROL} — ` +
        `GET ${BENCH_PATH}; wrk -t${settings.threads} -c${settings.connections}, ${settings.rounds} round(s) × ${settings.durationS} s`,
    ),
  )
  const logDir = await mkdtemp(join(tmpdir(), 'tollgate-bench-'))
  const logFile = join(logDir, 'access.log')
  const upstream = await startTarget({ name: 'upstream', script: script('upstream.ts') })
  const tollgate = (name: string, env: Record<string, string> = {}) =>
    startTarget({ name, script: script('tollgate.ts'), env: { UPSTREAM_URL: upstream.origin, TOLLGATE_SCENARIO: 'plain', ...env } })
  const targets = await Promise.all([
    tollgate('plain'),
    tollgate('no-tracing', { TOLLGATE_TRACING: 'off' }),
    tollgate('access-log-file', { TOLLGATE_ACCESS_LOG: logFile }),
    tollgate('access-log-devnull', { TOLLGATE_ACCESS_LOG: '/dev/null' }),
    tollgate(CONTROL),
  ])
  const contenders: Contender[] = targets.map((target) => ({ name: target.name, url: url(target), cpuOf: target, servedBy: upstream }))
  const summaries = await compare(contenders, settings)

  console.log(heading('observability: medians over rounds (CPU µs/req: the gateway process alone)'))
  console.log(formatSummaries(summaries))
  console.log(heading('observability: ratios and CPU differences (median of per-round values)'))
  console.log(formatRatios(summaries, RATIOS))
  console.log(formatDifferences(summaries, DIFFERENCES))
  const floor = Math.abs(differenceOf(summaries, { of: CONTROL, to: 'plain' }))
  console.log(`noise floor: |${CONTROL} − plain| = ${floor.toFixed(1)} µs`)
  const bytes = statSync(logFile).size
  const logged = summaries.get('access-log-file')!
  const requests = [...logged.samples, ...(logged.warmup ? [logged.warmup] : [])].reduce((sum, s) => sum + s.load.requests, 0)
  console.log(`access log file: ${bytes} bytes for ~${requests} requests (${requests ? Math.round(bytes / requests) : 0} bytes/line)`)
  await rm(logDir, { recursive: true, force: true })
  if (bytes === 0) throw new Error('access-log-file: the access log file is empty')
  await writeResults('observability', { settings, summaries: [...summaries.values()] })
})
