// What the cluster primary and its workers tell each other over IPC (node:cluster's JSON channel).
import type { MetricsDump } from '@tollgate/core/metrics'

/** The env variable telling a worker its slot (1..N): stable across restarts, used as its `worker` label. */
export const WORKER_SLOT_ENV = 'TOLLGATE_CLUSTER_WORKER'

export type WorkerMessage =
  /** The gateway listens: the primary counts it ready. */
  | { tollgate: 'listening'; url: string }
  /** /_metrics was asked of this worker: gather every worker's metrics. */
  | { tollgate: 'gather-metrics'; id: number }
  /** This worker's metrics, answering `dump-metrics`. */
  | { tollgate: 'metrics'; id: number; dump: MetricsDump }

export type PrimaryMessage =
  /** Drain and exit (the primary got SIGTERM or SIGINT, or gave up on a crashing worker). */
  | { tollgate: 'shutdown' }
  /** Send your metrics (`metrics` with the same id). */
  | { tollgate: 'dump-metrics'; id: number }
  /** Every worker's metrics merged, answering `gather-metrics` (null: no worker answered in time). */
  | { tollgate: 'merged-metrics'; id: number; dump: MetricsDump | null }

const isMessage = (value: unknown): value is { tollgate: string } =>
  typeof value === 'object' && value !== null && typeof (value as { tollgate?: unknown }).tollgate === 'string'

export const isWorkerMessage = (value: unknown): value is WorkerMessage => isMessage(value)
export const isPrimaryMessage = (value: unknown): value is PrimaryMessage => isMessage(value)
