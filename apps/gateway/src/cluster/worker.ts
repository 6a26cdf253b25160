// A cluster worker: a full gateway on the shared port that drains when the primary says so and reports metrics.
import { dumpMetrics, aggregateMetrics, type MetricsDump } from '@tollgate/core/metrics'
import type { RunningGateway } from '../start-gateway.js'
import { isPrimaryMessage, type WorkerMessage } from './messages.js'

const send = (message: WorkerMessage) => process.send?.(message, undefined, undefined, () => {})

/**
 * Wires a started gateway into the cluster: answers the primary's `dump-metrics`, makes /_metrics report every
 * worker (asking the primary, falling back to this worker's own after `gatherTimeoutMs`), turns the primary's
 * `shutdown` into the drain a SIGTERM starts, then tells the primary it listens.
 */
export const joinCluster = (running: RunningGateway, gatherTimeoutMs = 3_000): void => {
  const metrics = running.gateway.metrics
  const asks = new Map<number, (dump: MetricsDump | null) => void>()
  let asked = 0
  process.on('message', (message: unknown) => {
    if (!isPrimaryMessage(message)) return
    if (message.tollgate === 'shutdown') process.emit('SIGTERM', 'SIGTERM')
    else if (message.tollgate === 'dump-metrics') send({ tollgate: 'metrics', id: message.id, dump: dumpMetrics(metrics) })
    else if (message.tollgate === 'merged-metrics') asks.get(message.id)?.(message.dump)
  })
  aggregateMetrics(
    metrics,
    () =>
      new Promise((resolve) => {
        const id = ++asked
        const answer = (dump: MetricsDump | null) => {
          clearTimeout(timer)
          asks.delete(id)
          resolve(dump ?? dumpMetrics(metrics))
        }
        const timer = setTimeout(() => answer(null), gatherTimeoutMs)
        asks.set(id, answer)
        send({ tollgate: 'gather-metrics', id })
      }),
  )
  send({ tollgate: 'listening', url: running.url })
}
