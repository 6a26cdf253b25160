// Busy processes that load the machine while a test runs, so guarantees are checked on a busy box.
import { spawn, type ChildProcess } from 'node:child_process'

export interface CPUHog {
  /** Kills the busy processes and waits for them to exit. */
  stop(): Promise<void>
}

/**
 * Starts `processes` node processes that spin until stopped (or for at most `maxMs`, so a crashed test leaves
 * nothing behind). Default: two, one per core of a 2-core CI machine.
 * @example
 * const hog = startCPUHog()
 * try { await burst() } finally { await hog.stop() }
 */
export const startCPUHog = (options: { processes?: number; maxMs?: number } = {}): CPUHog => {
  const { processes = 2, maxMs = 120_000 } = options
  const children: ChildProcess[] = []
  for (let i = 0; i < processes; i++) {
    const child = spawn(process.execPath, ['-e', `const end = Date.now() + ${maxMs}; while (Date.now() < end) {}`], {
      stdio: 'ignore',
    })
    child.unref()
    children.push(child)
  }
  return {
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve()
              child.once('exit', () => resolve())
              child.kill('SIGKILL')
            }),
        ),
      )
    },
  }
}
