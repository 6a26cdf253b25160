// Runs wrk against one URL for a fixed time and returns throughput, latency percentiles and errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnOwned } from './children.js'

export interface LoadOptions {
  url: string
  /** Whole seconds (wrk takes no fractions); at least 1. */
  durationS: number
  /** Default 64. */
  connections?: number
  /** Default 2. */
  threads?: number
  /** A response slower than this counts as a timeout error, in s. Default 10 (this machine is noisy). */
  timeoutS?: number
  method?: string
  headers?: Record<string, string>
  body?: string
  /** Extra Lua for wrk (e.g. a `request` function that rotates API keys); must not define `setup`, `response` or `done`. */
  lua?: string
  /** Count every response outside 200–299 (wrk alone counts only ≥ 400), at some cost in wrk's speed. Default false. */
  strictStatus?: boolean
}

export interface LoadResult {
  /** Completed responses. */
  requests: number
  durationS: number
  /** requests / durationS */
  rps: number
  bytes: number
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number }
  /**
   * Socket errors; `status`: responses with a status of 400 or more (wrk's "Non-2xx or 3xx responses");
   * `non2xx`: responses outside 200–299, counted only with `strictStatus`.
   */
  errors: { connect: number; read: number; write: number; timeout: number; status: number; non2xx?: number }
}

const MARKER = 'WRK_REPORT '

// `done` runs once, after the threads stop. Without `strictStatus` there is no per-request Lua, so wrk keeps its
// full speed; with it, a `response` hook counts non-2xx answers in each thread (slower: use it outside measured runs).
const reportLua = (strictStatus: boolean) => `
local benchThreads = {}
setup = function(thread) table.insert(benchThreads, thread) end
non2xx = 0
${strictStatus ? 'response = function(status) if status < 200 or status > 299 then non2xx = non2xx + 1 end end' : ''}
done = function(summary, latency, requests)
  local e = summary.errors
  local bad = -1
  if ${strictStatus ? 'true' : 'false'} then
    bad = 0
    for _, thread in ipairs(benchThreads) do bad = bad + (thread:get('non2xx') or 0) end
  end
  io.write(string.format(
    '${MARKER}{"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,"timeout":%.0f,"status":%.0f,' ..
    '"non2xx":%.0f,"meanUs":%.1f,"p50Us":%.0f,"p90Us":%.0f,"p99Us":%.0f,"maxUs":%.0f}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.timeout, e.status,
    bad, latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`

/** A Lua string literal for any JS string. */
const luaString = (value: string): string =>
  `"${[...Buffer.from(value, 'utf8')]
    .map((byte) =>
      byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\${String(byte).padStart(3, '0')}`,
    )
    .join('')}"`

const scriptFor = (options: LoadOptions): string => {
  const lines: string[] = []
  if (options.method !== undefined) lines.push(`wrk.method = ${luaString(options.method)}`)
  if (options.body !== undefined) lines.push(`wrk.body = ${luaString(options.body)}`)
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`)
  }
  if (options.lua !== undefined) lines.push(options.lua)
  lines.push(reportLua(options.strictStatus ?? false))
  return lines.join('\n')
}

let scriptDir: string | undefined
let scriptCount = 0

const writeScript = (content: string): string => {
  if (scriptDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'))
    scriptDir = dir
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  }
  const path = join(scriptDir, `wrk-${++scriptCount}.lua`)
  writeFileSync(path, content)
  return path
}

/** Parses the report line that our Lua `done` hook prints. */
export const parseWrkReport = (stdout: string): LoadResult => {
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER))
  if (line === undefined) throw new Error(`wrk printed no report:\n${stdout}`)
  const r = JSON.parse(line.slice(MARKER.length)) as Record<string, number>
  const n = (key: string) => r[key] ?? 0
  const durationS = n('durationUs') / 1e6
  return {
    requests: n('requests'),
    durationS,
    rps: durationS > 0 ? n('requests') / durationS : 0,
    bytes: n('bytes'),
    latencyMs: { mean: n('meanUs') / 1e3, p50: n('p50Us') / 1e3, p90: n('p90Us') / 1e3, p99: n('p99Us') / 1e3, max: n('maxUs') / 1e3 },
    errors: {
      connect: n('connect'),
      read: n('read'),
      write: n('write'),
      timeout: n('timeout'),
      status: n('status'),
      ...(n('non2xx') >= 0 ? { non2xx: n('non2xx') } : {}),
    },
  }
}

/** Total of every error kind wrk counts. */
export const errorCount = (result: LoadResult): number => Object.values(result.errors).reduce((sum: number, count) => sum + (count ?? 0), 0)

/** `connect 0, read 2, status 17`: only the kinds that occurred. */
export const describeErrors = (result: LoadResult): string =>
  Object.entries(result.errors)
    .filter(([, count]) => (count ?? 0) > 0)
    .map(([kind, count]) => `${{ status: 'status ≥ 400', non2xx: 'status outside 2xx' }[kind] ?? `${kind} errors`} ${count}`)
    .join(', ')

/**
 * Runs wrk once. Rejects if wrk is missing, fails, or runs past its duration by more than its timeout + 15 s.
 * @example
 * const r = await runWrk({ url: `${target.origin}/api/items`, durationS: 5 })
 */
export const runWrk = (options: LoadOptions): Promise<LoadResult> => {
  const durationS = Math.max(1, Math.round(options.durationS))
  const timeoutS = options.timeoutS ?? 10
  const args = [
    '-t',
    String(options.threads ?? 2),
    '-c',
    String(options.connections ?? 64),
    '-d',
    `${durationS}s`,
    '--timeout',
    `${timeoutS}s`,
    '-s',
    writeScript(scriptFor(options)),
    options.url,
  ]
  const wrk = spawnOwned(process.env.WRK ?? 'wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  wrk.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  wrk.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))

  return new Promise((resolve, reject) => {
    const limitMs = (durationS + timeoutS + 15) * 1_000
    const timer = setTimeout(() => {
      wrk.kill('SIGKILL')
      reject(new Error(`wrk did not finish within ${limitMs} ms`))
    }, limitMs)
    wrk.once('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`cannot run wrk (${error.message}); install it (apt-get install wrk) or set WRK=/path/to/wrk`))
    })
    wrk.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) return reject(new Error(`wrk exited with code ${code}, signal ${signal}:\n${stderr}${stdout}`))
      try {
        resolve(parseWrkReport(stdout))
      } catch (error) {
        reject(error)
      }
    })
  })
}
