// Spawns child processes that the bench owns and makes sure none outlives it (exit, error, SIGINT, SIGTERM).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** tsx's ESM loader, so that children run TypeScript as `node --import <tsx> file.ts`: one process, whose pid is the target's. */
export const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href

const owned = new Set<ChildProcess>()

/** Spawns a process and registers it for cleanup. */
export const spawnOwned = (command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess => {
  const child = spawn(command, args, options)
  owned.add(child)
  child.once('exit', () => owned.delete(child))
  // A spawn failure (ENOENT) arrives as 'error'; the caller decides what it means, but it must not crash us unhandled.
  child.once('error', () => owned.delete(child))
  return child
}

/** Spawns `node --import tsx <script>` with an IPC channel; the script sees `process.send` and exits when we go away. */
export const spawnTypeScript = (
  script: string | URL,
  args: readonly string[] = [],
  options: Omit<SpawnOptions, 'stdio'> & { stdio?: 'pipe' | 'inherit'; nodeArgs?: readonly string[] } = {},
): ChildProcess => {
  const path = script instanceof URL ? fileURLToPath(script) : script
  const { stdio: io = 'pipe', nodeArgs = [], ...rest } = options
  return spawnOwned(process.execPath, [...nodeArgs, '--import', tsxLoader, path, ...args], {
    ...rest,
    stdio: [io === 'pipe' ? 'ignore' : 'inherit', io, io, 'ipc'],
  })
}

/** Sends SIGTERM to a child, then SIGKILL if it has not exited after `graceMs`. Resolves once it has exited. */
export const terminate = (child: ChildProcess, graceMs = 3_000): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    timer.unref()
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

let shuttingDown = false

/** True once terminateAll() has begun: children exiting from then on are expected to. */
export const isShuttingDown = (): boolean => shuttingDown

/** Terminates every child still running (in parallel). */
export const terminateAll = async (graceMs?: number): Promise<void> => {
  shuttingDown = true
  await Promise.all([...owned].map((child) => terminate(child, graceMs)))
}

/** Last resort, synchronous: used from 'exit', where nothing async runs any more. */
const killAllNow = () => {
  for (const child of owned) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}

let installed = false

/**
 * Makes this process clean up its children on every way out, and exit when its own parent
 * (bench/run.ts, over IPC) disappears. Call once at the top of a suite or runner.
 */
export const installCleanup = (): void => {
  if (installed) return
  installed = true
  process.once('exit', killAllNow)
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    // A child of bench/run.ts stays quiet: the runner reports for everyone.
    if (process.send === undefined) process.stderr.write(`\n${signal}: stopping child processes…\n`)
    void terminateAll(1_000).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  if (process.send !== undefined) {
    process.once('disconnect', () => {
      void terminateAll(1_000).finally(() => process.exit(1))
    })
  }
}
