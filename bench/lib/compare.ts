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
   * Every response must have come from this upstream, or from these together (a pool): they must count at least
   * as many requests during the run as wrk completed. Leave unset where the gateway answers by itself (429s), or
   * use `notServedBy` (cache hits).
   */
  servedBy?: RunningTarget | readonly RunningTarget[]
  /**
   * The gateway answers by itself (cache hits): this upstream may serve at most 1% of the responses wrk completed
   * during the run (an entry that expires mid-run is fetched again), so a cache that does not hit fails the run.
   */
  notServedBy?: RunningTarget
}

export interface Sample {
  round: number
  load: LoadResult
  /** CPU µs of `cpuOf` per completed request. */
  cpuUsPerRequest?: number
  cpuSource?: StatsSample['source']
  /** Connections the `servedBy` (or `notServedBy`) upstreams accepted during the run (a pooling proxy opens few, once). */
  upstreamConnections?: number
  /** Requests those upstreams served during the run. */
  upstreamRequests?: number
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

/** Share of a run's responses that the `notServedBy` upstream may serve (refetches of an expired entry). */
const NOT_SERVED_SHARE = 0.01

/** The upstreams whose counts are checked: `servedBy` (one or a pool), else `notServedBy`. */
const upstreamsOf = (contender: Contender): readonly RunningTarget[] => {
  const { servedBy, notServedBy } = contender
  if (servedBy !== undefined) return ([] as RunningTarget[]).concat(servedBy)
  return notServedBy === undefined ? [] : [notServedBy]
}

/** Requests and connections counted by `upstreams` together; undefined if any does not count them. */
const upstreamCounts = async (upstreams: readonly RunningTarget[]): Promise<{ requests: number; connections: number } | undefined> => {
  if (upstreams.length === 0) return undefined
  const all = await Promise.all(upstreams.map((u) => u.stats()))
  let requests = 0
  let connections = 0
  for (const stats of all) {
    requests += stats?.requests ?? Number.NaN
    connections += stats?.connections ?? Number.NaN
  }
  return { requests, connections }
}

/** One wrk run against one contender, with CPU and upstream accounting around it. */
const measureOnce = async (contender: Contender, settings: BenchSettings, durationS: number, round: number): Promise<Sample> => {
  const upstreams = upstreamsOf(contender)
  const [cpuBefore, upstreamBefore] = await Promise.all([contender.cpuOf?.stats(), upstreamCounts(upstreams)])
  const load = await runWrk({
    url: contender.url,
    durationS,
    connections: settings.connections,
    threads: settings.threads,
    ...contender.request,
    // The warm-up is not measured, so it can afford wrk's per-response hook that catches 1xx/3xx as well.
    strictStatus: round === 0,
  })
  const [cpuAfter, upstreamAfter] = await Promise.all([contender.cpuOf?.stats(), upstreamCounts(upstreams)])
  const where = round === 0 ? 'warm-up' : `round ${round}`

  for (const target of [contender.cpuOf, ...upstreams]) {
    if (target !== undefined && !target.alive()) {
      throw new Error(`${contender.name} (${where}): process ${target.name} died\n${target.stderrTail()}`)
    }
  }
  if (errorCount(load) > 0) {
    throw new Error(`${contender.name} (${where}): ${describeErrors(load)} in ${load.requests} responses — every response must be 2xx`)
  }
  if (load.requests === 0) throw new Error(`${contender.name} (${where}): no request completed`)
  const served = (upstreamAfter?.requests ?? Number.NaN) - (upstreamBefore?.requests ?? Number.NaN)
  const names = upstreams.map((u) => u.name).join(' + ')
  if (contender.servedBy !== undefined && !(served >= load.requests)) {
    throw new Error(
      `${contender.name} (${where}): wrk completed ${load.requests} requests but upstream ${names} ` +
        `served ${served}: some responses did not come from the upstream`,
    )
  }
  if (contender.servedBy === undefined && contender.notServedBy !== undefined && !(served <= load.requests * NOT_SERVED_SHARE)) {
    throw new Error(
      `${contender.name} (${where}): upstream ${names} served ${served} of wrk's ${load.requests} requests ` +
        `(at most ${NOT_SERVED_SHARE * 100}% allowed): the gateway was meant to answer by itself (cache hits)`,
    )
  }

  const sample: Sample = { round, load }
  const opened = (upstreamAfter?.connections ?? Number.NaN) - (upstreamBefore?.connections ?? Number.NaN)
  if (Number.isFinite(opened)) sample.upstreamConnections = opened
  if (Number.isFinite(served)) sample.upstreamRequests = served
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

  return new Map(contenders.map((c) => [c.name, summarize(c.name, samples.get(c.name)!, warmups.get(c.name))]))
}

/** Medians over a contender's rounds. */
const summarize = (name: string, samples: Sample[], warmup: Sample | undefined): Summary => {
  const rps = samples.map((s) => s.load.rps)
  return {
    name,
    samples,
    ...(warmup ? { warmup } : {}),
    rps: median(rps),
    p50Ms: median(samples.map((s) => s.load.latencyMs.p50)),
    p99Ms: median(samples.map((s) => s.load.latencyMs.p99)),
    cpuUsPerRequest: median(samples.map((s) => s.cpuUsPerRequest ?? Number.NaN)),
    upstreamConnections: median(samples.map((s) => s.upstreamConnections ?? Number.NaN)),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
  }
}

/** Contenders on processes started for one set of rounds, and how to stop those processes. */
export interface ProcessSet {
  contenders: Contender[]
  stop(): Promise<void>
}

/**
 * compare() over `sets` sets of freshly started processes, `settings.rounds` rounds each, summarised together (the
 * rounds of set 2 numbered after those of set 1, so per-round ratios still pair runs taken side by side). Two
 * identical processes can differ by a few per cent for their whole life (what their JIT settled on, where their
 * memory landed); several sets keep that luck out of a difference of a few per cent.
 */
export const compareProcessSets = async (
  sets: number,
  start: (set: number) => Promise<ProcessSet>,
  settings: BenchSettings,
): Promise<Map<string, Summary>> => {
  const all = new Map<string, { samples: Sample[]; warmup?: Sample }>()
  for (let set = 1; set <= sets; set++) {
    if (sets > 1) process.stdout.write(`process set ${set} of ${sets}\n`)
    const { contenders, stop } = await start(set)
    try {
      for (const summary of (await compare(contenders, settings)).values()) {
        const entry = all.get(summary.name) ?? { samples: [], warmup: summary.warmup }
        const offset = (set - 1) * settings.rounds
        entry.samples.push(...summary.samples.map((sample) => ({ ...sample, round: sample.round + offset })))
        all.set(summary.name, entry)
      }
    } finally {
      await stop()
    }
  }
  return new Map([...all].map(([name, { samples, warmup }]) => [name, summarize(name, samples, warmup)]))
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
  aim?: Aim
}

/** A goal a figure is printed against: `met` / `NOT met`. */
export interface Aim {
  atLeast?: number
  atMost?: number
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

/** ` (aim ≥ 1.00: met)`, or '' without an aim or a value. */
const verdictOf = (value: number, aim: Aim | undefined, digits: number): string => {
  if (aim === undefined || !Number.isFinite(value)) return ''
  const { atLeast, atMost } = aim
  const goal = [atLeast === undefined ? '' : `≥ ${atLeast.toFixed(digits)}`, atMost === undefined ? '' : `≤ ${atMost.toFixed(digits)}`]
    .filter(Boolean)
    .join(' and ')
  const met = (atLeast === undefined || value >= atLeast) && (atMost === undefined || value <= atMost)
  return `  (aim ${goal}: ${met ? 'met' : 'NOT met'})`
}

/** One line per ratio, e.g. `tollgate / bare-proxy   CPU µs/req  1.04×  (aim ≤ 1.10: met)`. */
export const formatRatios = (summaries: Map<string, Summary>, ratios: readonly Ratio[]): string => {
  const labels = ratios.map((r) => `${r.of} / ${r.to}`)
  const width = Math.max(...labels.map((l) => l.length))
  return ratios
    .map((ratio, i) => {
      const value = ratioOf(summaries, ratio)
      const metric = ratio.metric === 'rps' ? 'req/s     ' : 'CPU µs/req'
      return `${labels[i]!.padEnd(width)}  ${metric}  ${formatFixed(value, 2)}×${verdictOf(value, ratio.aim, 2)}`
    })
    .join('\n')
}

/** A difference of CPU µs per request between two contenders (an added cost, where a ratio hides small ones). */
export interface Difference {
  /** Minuend and subtrahend: contender names. */
  of: string
  to: string
  /** Goal in µs to print a verdict against (never fails the suite). */
  aim?: Aim
}

/** Median over rounds of the per-round difference of CPU µs/req (`of` minus `to`), like `ratioOf`. */
export const differenceOf = (summaries: Map<string, Summary>, difference: Difference): number => {
  const of = summaries.get(difference.of)
  const to = summaries.get(difference.to)
  if (of === undefined || to === undefined) throw new Error(`difference ${difference.of}−${difference.to}: unknown contender`)
  const perRound = of.samples.map((s) => {
    const partner = to.samples.find((t) => t.round === s.round)
    return (s.cpuUsPerRequest ?? Number.NaN) - (partner?.cpuUsPerRequest ?? Number.NaN)
  })
  return median(perRound)
}

/** One line per difference, e.g. `ratelimit-memory − plain  CPU µs/req  +3.1 µs  (aim ≤ 10.0: met)`. */
export const formatDifferences = (summaries: Map<string, Summary>, differences: readonly Difference[]): string => {
  const labels = differences.map((d) => `${d.of} − ${d.to}`)
  const width = Math.max(...labels.map((l) => l.length))
  return differences
    .map((difference, i) => {
      const value = differenceOf(summaries, difference)
      const signed = `${value >= 0 ? '+' : ''}${formatFixed(value, 1)}`
      return `${labels[i]!.padEnd(width)}  CPU µs/req  ${signed} µs${verdictOf(value, difference.aim, 1)}`
    })
    .join('\n')
}
