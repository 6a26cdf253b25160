import { createConsola } from 'consola'
import { describe, expect, it } from 'vitest'
import { EXIT_REQUESTS_CUT, shutdownOnSignals } from './shutdown.js'

const logger = createConsola({ reporters: [] })
// A signal nobody else in the test process listens to; process.emit runs the handlers without a real signal.
const SIGNAL = 'SIGUSR2'

describe('shutdownOnSignals', () => {
  it('stops then exits 0 on the first signal', async () => {
    const exits: number[] = []
    let stops = 0
    const remove = shutdownOnSignals(async () => void stops++, { logger, exit: (code) => exits.push(code), signals: [SIGNAL] })
    process.emit(SIGNAL, SIGNAL)
    await new Promise((r) => setImmediate(r))
    remove()
    expect({ stops, exits }).toEqual({ stops: 1, exits: [0] })
  })

  it('exits 1 at once on a second signal while stop() still drains', () => {
    const exits: number[] = []
    let stops = 0
    const hang = () => {
      stops++
      return new Promise<void>(() => {})
    }
    const remove = shutdownOnSignals(hang, { logger, exit: (code) => exits.push(code), signals: [SIGNAL] })
    process.emit(SIGNAL, SIGNAL)
    expect(exits).toEqual([])
    process.emit(SIGNAL, SIGNAL)
    remove()
    expect({ stops, exits }).toEqual({ stops: 1, exits: [1] })
  })
})

describe('shutdownOnSignals: exit codes and the drain delay', () => {
  const run = async (result: { cut: number } | undefined, interactive: boolean) => {
    const exits: number[] = []
    const asked: unknown[] = []
    const stop = async (options: unknown) => {
      asked.push(options)
      return result
    }
    const remove = shutdownOnSignals(stop, {
      logger,
      exit: (code) => exits.push(code),
      signals: [SIGNAL],
      interactive: interactive ? [SIGNAL] : [],
    })
    process.emit(SIGNAL, SIGNAL)
    await new Promise((r) => setImmediate(r))
    remove()
    return { exits, asked }
  }

  it('exits EXIT_REQUESTS_CUT (3) when stop() reports requests cut at shutdownTimeoutMs, 0 when none', async () => {
    expect((await run({ cut: 2 }, false)).exits).toEqual([EXIT_REQUESTS_CUT])
    expect((await run({ cut: 0 }, false)).exits).toEqual([0])
  })

  it('a terminal signal (SIGINT by default) skips the drain delay; SIGTERM keeps it', async () => {
    expect((await run({ cut: 0 }, true)).asked).toEqual([{ drainDelayMs: 0 }])
    expect((await run({ cut: 0 }, false)).asked).toEqual([{}])
  })
})

describe('shutdownOnSignals with once (a cluster worker)', () => {
  it('ignores a second signal while stop() still drains', () => {
    const exits: number[] = []
    let stops = 0
    const hang = () => {
      stops++
      return new Promise<void>(() => {})
    }
    const remove = shutdownOnSignals(hang, { logger, exit: (code) => exits.push(code), signals: [SIGNAL], once: true })
    process.emit(SIGNAL, SIGNAL)
    process.emit(SIGNAL, SIGNAL)
    remove()
    expect({ stops, exits }).toEqual({ stops: 1, exits: [] })
  })
})
