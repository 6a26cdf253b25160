// Measures several contenders under the same wrk load, interleaved over rounds, and summarises them by medians.
import { setTimeout as sleep } from 'node:timers/promises'
import type { BenchSettings } from './settings.js'
import { formatFixed, formatInteger, formatTable, median } from './stats.js'
import type { RunningTarget, StatsSample } from './target.js'
import { describeErrors, errorCount, runWrk, type LoadOptions, type LoadResult } from './wrk.js'

export interface Contender {
  /** Row name in the table. */
  name: string
  /** What wrk loads, e.g. `${proxy.origin}/api/items/42`. */
  url: string
  /** The process whose CPU time per request is measured (the proxy under test). */
  cpuOf?: RunningTarget
  /** Request shape for this contender (method, headers, body, extra Lua). */
  request?: Pick<LoadOptions, 'method' | 'headers' | 'body' | 'lua'>
  /**
   * Every response must have come from this upstream: it must count at least as many requests during
   * the run as wrk completed. Leave unset where the gateway answers by itself (cache hits, 429s).
   */
  servedBy?: RunningTarget
}

export interface Sample {
  round: number
  load: LoadResult
  /** CPU µs of `cpuOf` per completed request. */
  cpuUsPerRequest?: number
  cpuSource?: StatsSample['source']
  /** Connections the `servedBy` upstream accepted during the run (a pooling proxy opens few, once). */
  upstreamConnections?: number
}

export interface Summary {
  name: string
  /** The measured rounds. */
  samples: Sample[]
  /** The unrecorded warm-up run, if any. */
  warmup?: Sample
  /** Medians over the rounds. */
  rps: number
  p50Ms: number
  p99Ms: number
  cpuUsPerRequest: number
  upstreamConnections: number
  rpsMin: number
  rpsMax: number
}

const PAUSE_MS = 300

/** Sends one request like wrk's and throws unless it is answered with a 2xx. */
const preflight = async (contender: Contender): Promise<void> => {
  const { method = 'GET', headers, body } = contender.request ?? {}
  let response: Response
  try {
    response = await fetch(contender.url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(10_000) })
  } catch (error) {
    throw new Error(`${contender.name}: ${method} ${contender.url} failed: ${(error as Error).message}`, { cause: error })
  }
  const text = await response.text()
  if (response.status < 200 || response.status > 299) {
    throw new Error(`${contender.name}: ${method} ${contender.url} answered ${response.status}, not 2xx: ${text.slice(0, 300)}`)
  }
}

const cpuUs = (sample: StatsSample) => sample.userUs + sample.systemUs

/** One wrk run against one contender, with CPU and upstream accounting around it. */
const measureOnce = async (contender: Contender, settings: BenchSettings, durationS: number, round: number): Promise<Sample> => {
  const [cpuBefore, upstreamBefore] = await Promise.all([contender.cpuOf?.stats(), contender.servedBy?.stats()])
  const load = await runWrk({
    url: contender.url,
    durationS,
    connections: settings.connections,
    threads: settings.threads,
    ...contender.request,
    // The warm-up is not measured, so it can afford wrk's per-response hook that catches 1xx/3xx as well.
    strictStatus: round === 0,
  })
  const [cpuAfter, upstreamAfter] = await Promise.all([contender.cpuOf?.stats(), contender.servedBy?.stats()])
  const where = round === 0 ? 'warm-up' : `round ${round}`

  for (const target of [contender.cpuOf, contender.servedBy]) {
    if (target !== undefined && !target.alive()) {
      throw new Error(`${contender.name} (${where}): process ${target.name} died\n${target.stderrTail()}`)
    }
  }
  if (errorCount(load) > 0) {
    throw new Error(
      `${contender.name} (${where}): ${describeErrors(load)} in ${load.requests} responses — every response must be 2xx`,
    )
  }
  if (load.requests === 0) throw new Error(`${contender.name} (${where}): no request completed`)
  if (contender.servedBy !== undefined) {
    const served = (upstreamAfter?.requests ?? Number.NaN) - (upstreamBefore?.requests ?? Number.NaN)
    if (!(served >= load.requests)) {
      throw new Error(
        `${contender.name} (${where}): wrk completed ${load.requests} requests but upstream ${contender.servedBy.name} ` +
          `served ${served}: some responses did not come from the upstream`,
      )
    }
  }

  const sample: Sample = { round, load }
  const opened = (upstreamAfter?.connections ?? Number.NaN) - (upstreamBefore?.connections ?? Number.NaN)
  if (Number.isFinite(opened)) sample.upstreamConnections = opened
  if (cpuBefore !== undefined && cpuAfter !== undefined) {
    sample.cpuUsPerRequest = (cpuUs(cpuAfter) - cpuUs(cpuBefore)) / load.requests
    sample.cpuSource = cpuAfter.source
  }
  return sample
}

const describeSample = (name: string, width: number, sample: Sample): string => {
  const { load } = sample
  const cpu = sample.cpuUsPerRequest === undefined ? '' : `  CPU ${formatFixed(sample.cpuUsPerRequest, 1)} µs/req`
  const conns = sample.upstreamConnections === undefined ? '' : `  new upstream conns ${sample.upstreamConnections}`
  return (
    `  ${(sample.round === 0 ? 'warm-up' : `round ${sample.round}`).padEnd(8)}  ${name.padEnd(width)}  ` +
    `${formatInteger(load.rps).padStart(7)} req/s  p50 ${formatFixed(load.latencyMs.p50, 2)} ms  ` +
    `p99 ${formatFixed(load.latencyMs.p99, 2)} ms${cpu}${conns}`
  )
}

