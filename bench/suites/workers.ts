// `tollgate --workers 2` against `--workers 1`: the deployable gateway (apps/gateway) forwarding the same small request.
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { startRedisServer } from '@tollgate/core/testing'
import { spawnTypeScript, terminate } from '../lib/children.js'
import { compare, formatRatios, formatSummaries, type Ratio } from '../lib/compare.js'
import { readProcCpu } from '../lib/proc-cpu.js'
import { benchSettings, measuringTimeMs } from '../lib/settings.js'
import { formatFixed, formatTable } from '../lib/stats.js'
import { heading, runSuite, writeResults } from '../lib/suite.js'
import { startTarget, type RunningTarget, type StatsSample } from '../lib/target.js'
import { BENCH_PATH, BENCH_PREFIX, DECOY_PREFIXES, DECOY_UPSTREAM } from '../targets/shared.js'

// Each worker warms its own JIT on half the requests: with 3 s, --workers 2 still ran at a fifth of its speed in the
// first rounds here, so the warm-up is longer than the single-process suites'.
const settings = benchSettings({ rounds: 5, durationS: 4, warmupS: 8 })
const main = new URL('../../apps/gateway/src/main.ts', import.meta.url)
/** WORKERS_UPSTREAM=node uses the node:http upstream of the other suites; default raw (see the suite's output). */
const upstreamKind = process.env.WORKERS_UPSTREAM === 'node' ? 'node' : 'raw'
const LISTENING = /(?:\d+ workers|Tollgate) listening on (http:\/\/127\.0\.0\.1:\d+)/

/** A process and its children (a cluster primary and its workers): /proc lists them per thread. */
const processTree = (pid: number): number[] => {
  let children: number[] = []
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    // gone
  }
  return [pid, ...children.flatMap(processTree)]
}

/** CPU time of the whole process tree from /proc (10 ms ticks: fine over runs of seconds). */
const treeCpu = async (pid: number): Promise<StatsSample | undefined> => {
  const all = await Promise.all(processTree(pid).map(readProcCpu))
  if (all[0] === undefined) return undefined
  const known = all.filter((cpu) => cpu !== undefined)
  return { userUs: known.reduce((s, c) => s + c.userUs, 0), systemUs: known.reduce((s, c) => s + c.systemUs, 0), source: 'proc' }
}

