// Graceful shutdown on SIGTERM/SIGINT: the first signal drains and exits 0, a second one forces the exit.
import type { Logger } from '@tollgate/core'

export interface ShutdownOptions {
  logger: Logger
  /** Exit the process; injectable for tests. Default process.exit. */
  exit?: (code: number) => void
  signals?: readonly NodeJS.Signals[]
  /** Ignore signals after the first instead of forcing the exit (a cluster worker: its primary forces it). */
  once?: boolean
}

/**
 * Calls `stop` on the first SIGTERM or SIGINT, then exits 0 (1 if stopping failed); a second signal exits at once.
 * Returns a function that removes the handlers.
 */
export const shutdownOnSignals = (stop: () => Promise<void>, options: ShutdownOptions): (() => void) => {
  const { logger, exit = (code) => process.exit(code), signals = ['SIGTERM', 'SIGINT'], once = false } = options
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping && once) return
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting for in-flight requests`)
      exit(1)
      return
    }
    stopping = true
    logger.info(`${signal} received: draining in-flight requests${once ? '' : ' (send it again to force the exit)'}`)
    stop().then(
      () => {
        logger.info('stopped')
        exit(0)
      },
      (error: unknown) => {
        logger.error('stop failed:', error)
        exit(1)
      },
    )
  }
  for (const signal of signals) process.on(signal, onSignal)
  return () => {
    for (const signal of signals) process.off(signal, onSignal)
  }
}
