// `pnpm start` as documented, stopped by SIGTERM to its own PID (what a supervisor or `kill $!` does): the gateway
// must stop with it, not live on re-parented to PID 1.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { alive } from './fixtures/launch.js'

const root = resolve(import.meta.dirname, '../../..')
const pnpm = process.env.npm_execpath?.includes('pnpm') ? [process.execPath, process.env.npm_execpath] : ['pnpm']
const shutdownTimeoutMs = 3_000
const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

const portOpen = (port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => done(true)).once('error', () => done(false))
    socket.once('connect', () => socket.destroy())
  })

it('pnpm start stops when its own PID gets SIGTERM: exit 0, port closed, no orphaned node', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-start-'))
  cleanup.push(() => rm(dir, { recursive: true, force: true }))
  const config = join(dir, 'tollgate.json')
  const routes = [{ prefix: '/api', upstream: 'demo' }]
  await writeFile(
    config,
    JSON.stringify({ port: 0, host: '127.0.0.1', shutdownTimeoutMs, drainDelayMs: 0, keys: { store: 'memory' }, routes }),
  )

  const [command, ...args] = pnpm
  const child = spawn(command!, [...args, 'start'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TOLLGATE_CONFIG: config },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  cleanup.push(() => child.exitCode === null && child.kill('SIGKILL'))
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))

  const deadline = Date.now() + 30_000
  let port: number | undefined
  while (port === undefined && Date.now() < deadline && child.exitCode === null) {
    port = Number(/Tollgate listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1]) || undefined
    await new Promise((r) => setTimeout(r, 50))
  }
  if (!port) throw new Error(`pnpm start did not listen:\n${output}`)
  // The gateway is pnpm's direct child (the script execs node), so pnpm's forwarded SIGTERM reaches it.
  const gateway = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).map(Number)
  expect(gateway).toHaveLength(1)
  expect(readFileSync(`/proc/${gateway[0]}/cmdline`, 'utf8')).toContain('apps/gateway/src/main.ts')
  cleanup.push(() => alive(gateway[0]!) && process.kill(gateway[0]!, 'SIGKILL'))

  const signalled = Date.now()
  child.kill('SIGTERM')
  expect(await exited).toBe(0)
  while (alive(gateway[0]!) && Date.now() - signalled < shutdownTimeoutMs + 2_000) await new Promise((r) => setTimeout(r, 25))
  expect(alive(gateway[0]!)).toBe(false)
  expect(Date.now() - signalled).toBeLessThan(shutdownTimeoutMs + 2_000)
  expect(await portOpen(port)).toBe(false)
  expect(output).toContain('SIGTERM received')
}, 60_000)