/**
 * Runs every contender once per round (rotating the order each round so none always goes first),
 * after one unrecorded warm-up run each. Throws on the first error or non-2xx response.
 * @example
 * const summaries = await compare([{ name: 'upstream', url, cpuOf: upstream, servedBy: upstream }], settings)
 */
export const compare = async (contenders: readonly Contender[], settings: BenchSettings): Promise<Map<string, Summary>> => {
  const width = Math.max(...contenders.map((c) => c.name.length))
  const samples = new Map<string, Sample[]>(contenders.map((c) => [c.name, []]))
  const warmups = new Map<string, Sample>()

  for (const contender of contenders) await preflight(contender)

  if (settings.warmupS > 0) {
    for (const contender of contenders) {
      const sample = await measureOnce(contender, settings, settings.warmupS, 0)
      warmups.set(contender.name, sample)
      process.stdout.write(`${describeSample(contender.name, width, sample)}\n`)
      await sleep(PAUSE_MS)
    }
  }
  for (let round = 1; round <= settings.rounds; round++) {
    const shift = (round - 1) % contenders.length
    const order = [...contenders.slice(shift), ...contenders.slice(0, shift)]
    for (const contender of order) {
      const sample = await measureOnce(contender, settings, settings.durationS, round)
      samples.get(contender.name)!.push(sample)
      process.stdout.write(`${describeSample(contender.name, width, sample)}\n`)
      await sleep(PAUSE_MS)
    }
  }

  const summaries = new Map<string, Summary>()
  for (const contender of contenders) {
    const own = samples.get(contender.name)!
    const rps = own.map((s) => s.load.rps)
    summaries.set(contender.name, {
      name: contender.name,
      samples: own,
      ...(warmups.has(contender.name) ? { warmup: warmups.get(contender.name)! } : {}),
      rps: median(rps),
      p50Ms: median(own.map((s) => s.load.latencyMs.p50)),
      p99Ms: median(own.map((s) => s.load.latencyMs.p99)),
      cpuUsPerRequest: median(own.map((s) => s.cpuUsPerRequest ?? Number.NaN)),
      upstreamConnections: median(own.map((s) => s.upstreamConnections ?? Number.NaN)),
      rpsMin: Math.min(...rps),
      rpsMax: Math.max(...rps),
    })
  }
  return summaries
}

/** The summary table: medians over rounds, with the req/s range. */
export const formatSummaries = (summaries: Map<string, Summary>): string => {
  const rows = [...summaries.values()].map((s) => [
    s.name,
    formatInteger(s.rps),
    `${formatInteger(s.rpsMin)}–${formatInteger(s.rpsMax)}`,
    formatFixed(s.p50Ms, 2),
    formatFixed(s.p99Ms, 2),
    // * marks CPU read from /proc (10 ms ticks) because the target did not report process.cpuUsage().
    `${formatFixed(s.cpuUsPerRequest, 1)}${s.samples.some((x) => x.cpuSource === 'proc') ? '*' : ''}`,
    formatInteger(s.upstreamConnections),
  ])
  return formatTable(['target', 'req/s', 'req/s range', 'p50 ms', 'p99 ms', 'CPU µs/req', 'new upstream conns'], rows)
}

export interface Ratio {
  /** Numerator and denominator: contender names. */
  of: string
  to: string
  metric: 'rps' | 'cpu'
  /** Goal to print a verdict against (never fails the suite: this machine is too noisy for that). */
  aim?: { atLeast?: number; atMost?: number }
}

/** Median over rounds of the per-round ratio (runs of one round are close in time, so they share the noise). */
export const ratioOf = (summaries: Map<string, Summary>, ratio: Ratio): number => {
  const of = summaries.get(ratio.of)
  const to = summaries.get(ratio.to)
  if (of === undefined || to === undefined) throw new Error(`ratio ${ratio.of}/${ratio.to}: unknown contender`)
  const value = (s: Sample) => (ratio.metric === 'rps' ? s.load.rps : (s.cpuUsPerRequest ?? Number.NaN))
  const perRound = of.samples.map((s) => {
    const partner = to.samples.find((t) => t.round === s.round)
    return partner === undefined ? Number.NaN : value(s) / value(partner)
  })
  return median(perRound)
}

/** One line per ratio, e.g. `tollgate / bare-proxy   CPU µs/req  1.04×  (aim ≤ 1.10: met)`. */
export const formatRatios = (summaries: Map<string, Summary>, ratios: readonly Ratio[]): string => {
  const labels = ratios.map((r) => `${r.of} / ${r.to}`)
  const width = Math.max(...labels.map((l) => l.length))
  return ratios
    .map((ratio, i) => {
      const value = ratioOf(summaries, ratio)
      const metric = ratio.metric === 'rps' ? 'req/s     ' : 'CPU µs/req'
      let verdict = ''
      if (ratio.aim !== undefined && Number.isFinite(value)) {
        const { atLeast, atMost } = ratio.aim
        const goal = [atLeast === undefined ? '' : `≥ ${atLeast.toFixed(2)}`, atMost === undefined ? '' : `≤ ${atMost.toFixed(2)}`]
          .filter(Boolean)
          .join(' and ')
        const met = (atLeast === undefined || value >= atLeast) && (atMost === undefined || value <= atMost)
        verdict = `  (aim ${goal}: ${met ? 'met' : 'NOT met'})`
      }
      return `${labels[i]!.padEnd(width)}  ${metric}  ${formatFixed(value, 2)}×${verdict}`
    })
    .join('\n')
}
