// Runs the bench suites (bench/suites/*.ts), each in its own process, within a total time bound.
//   pnpm bench                 every suite, in alphabetical order
//   pnpm bench proxy limiter   only these
//   pnpm bench --list          the suite names
// BENCH_TIMEOUT (seconds, default 600) bounds the whole run; other BENCH_* variables reach the suites.
// Targets run the compiled packages (built first); BENCH_SOURCE=1 runs the TypeScript source through tsx instead.
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildDist, DIST_TSCONFIG } from './lib/build-dist.js'
import { installCleanup, isShuttingDown, spawnTypeScript, terminate } from './lib/children.js'
import { formatTable } from './lib/stats.js'

installCleanup()

const suitesDir = new URL('./suites/', import.meta.url)
const available = readdirSync(suitesDir)
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.startsWith('_'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort()

const args = process.argv.slice(2).filter((arg) => arg !== '--')
if (args.includes('--list')) {
  console.log(available.join('\n'))
  process.exit(0)
}
if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: pnpm bench [suite …]    suites: ${available.join(', ')}`)
  process.exit(0)
}
const unknown = args.filter((name) => !available.includes(name.replace(/\.ts$/, '')))
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(', ')}; available: ${available.join(', ')}`)
  process.exit(2)
}
const chosen = args.length > 0 ? args.map((name) => name.replace(/\.ts$/, '')) : available

const totalS = Number(process.env.BENCH_TIMEOUT ?? 600)
if (!Number.isFinite(totalS) || totalS <= 0) {
  console.error(`BENCH_TIMEOUT=${process.env.BENCH_TIMEOUT}: expected seconds > 0`)
  process.exit(2)
}
const deadline = Date.now() + totalS * 1_000

if (process.env.BENCH_SOURCE !== '1') {
  console.log('bench: building packages/core and apps/gateway (targets run their dist; BENCH_SOURCE=1 runs the source)')
  buildDist()
  process.env.TSX_TSCONFIG_PATH = DIST_TSCONFIG
}

interface Outcome {
  suite: string
  status: 'ok' | 'FAILED' | 'TIMED OUT' | 'INTERRUPTED' | 'SKIPPED'
  seconds: number
  detail: string
}

const runOne = (suite: string): Promise<Outcome> => {
  const started = Date.now()
  const file = fileURLToPath(new URL(`${suite}.ts`, suitesDir))
  const child = spawnTypeScript(file, [], { stdio: 'inherit' })
  return new Promise((resolve) => {
    let timedOut = false
    const timer = setTimeout(
      () => {
        timedOut = true
        console.error(`\n${suite}: stopped, the bench's total time bound (BENCH_TIMEOUT=${totalS} s) is reached`)
        void terminate(child, 5_000)
      },
      Math.max(0, deadline - Date.now()),
    )
    const seconds = () => Math.round((Date.now() - started) / 1_000)
    child.once('error', (error) => {
      clearTimeout(timer)
      resolve({ suite, status: 'FAILED', seconds: seconds(), detail: error.message })
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      if (timedOut) resolve({ suite, status: 'TIMED OUT', seconds: seconds(), detail: `after ${seconds()} s` })
      else if (isShuttingDown()) resolve({ suite, status: 'INTERRUPTED', seconds: seconds(), detail: '' })
      else if (code === 0) resolve({ suite, status: 'ok', seconds: seconds(), detail: '' })
      else resolve({ suite, status: 'FAILED', seconds: seconds(), detail: signal ? `signal ${signal}` : `exit code ${code}` })
    })
  })
}

const outcomes: Outcome[] = []
for (const [index, suite] of chosen.entries()) {
  if (isShuttingDown()) break
  if (Date.now() >= deadline) {
    outcomes.push({ suite, status: 'SKIPPED', seconds: 0, detail: 'no time left' })
    continue
  }
  const title = ` suite ${suite} (${index + 1}/${chosen.length}) · bench/suites/${suite}.ts · ${new Date().toISOString()} `
  console.log(`\n${'═'.repeat(4)}${title}${'═'.repeat(Math.max(4, 96 - title.length))}`)
  // A suite's first line says what it measures (STYLE.md): show it under the banner.
  const firstLine = readFileSync(new URL(`${suite}.ts`, suitesDir), 'utf8').split('\n', 1)[0] ?? ''
  if (firstLine.startsWith('//')) console.log(firstLine.replace(/^\/\/\s*/, ''))
  outcomes.push(await runOne(suite))
}

console.log(`\n${'═'.repeat(100)}`)
console.log(
  formatTable(
    ['suite', 'status', 'seconds', 'detail'],
    outcomes.map((o) => [o.suite, o.status, String(o.seconds), o.detail]),
  ),
)
process.exit(outcomes.every((o) => o.status === 'ok') ? 0 : 1)
