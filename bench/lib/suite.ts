// Lifecycle of one suite process: cleanup on every exit path, a hard time budget, exit code from the outcome.
import { installCleanup, isShuttingDown, terminateAll } from './children.js'

/**
 * Runs a suite's `main` within `budgetMs`; exits 0 when it resolves, 1 when it throws or overruns.
 * Children (targets, wrk) are stopped in every case.
 * @example
 * runSuite('proxy', 180_000, async () => { … })
 */
export const runSuite = (name: string, budgetMs: number, main: () => Promise<void>): void => {
  installCleanup()
  const started = Date.now()
  const finish = async (code: number) => {
    clearTimeout(watchdog)
    await terminateAll()
    process.exit(code)
  }
  const watchdog = setTimeout(() => {
    process.stderr.write(`\nsuite ${name}: over its budget of ${Math.round(budgetMs / 1000)} s, stopping\n`)
    void finish(1)
  }, budgetMs)
  main().then(
    () => {
      process.stdout.write(`\nsuite ${name}: done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`)
      return finish(0)
    },
    (error: unknown) => {
      // Once a signal or the watchdog has begun stopping everything, the errors that follow are its echo.
      if (isShuttingDown()) return finish(1)
      const verbose = process.env.BENCH_DEBUG === '1'
      const message = error instanceof Error ? ((verbose ? error.stack : undefined) ?? error.message) : String(error)
      process.stderr.write(`\nsuite ${name} FAILED: ${message}\n`)
      return finish(1)
    },
  )
}

/** Writes `<BENCH_JSON_DIR>/<suite>.json` when that variable is set, for tracking figures across runs. */
export const writeResults = async (suite: string, data: unknown): Promise<void> => {
  const dir = process.env.BENCH_JSON_DIR
  if (dir === undefined || dir === '') return
  const { mkdir, writeFile } = await import('node:fs/promises')
  const { join } = await import('node:path')
  await mkdir(dir, { recursive: true })
  const file = join(dir, `${suite}.json`)
  await writeFile(file, `${JSON.stringify({ suite, at: new Date().toISOString(), ...(data as object) }, null, 2)}\n`)
  process.stdout.write(`results written to ${file}\n`)
}

/** A banner line, so that suites stand out in `pnpm bench` output. */
export const heading = (text: string): string => `\n${text}\n${'─'.repeat(Math.min(100, text.length))}`
