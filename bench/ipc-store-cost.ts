// What a rate-limit decision costs when the state lives in a cluster primary and workers reach it over IPC, against
// a MemoryStore in the worker itself: CPU µs per decision (worker + primary) and decisions/s, interleaved rounds.
//   pnpm exec tsx bench/ipc-store-cost.ts [decisions=40000] [inFlight=64] [rounds=5]
// The measurement behind `--workers N` refusing memory stores (apps/gateway/src/validate-config.ts). Measured on the
// 2-core machine (busy): 64 in flight: memory 0.43–0.55, IPC 9.2–9.3, IPC batched per tick 3.3–4.2 CPU µs/decision;
// 4 in flight: memory 0.38–0.42, IPC 18.8–21.8, batched 10.6–12.3.
import cluster from 'node:cluster'
import { MemoryStore, RateLimitAlgorithm, type LimitRule } from '@tollgate/core'
import { formatTable } from './lib/stats.js'

const [decisionsArg, inFlightArg, roundsArg] = process.argv.slice(2)
const decisions = Number(decisionsArg ?? 40_000)
const inFlight = Number(inFlightArg ?? 64)
const rounds = Number(roundsArg ?? 5)
const rules: LimitRule[] = [{ algorithm: RateLimitAlgorithm.SLIDING_WINDOW, limit: 1e9, windowMs: 60_000 }]

interface Ask {
  id: number
  key: string
  cost: number
}
type Reply = { id: number; allowed: boolean; remaining: number; resetAt: number; retryAfterMs: number }
type Mode = 'memory' | 'ipc' | 'ipc-batched'
const cpuUs = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}

if (cluster.isPrimary) {
  const store = new MemoryStore()
  const answer = (ask: Ask): Reply => {
    const d = store.consumeSync([{ key: ask.key, rules, cost: ask.cost }])
    return { id: ask.id, allowed: d.allowed, remaining: d.remaining, resetAt: d.resetAt, retryAfterMs: d.retryAfterMs }
  }
  const worker = cluster.fork()
  worker.on('message', (message: { asks?: Ask[]; ask?: Ask; mark?: 'start' | 'stop'; mode?: Mode; workerCpuUs?: number; ms?: number }) => {
    if (message.ask) worker.send(answer(message.ask))
    else if (message.asks) worker.send({ replies: message.asks.map(answer) })
    else if (message.mark === 'start') {
      primaryStart = cpuUs()
      worker.send({ go: true })
    } else if (message.mark === 'stop') {
      const primaryUs = cpuUs() - primaryStart
      const total = (message.workerCpuUs ?? 0) + primaryUs
      if (++stops > 3)
        results.push({ mode: message.mode!, cpuPerDecision: total / decisions, perSecond: decisions / ((message.ms ?? 1) / 1000) })
      worker.send({ go: true })
    }
  })
  let primaryStart = 0
  let stops = 0 // the first round of each mode warms up and is not counted
  const results: { mode: Mode; cpuPerDecision: number; perSecond: number }[] = []
  worker.on('exit', () => {
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
    const of = (mode: Mode) => results.filter((r) => r.mode === mode)
    const memoryCpu = median(of('memory').map((r) => r.cpuPerDecision))
    const rows = (['memory', 'ipc', 'ipc-batched'] as const).map((mode) => {
      const cpu = median(of(mode).map((r) => r.cpuPerDecision))
      return [mode, cpu.toFixed(2), (cpu / memoryCpu).toFixed(1), Math.round(median(of(mode).map((r) => r.perSecond))).toLocaleString('en')]
    })
    console.log(`${decisions} decisions per round, ${inFlight} in flight, ${rounds} interleaved rounds, medians:`)
    console.log(formatTable(['store', 'CPU µs/decision (worker+primary)', '× memory', 'decisions/s'], rows))
    process.exit(0)
  })
} else {
  const local = new MemoryStore()
  const pending = new Map<number, (reply: Reply) => void>()
  let nextId = 0
  let batch: Ask[] = []
  let go: (() => void) | undefined
  process.on('message', (message: Reply & { replies?: Reply[]; go?: boolean }) => {
    if (message.go) go?.()
    else if (message.replies) for (const reply of message.replies) settle(reply)
    else settle(message)
  })
  const settle = (reply: Reply) => {
    const done = pending.get(reply.id)
    pending.delete(reply.id)
    done?.(reply)
  }
  const flush = () => {
    process.send!({ asks: batch })
    batch = []
  }
  const consume: Record<Mode, (key: string) => Promise<unknown>> = {
    memory: (key) => local.consume(key, rules, 1),
    ipc: (key) =>
      new Promise((resolve) => {
        const id = nextId++
        pending.set(id, resolve)
        process.send!({ ask: { id, key, cost: 1 } })
      }),
    'ipc-batched': (key) =>
      new Promise((resolve) => {
        const id = nextId++
        pending.set(id, resolve)
        if (batch.push({ id, key, cost: 1 }) === 1) setImmediate(flush)
      }),
  }
  const waitGo = () => new Promise<void>((resolve) => (go = resolve))
  const run = async (mode: Mode) => {
    process.send!({ mark: 'start' })
    await waitGo()
    const startCpu = cpuUs()
    const started = performance.now()
    let issued = 0
    const lane = async () => {
      while (issued < decisions) await consume[mode](`client-${issued++ % 1000}`)
    }
    await Promise.all(Array.from({ length: inFlight }, lane))
    process.send!({ mark: 'stop', mode, workerCpuUs: cpuUs() - startCpu, ms: performance.now() - started })
    await waitGo()
  }
  for (const mode of ['memory', 'ipc', 'ipc-batched'] as const) await run(mode) // warm-up
  for (let r = 0; r < rounds; r++) for (const mode of ['memory', 'ipc', 'ipc-batched'] as const) await run(mode)
  process.exit(0)
}
