// Starts a target server process (a TypeScript file run with tsx), waits for its port, and queries its CPU time.
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { isShuttingDown, spawnTypeScript, terminate } from './children.js'
import { readProcCpu } from './proc-cpu.js'
import type { TargetStats } from './target-runtime.js'

export interface TargetSpec {
  /** Short name used in tables and log prefixes. */
  name: string
  /** The target's TypeScript file; it must call `announce(port)` from target-runtime.ts. */
  script: string | URL
  /** Extra environment for the process (merged over ours), e.g. `{ UPSTREAM_URL, TOLLGATE_SCENARIO }`. */
  env?: Record<string, string>
  args?: string[]
  /** Time allowed from spawn to `LISTENING <port>`. Default 30 000 (tsx compiles on a busy machine). */
  readyTimeoutMs?: number
}

/** CPU time (and, when the target counts them, requests served) at one instant. */
export interface StatsSample extends TargetStats {
  /** 'process': reported by process.cpuUsage() over IPC (µs); 'proc': read from /proc (10 ms ticks). */
  source: 'process' | 'proc'
}

export interface RunningTarget {
  readonly name: string
  readonly pid: number
  readonly port: number
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** What the target announced for the suite (`announce(port, { details })`), e.g. `{ apiKey }`; `{}` when nothing. */
  readonly details: Readonly<Record<string, string>>
  /** Current CPU time of the process; undefined once it has gone. */
  stats(): Promise<StatsSample | undefined>
  /** The last lines the process wrote to stderr (for error messages). */
  stderrTail(): string
  /** True while the process runs. */
  alive(): boolean
  stop(): Promise<void>
}

const STDERR_SHOWN = 40
const STDERR_KEPT = 20
const STATS_TIMEOUT_MS = 2_000

let nextQueryId = 1

/** Where BENCH_PROFILE=<target>[,<target>] makes targets write V8 CPU profiles (open them in Chrome DevTools). */
export const profileDir = fileURLToPath(new URL('../profiles/', import.meta.url))

const profiled = (name: string): boolean => {
  const wanted = (process.env.BENCH_PROFILE ?? '').split(',').map((n) => n.trim())
  return wanted.includes(name) || wanted.includes('all')
}

/**
 * Spawns a target and resolves once it has printed `LISTENING <port>`.
 * @example
 * const upstream = await startTarget({ name: 'upstream', script: new URL('../targets/upstream.ts', import.meta.url) })
 */
export const startTarget = (spec: TargetSpec): Promise<RunningTarget> => {
  const child = spawnTypeScript(spec.script, spec.args ?? [], {
    env: { ...process.env, ...spec.env },
    // One file per thread (tsx's loader runs in a worker): the main thread's is CPU.<date>.<time>.<pid>.0.*.cpuprofile.
    nodeArgs: profiled(spec.name) ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  })
  if (profiled(spec.name)) {
    process.stderr.write(`[${spec.name}] pid ${child.pid}: writes CPU.*.${child.pid}.0.*.cpuprofile to ${profileDir} when it stops\n`)
  }
  const tail: string[] = []
  let shown = 0

  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail.push(line)
    if (tail.length > STDERR_KEPT) tail.shift()
    if (shown < STDERR_SHOWN) process.stderr.write(`[${spec.name}] ${line}\n`)
    else if (shown === STDERR_SHOWN) process.stderr.write(`[${spec.name}] (further stderr lines suppressed)\n`)
    shown++
  })

  return new Promise<RunningTarget>((resolve, reject) => {
    const timeoutMs = spec.readyTimeoutMs ?? 30_000
    const fail = (reason: string) => {
      clearTimeout(timer)
      void terminate(child)
      const stderr = tail.length > 0 ? `\n  stderr:\n    ${tail.join('\n    ')}` : ''
      reject(new Error(`target ${spec.name}: ${reason}${stderr}`))
    }
    const timer = setTimeout(() => fail(`not listening after ${timeoutMs} ms`), timeoutMs)
    const onError = (error: Error) => fail(`could not start (${error.message})`)
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited before listening (code ${code}, signal ${signal})`)
    child.once('error', onError)
    // 'close', not 'exit': by then stderr has been read to its end, so the error shows all of it.
    child.once('close', onExit)

    const stdout = createInterface({ input: child.stdout! })
    stdout.on('line', (line) => {
      const match = /^LISTENING (\d+)(?: (\{.*\}))?$/.exec(line.trim())
      if (match === null) return
      let details: Record<string, string> = {}
      try {
        if (match[2] !== undefined) details = parseDetails(match[2])
      } catch (error) {
        return fail(`announced unreadable details (${(error as Error).message})`)
      }
      clearTimeout(timer)
      child.off('close', onExit)
      child.off('error', onError)
      // Keep draining stdout so that a chatty target never blocks on a full pipe.
      stdout.removeAllListeners('line')
      stdout.on('line', () => undefined)
      resolve(running(spec.name, child, Number(match[1]), details, tail))
    })
  })
}

/** The JSON object of strings a target may append to its LISTENING line. */
const parseDetails = (json: string): Record<string, string> => {
  const value: unknown = JSON.parse(json)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object')
  const entries = Object.entries(value)
  if (entries.some(([, v]) => typeof v !== 'string')) throw new Error('values must be strings')
  return Object.fromEntries(entries) as Record<string, string>
}

const running = (
  name: string,
  child: ChildProcess,
  port: number,
  details: Readonly<Record<string, string>>,
  tail: string[],
): RunningTarget => {
  const pid = child.pid!
  const alive = () => child.exitCode === null && child.signalCode === null
  let stopping = false
  child.once('exit', (code, signal) => {
    if (!stopping && !isShuttingDown()) process.stderr.write(`[${name}] exited unexpectedly (code ${code}, signal ${signal})\n`)
  })

  const viaIpc = (): Promise<TargetStats | undefined> =>
    new Promise((resolve) => {
      if (!child.connected) return resolve(undefined)
      const id = nextQueryId++
      const onMessage = (message: unknown) => {
        const reply = message as Partial<TargetStats> & { type?: unknown; id?: unknown }
        if (reply?.type !== 'stats' || reply.id !== id) return
        done({
          userUs: Number(reply.userUs),
          systemUs: Number(reply.systemUs),
          ...(typeof reply.requests === 'number' ? { requests: reply.requests } : {}),
          ...(typeof reply.connections === 'number' ? { connections: reply.connections } : {}),
        })
      }
      const done = (value: TargetStats | undefined) => {
        clearTimeout(timer)
        child.off('message', onMessage)
        resolve(value)
      }
      const timer = setTimeout(() => done(undefined), STATS_TIMEOUT_MS)
      child.on('message', onMessage)
      child.send({ type: 'stats', id }, (error) => {
        if (error) done(undefined)
      })
    })

  return {
    name,
    pid,
    port,
    origin: `http://127.0.0.1:${port}`,
    details,
    async stats() {
      if (!alive()) return undefined
      const reported = await viaIpc()
      if (reported !== undefined) return { ...reported, source: 'process' }
      const fromProc = await readProcCpu(pid)
      return fromProc && { ...fromProc, source: 'proc' }
    },
    stderrTail: () => tail.join('\n'),
    alive,
    async stop() {
      stopping = true
      await terminate(child)
    },
  }
}
