// Graceful shutdown on SIGTERM/SIGINT: the first signal drains and exits (0, or EXIT_REQUESTS_CUT), a second forces it.
import type { Logger, StopOptions, StopResult } from '@tollgate/core'

/** Exit codes of a stop: clean, stopped but requests were cut at shutdownTimeoutMs, or failed / forced. */
export const EXIT_CLEAN = 0
export const EXIT_FAILED = 1
export const EXIT_REQUESTS_CUT = 3

export interface ShutdownOptions {
  logger: Logger
  /** Exit the process; injectable for tests. Default process.exit. */
  exit?: (code: number) => void
  signals?: readonly NodeJS.Signals[]
  /** Signals a person sends from a terminal: they skip the drain delay. Default SIGINT (Ctrl-C). */
  interactive?: readonly NodeJS.Signals[]
  /** Ignore signals after the first instead of forcing the exit (a cluster worker: its primary forces it). */
  once?: boolean
}

/**
 * Calls `stop` on the first SIGTERM or SIGINT, then exits 0, or EXIT_REQUESTS_CUT (3) when requests were cut at
 * shutdownTimeoutMs, or 1 when stopping failed; a second signal exits 1 at once. SIGTERM (what orchestrators send)
 * drains for `drainDelayMs` first; SIGINT (Ctrl-C in a terminal) skips that delay. Returns a function that removes the handlers.
 */
export const shutdownOnSignals = (stop: (options: StopOptions) => Promise<StopResult | void>, options: ShutdownOptions): (() => void) => {
  const {
    logger,
    exit = (code) => process.exit(code),
    signals = ['SIGTERM', 'SIGINT'],
    interactive: fromTerminal = ['SIGINT'],
    once = false,
  } = options
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping && once) return
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting for in-flight requests`)
      exit(EXIT_FAILED)
      return
    }
    stopping = true
    const interactive = fromTerminal.includes(signal)
    logger.info(
      `${signal} received: ${interactive ? '' : 'readiness fails for the drain delay, then '}draining in-flight requests${once ? '' : ' (send it again to force the exit)'}`,
    )
    stop(interactive ? { drainDelayMs: 0 } : {}).then(
      (result) => {
        const cut = result?.cut ?? 0
        logger.info(cut > 0 ? `stopped; ${cut} request(s) cut at shutdownTimeoutMs: exit code ${EXIT_REQUESTS_CUT}` : 'stopped')
        exit(cut > 0 ? EXIT_REQUESTS_CUT : EXIT_CLEAN)
      },
      (error: unknown) => {
        logger.error('stop failed:', error)
        exit(EXIT_FAILED)
      },
    )
  }
  for (const signal of signals) process.on(signal, onSignal)
  return () => {
    for (const signal of signals) process.off(signal, onSignal)
  }
}
