// The cluster primary: forks the workers, restarts crashed ones, drains them all on SIGTERM/SIGINT, merges metrics.
import cluster, { type Worker } from 'node:cluster'
import type { Logger } from '@tollgate/core'
import { mergeMetricsDumps, type MetricsDump } from '@tollgate/core/metrics'
import { isWorkerMessage, WORKER_SLOT_ENV, type PrimaryMessage, type WorkerMessage } from './messages.js'
import { EXIT_CLEAN, EXIT_FAILED, EXIT_REQUESTS_CUT } from '../shutdown.js'
import { RestartPolicy } from './restart-policy.js'

export interface PrimaryOptions {
  workers: number
  logger: Logger
  /** How long the primary waits for every worker's metrics before merging those it has, in ms. Default 1 000. */
  gatherTimeoutMs?: number
  policy?: RestartPolicy
  /** Default process.exit. */
  exit?: (code: number) => void
  /** Signals that drain the workers (a second one kills them). Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[]
}

/** One worker position (1..N): the worker serving it now, replaced on a crash. */
interface Slot {
  index: number
  worker: Worker | undefined
  forkedAt: number
  listening: boolean
  restartTimer: NodeJS.Timeout | undefined
}

const send = (worker: Worker, message: PrimaryMessage) => {
  if (worker.isConnected()) worker.send(message, () => {}) // a worker exiting meanwhile is handled by its exit
}

const describeExit = (code: number | null, signal: string | null) => (signal ? `signal ${signal}` : `code ${code}`)

/**
 * Runs `workers` gateway processes on the shared port and looks after them until a signal stops them all: exits 0
 * when every worker drained cleanly, 1 when one failed or kept crashing at boot (see RestartPolicy).
 */
export const runPrimary = (options: PrimaryOptions): void => {
  const { workers, logger, gatherTimeoutMs = 1_000, policy = new RestartPolicy(), exit = (code) => process.exit(code) } = options
  const { signals = ['SIGTERM', 'SIGINT'] } = options
  const slots: Slot[] = Array.from({ length: workers }, (_, index) => ({
    index,
    worker: undefined,
    forkedAt: 0,
    listening: false,
    restartTimer: undefined,
  }))
  const name = (slot: Slot) => `worker ${slot.index + 1}${slot.worker ? ` (pid ${slot.worker.process.pid})` : ''}`
  let stopping = false
  let failed = false
  // A worker that drained but had to cut requests at shutdownTimeoutMs exits EXIT_REQUESTS_CUT: so does the primary.
  let cut = false
  const exitCode = () => (failed ? EXIT_FAILED : cut ? EXIT_REQUESTS_CUT : EXIT_CLEAN)
  let announced = false
  let gathers = 0
  const pendingDumps = new Map<number, (slot: Slot, dump: MetricsDump) => void>()

  const fork = (slot: Slot) => {
    slot.restartTimer = undefined
    slot.listening = false
    slot.forkedAt = Date.now()
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.index + 1) })
    slot.worker = worker
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message)) onMessage(slot, worker, message)
    })
    worker.on('exit', (code, signal) => onExit(slot, worker, code, signal))
  }

  const onMessage = (slot: Slot, worker: Worker, message: WorkerMessage) => {
    if (message.tollgate === 'listening') {
      slot.listening = true
      if (stopping) send(worker, { tollgate: 'shutdown' })
      else if (announced) logger.info(`${name(slot)} is serving again`)
      else if (slots.every((s) => s.listening)) {
        announced = true
        logger.info(`${workers} workers listening on ${message.url} (primary pid ${process.pid})`)
      }
    } else if (message.tollgate === 'gather-metrics') {
      void gather(slot).then((dump) => send(worker, { tollgate: 'merged-metrics', id: message.id, dump }))
    } else if (message.tollgate === 'metrics') {
      pendingDumps.get(message.id)?.(slot, message.dump)
    }
  }

  /** Every serving worker's metrics merged, the asking worker's first (its sections are the ones kept). */
  const gather = (asking: Slot) =>
    new Promise<MetricsDump | null>((resolve) => {
      const id = ++gathers
      const targets = slots.filter((s) => s.worker && s.listening)
      const dumps = new Map<Slot, MetricsDump>()
      const finish = () => {
        clearTimeout(timer)
        pendingDumps.delete(id)
        const order = [asking, ...targets.filter((s) => s !== asking)].filter((s) => dumps.has(s))
        if (order.length === 0) return resolve(null)
        const merged = mergeMetricsDumps(
          order.map((s) => dumps.get(s)!),
          order.map((s) => String(s.index + 1)),
        )
        merged.sections.workers = slots.map((s) => ({
          worker: s.index + 1,
          pid: s.worker?.process.pid ?? null,
          reported: dumps.has(s),
          requests_total: dumps.get(s)?.overall.requestsTotal ?? null,
          // Summed above; per worker here, where a sum means nothing (event loop lag, memory per process).
          gauges: dumps.get(s)?.gauges ?? null,
        }))
        resolve(merged)
      }
      const timer = setTimeout(finish, gatherTimeoutMs)
      pendingDumps.set(id, (slot, dump) => {
        dumps.set(slot, dump)
        if (dumps.size === targets.length) finish()
      })
      for (const s of targets) send(s.worker!, { tollgate: 'dump-metrics', id })
    })

  const onExit = (slot: Slot, worker: Worker, code: number | null, signal: string | null) => {
    if (slot.worker !== worker) return
    const wasListening = slot.listening
    const uptimeMs = Date.now() - slot.forkedAt
    const label = name(slot)
    slot.worker = undefined
    slot.listening = false
    if (stopping) {
      // A worker stopped while it was still booting was killed by us: not a failure.
      if (code === EXIT_REQUESTS_CUT && wasListening) cut = true
      else if (code !== 0 && wasListening) {
        failed = true
        logger.error(`${label} exited with ${describeExit(code, signal)} while draining`)
      }
      if (slots.every((s) => !s.worker)) {
        logger.info(failed ? 'stopped, with a worker failure' : cut ? 'stopped; a worker cut requests at shutdownTimeoutMs' : 'stopped')
        exit(exitCode())
      }
      return
    }
    const decision = policy.onExit(slot.index, uptimeMs)
    if (decision.restart) {
      logger.warn(`${label} exited with ${describeExit(code, signal)}: restarting it in ${decision.delayMs} ms`)
      slot.restartTimer = setTimeout(() => fork(slot), decision.delayMs)
      return
    }
    logger.error(
      `${label} exited with ${describeExit(code, signal)}, its ${decision.fastCrashes}th crash in a row within ` +
        `${policy.fastCrashMs / 1000} s of starting: giving up, stopping the other workers`,
    )
    failed = true
    stop()
  }

  const stop = () => {
    stopping = true
    for (const slot of slots) {
      clearTimeout(slot.restartTimer)
      if (!slot.worker) continue
      if (slot.listening) send(slot.worker, { tollgate: 'shutdown' })
      else slot.worker.process.kill('SIGTERM') // still booting: nothing to drain
    }
    if (slots.every((s) => !s.worker)) exit(exitCode())
  }

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: killing the workers without waiting for in-flight requests`)
      for (const slot of slots) slot.worker?.process.kill('SIGKILL')
      exit(1)
      return
    }
    logger.info(`${signal} received: draining ${workers} workers (send it again to force the exit)`)
    stop()
  }
  for (const signal of signals) process.on(signal, onSignal)
  for (const slot of slots) fork(slot)
}