/** Starts `apps/gateway` (as `pnpm start` does) with `--workers n`; resolves once every worker listens. */
const startGatewayApp = async (name: string, config: string, workers: number): Promise<RunningTarget> => {
  const child: ChildProcess = spawnTypeScript(main, ['--config', config, '--workers', String(workers)], {
    cwd: new URL('../../apps/gateway/', import.meta.url),
    env: { ...process.env, LOG_LEVEL: 'info' },
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not listening after 60 s:\n${output}`)), 60_000)
    const read = (chunk: Buffer) => {
      // Only the tail is kept: a long run must not make every chunk rescan all output so far.
      output = (output + chunk.toString()).slice(-20_000)
      const match = LISTENING.exec(workers > 1 ? output.replace(/Tollgate listening/g, '') : output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
    child.once('exit', (code) => reject(new Error(`${name}: exited with code ${code} before listening:\n${output}`)))
  })
  const alive = () => child.exitCode === null && child.signalCode === null
  return {
    name,
    pid: child.pid!,
    port: Number(new URL(url).port),
    origin: url,
    details: {},
    stats: () => (alive() ? treeCpu(child.pid!) : Promise.resolve(undefined)),
    stderrTail: () => output.split('\n').slice(-20).join('\n'),
    alive,
    stop: () => terminate(child, 10_000),
  }
}

runSuite('workers', measuringTimeMs(settings, 2) + 120_000, async () => {
  const cores = availableParallelism()
  console.log(
    heading(
      `workers: apps/gateway --workers 2 vs --workers 1 (shared Redis, no limits), GET ${BENCH_PATH}; wrk -t${settings.threads} ` +
        `-c${settings.connections}, ${settings.rounds} round(s) × ${settings.durationS} s, warm-up ${settings.warmupS} s; ${cores} cores; ` +
        `upstream: ${upstreamKind === 'raw' ? 'raw TCP (pre-built response, the least CPU an upstream can take)' : 'node:http'}`,
    ),
  )
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-bench-workers-'))
  const redis = await startRedisServer()
  try {
    const upstreamScript = upstreamKind === 'raw' ? '../targets/raw-upstream.ts' : '../targets/upstream.ts'
    const upstream = await startTarget({ name: 'upstream', script: new URL(upstreamScript, import.meta.url) })
    const config = join(dir, 'tollgate.json')
    const routes = [
      { prefix: BENCH_PREFIX, upstream: upstream.origin },
      ...DECOY_PREFIXES.map((prefix) => ({ prefix, upstream: DECOY_UPSTREAM })),
    ]
    // The app logs every request by default: measured on its own by the observability suite, off here.
    await writeFile(config, JSON.stringify({ port: 0, host: '127.0.0.1', redisUrl: redis.url, accessLog: false, routes }))
    const one = await startGatewayApp('workers-1', config, 1)
    const two = await startGatewayApp('workers-2', config, 2)

    const upstreamBefore = await upstream.stats()
    const summaries = await compare(
      [one, two].map((target) => ({ name: target.name, url: `${target.origin}${BENCH_PATH}`, cpuOf: target, servedBy: upstream })),
      settings,
    )
    const ratios: Ratio[] = [
      { of: 'workers-2', to: 'workers-1', metric: 'rps', aim: { atLeast: 1.5 } },
      { of: 'workers-2', to: 'workers-1', metric: 'cpu' },
    ]
    const upstreamAfter = await upstream.stats()
    const upstreamUs =
      upstreamBefore && upstreamAfter
        ? (upstreamAfter.userUs + upstreamAfter.systemUs - upstreamBefore.userUs - upstreamBefore.systemUs) /
          ((upstreamAfter.requests ?? 0) - (upstreamBefore.requests ?? 0))
        : Number.NaN
    console.log(heading('workers: medians over rounds (CPU µs/req: the primary and all its workers together)'))
    console.log(formatSummaries(summaries))
    console.log(heading('workers: ratios (median of per-round ratios)'))
    console.log(formatRatios(summaries, ratios))
    // Cores the gateway kept busy: req/s × CPU per request. What it could serve with whole cores of its own follows.
    const rows = [...summaries.values()].map((s) => {
      const busy = (s.rps * s.cpuUsPerRequest) / 1e6
      return [s.name, formatFixed(busy, 2), formatFixed(1e6 / s.cpuUsPerRequest, 0)]
    })
    console.log(heading('workers: gateway cores in use (req/s × CPU µs/req) and req/s per gateway core'))
    console.log(formatTable(['target', 'cores busy', 'req/s per core'], rows))
    console.log(
      `\nHow to read it: on this ${cores}-core machine wrk and the upstream run on the same cores as the gateway (there` +
        ' is no third core to pin them to), so --workers 2 gets the two cores minus what they take. To leave the gateway' +
        ` most of them, the upstream is ${upstreamKind === 'raw' ? 'made cheap: a raw TCP server writing a pre-built response' : 'the node:http one of the other suites'}` +
        ` (${formatFixed(upstreamUs, 1)} CPU µs/req over the whole run, against the gateway's ~${formatFixed(summaries.get('workers-1')?.cpuUsPerRequest ?? Number.NaN, 0)}).` +
        ' The aim (≥ 1.5× req/s "when the upstream runs on another core budget") is judged on the measured ratio as is.' +
        ' "cores busy" is how much of the machine each gateway used; "req/s per core" equal in both rows means a worker' +
        ' costs what a single process costs per request, so with cores of its own --workers N scales with N.',
    )
    await writeResults('workers', { settings, cores, summaries: [...summaries.values()] })
    await Promise.all([one.stop(), two.stop(), upstream.stop()])
  } finally {
    await redis.close()
    await rm(dir, { recursive: true, force: true })
  }
})
