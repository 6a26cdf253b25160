// What request IDs, trace propagation and the access log cost: Tollgate plain (IDs + traceparent, no log) vs the
// same with the access log on (to a file, or /dev/null) and with tracing off, interleaved over rounds, on several sets
// of fresh processes (the aim is 5 %: about what one process can differ from an identical one for its whole life).
import { createReadStream, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compareProcessSets,
  differenceOf,
  formatDifferences,
  formatRatios,
  formatSummaries,
  type Difference,
  type Ratio,
} from '../lib/compare.js'
import { benchSettings, measuringTimeMs } from '../lib/settings.js'
import { heading, runSuite, writeResults } from '../lib/suite.js'
import { startTarget, type RunningTarget } from '../lib/target.js'
import { BENCH_PATH } from '../targets/shared.js'

const settings = benchSettings({ sets: 2, rounds: 5, durationS: 3 })
const script = (file: string) => new URL(`../targets/${file}`, import.meta.url)
const url = (target: RunningTarget) => `${target.origin}${BENCH_PATH}`
const CONTROL = 'plain-2'

// Issue 15's aim: access logging + request IDs cost at most 5% of req/s. Request IDs have no off switch (every target
// has them), so the aim is the log on against off; what trace propagation adds is its own line, and so is both together.
const RATIOS: Ratio[] = [
  { of: 'access-log-file', to: 'plain', metric: 'rps', aim: { atLeast: 0.95 } },
  { of: 'access-log-devnull', to: 'plain', metric: 'rps', aim: { atLeast: 0.95 } },
  { of: 'access-log-file', to: 'no-tracing', metric: 'rps' },
  { of: 'plain', to: 'no-tracing', metric: 'rps' },
  { of: CONTROL, to: 'plain', metric: 'rps' },
]
const DIFFERENCES: Difference[] = [
  { of: 'access-log-file', to: 'plain' },
  { of: 'access-log-devnull', to: 'plain' },
  { of: 'plain', to: 'no-tracing' },
  { of: CONTROL, to: 'plain' },
]

const countLines = async (file: string): Promise<number> => {
  let lines = 0
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++
  }
  return lines
}

runSuite('observability', measuringTimeMs(settings, 5) + 90_000, async () => {
  console.log(
    heading(
      `observability: tollgate plain (request IDs + traceparent), no-tracing, access-log-file, access-log-devnull, ${CONTROL} — ` +
        `GET ${BENCH_PATH}; wrk -t${settings.threads} -c${settings.connections}, ${settings.sets} process set(s) × ${settings.rounds} round(s) × ${settings.durationS} s`,
    ),
  )
  const logDir = await mkdtemp(join(tmpdir(), 'tollgate-bench-'))
  const logFile = join(logDir, 'access.log')
  const upstream = await startTarget({ name: 'upstream', script: script('upstream.ts') })
  const tollgate = (name: string, env: Record<string, string> = {}) =>
    startTarget({ name, script: script('tollgate.ts'), env: { UPSTREAM_URL: upstream.origin, TOLLGATE_SCENARIO: 'plain', ...env } })
  const summaries = await compareProcessSets(
    settings.sets,
    async () => {
      const targets = await Promise.all([
        tollgate('plain'),
        tollgate('no-tracing', { TOLLGATE_TRACING: 'off' }),
        tollgate('access-log-file', { TOLLGATE_ACCESS_LOG: logFile }),
        tollgate('access-log-devnull', { TOLLGATE_ACCESS_LOG: '/dev/null' }),
        tollgate(CONTROL),
      ])
      return {
        contenders: targets.map((target) => ({ name: target.name, url: url(target), cpuOf: target, servedBy: upstream })),
        stop: async () => void (await Promise.all(targets.map((target) => target.stop()))),
      }
    },
    settings,
  )

  console.log(heading('observability: medians over rounds (CPU µs/req: the gateway process alone)'))
  console.log(formatSummaries(summaries))
  console.log(heading('observability: ratios and CPU differences (median of per-round values)'))
  console.log(formatRatios(summaries, RATIOS))
  console.log(formatDifferences(summaries, DIFFERENCES))
  const floor = Math.abs(differenceOf(summaries, { of: CONTROL, to: 'plain' }))
  console.log(`noise floor: |${CONTROL} − plain| = ${floor.toFixed(1)} µs`)
  const bytes = statSync(logFile).size
  const lines = await countLines(logFile)
  console.log(`access log file: ${bytes} bytes, ${lines} lines (${lines ? Math.round(bytes / lines) : 0} bytes/line)`)
  await rm(logDir, { recursive: true, force: true })
  if (bytes === 0) throw new Error('access-log-file: the access log file is empty')
  await writeResults('observability', { settings, summaries: [...summaries.values()] })
})
