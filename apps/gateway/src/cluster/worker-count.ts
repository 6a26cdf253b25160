// How many gateway processes a config asks for: `workers` (flag, TOLLGATE_WORKERS or file), "auto" = the cores.
import { availableParallelism } from 'node:os'

/** 1 when unset (one process, no cluster). */
export const workerCount = (workers: number | 'auto' | undefined): number => (workers === 'auto' ? availableParallelism() : (workers ?? 1))
