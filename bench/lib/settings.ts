// Bench settings shared by every suite, read once from the environment.

export interface BenchSettings {
  /** Seconds per measured run (BENCH_DURATION, whole seconds). Default 5. */
  durationS: number
  /** Rounds; every target runs once per round, interleaved (BENCH_ROUNDS). Default 3. */
  rounds: number
  /** Unrecorded seconds per target before round 1, for JIT and connection pools (BENCH_WARMUP; 0 = none). Default 1. */
  warmupS: number
  /** wrk connections (BENCH_CONNECTIONS). Default 64. */
  connections: number
  /** wrk threads (BENCH_THREADS). Default 2. */
  threads: number
  /** Sets of freshly started processes, `rounds` rounds each (BENCH_SETS; suites using compareProcessSets). Default 1. */
  sets: number
}

const DEFAULTS: BenchSettings = { durationS: 5, rounds: 3, warmupS: 1, connections: 64, threads: 2, sets: 1 }

const readInteger = (name: string, fallback: number, min: number): number => {
  const raw = process.env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw}: expected a whole number ≥ ${min}`)
  return value
}

/**
 * Settings from the environment over the suite's defaults.
 * @example
 * const settings = benchSettings()           // BENCH_DURATION=2 BENCH_ROUNDS=1 for a quick try
 */
export const benchSettings = (defaults: Partial<BenchSettings> = {}): BenchSettings => {
  const base = { ...DEFAULTS, ...defaults }
  return {
    durationS: readInteger('BENCH_DURATION', base.durationS, 1),
    rounds: readInteger('BENCH_ROUNDS', base.rounds, 1),
    warmupS: readInteger('BENCH_WARMUP', base.warmupS, 0),
    connections: readInteger('BENCH_CONNECTIONS', base.connections, 1),
    threads: readInteger('BENCH_THREADS', base.threads, 1),
    sets: readInteger('BENCH_SETS', base.sets, 1),
  }
}

/** Time the measuring part of a suite needs, in ms: every run plus ~1 s of checks and pauses per run, in every set. */
export const measuringTimeMs = (settings: BenchSettings, contenders: number): number =>
  settings.sets * contenders * (settings.rounds * (settings.durationS + 1) + (settings.warmupS > 0 ? settings.warmupS + 1 : 0)) * 1_000
