// The deploy artifacts, tested as far as a machine without a container engine (and without systemd as PID 1) allows:
// the Dockerfile's stages replayed in a temp dir as the image would run them, the systemd unit verified and staged.
import { execFile, spawn, spawnSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { redisAvailable, startRedisServer } from '@tollgate/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const exec = promisify(execFile)
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  // CI: pnpm may then replace a node_modules installed with other options (prod ↔ dev) without asking on a TTY.
  const out: NodeJS.ProcessEnv = { ...process.env, CI: 'true', npm_config_update_notifier: 'false', ...extra }
  delete out.npm_config_verify_deps_before_run
  return out
}
const sh = (command: string, cwd: string, extra: Record<string, string> = {}) =>
  exec('bash', ['-c', command], { cwd, env: env(extra), maxBuffer: 16 << 20 }).catch(
    (error: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`${command} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`, { cause: error })
    },
  )

interface Instruction {
  op: string
  args: string
  /** Preceded by a `# not replayed` comment: steps that install tools the test machine already has. */
  skipped: boolean
}
interface Stage {
  name: string
  instructions: Instruction[]
}

/** The Dockerfile's stages: continuation lines joined, comments dropped, ARGs before the first FROM ignored. */
const parseDockerfile = (text: string): Stage[] => {
  const stages: Stage[] = []
  let skipNext = false
  for (const line of text.replace(/\\\n\s*/g, '').split('\n')) {
    const trimmed = line.trim()
    if (trimmed.startsWith('#')) {
      if (/^# not replayed\b/.test(trimmed)) skipNext = true
      continue
    }
    const match = /^([A-Z]+)\s+(.*)$/.exec(trimmed)
    if (!match) continue
    const [, op, args] = match as unknown as [string, string, string]
    if (op === 'FROM') stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1] ?? String(stages.length), instructions: [] })
    else stages.at(-1)?.instructions.push({ op, args, skipped: skipNext })
    skipNext = false
  }
  return stages
}

/** .dockerignore as a filter: `**\/name` and `**\/*.ext` match anywhere, other lines at the top of the context. */
const dockerignore = async () => {
  const rules = (await readFile(join(root, '.dockerignore'), 'utf8')).split('\n').filter((l) => l.trim() && !l.startsWith('#'))
  for (const rule of rules) expect(rule).toMatch(/^(\*\*\/(\*\.)?[\w.-]+|[\w.-]+)$/) // the forms this replay understands
  return (path: string) => {
    const rel = path.slice(root.length + 1)
    const name = basename(path)
    return !rules.some((rule) =>
      rule.startsWith('**/*.') ? name.endsWith(rule.slice(4)) : rule.startsWith('**/') ? name === rule.slice(3) : rel === rule,
    )
  }
}

interface StageState {
  /** The directory that stands for the stage's "/". */
  root: string
  workdir: string
  env: Record<string, string>
  /** USER, CMD, HEALTHCHECK, STOPSIGNAL, EXPOSE: recorded, checked by the tests. */
  meta: Map<string, string>
}
interface Replayed {
  stages: Map<string, StageState>
  skipped: string[]
}

/** Runs each stage in its own directory (its "/"): WORKDIR, COPY (from the context or an earlier stage), ENV, RUN. */
const replay = async (dir: string, stages: Stage[]): Promise<Replayed> => {
  const include = await dockerignore()
  const out: Replayed = { stages: new Map(), skipped: [] }
  for (const stage of stages) {
    const state: StageState = { root: join(dir, stage.name), workdir: '/', env: {}, meta: new Map() }
    out.stages.set(stage.name, state)
    await mkdir(state.root, { recursive: true })
    const at = (path: string) => join(state.root, path.startsWith('/') ? path : join(state.workdir, path))
    for (const { op, args, skipped } of stage.instructions) {
      if (op === 'WORKDIR') await mkdir(join(state.root, (state.workdir = resolve(state.workdir, args))), { recursive: true })
      else if (op === 'ENV') for (const [, k, v] of args.matchAll(/(\w+)=(\S+)/g)) state.env[k!] = v!
      else if (op === 'COPY') {
        const words = args.split(/\s+/)
        const from = words.find((w) => w.startsWith('--from='))?.slice(7)
        const [dest, ...sources] = words.filter((w) => !w.startsWith('--')).reverse()
        for (const source of sources.reverse()) {
          const src = from ? join(out.stages.get(from)!.root, source) : join(root, source)
          const target = dest!.endsWith('/') || sources.length > 1 ? join(at(dest!), basename(source)) : at(dest!)
          await cp(src, target, { recursive: true, filter: from ? undefined : include })
        }
      } else if (op === 'RUN') {
        if (skipped) {
          out.skipped.push(args)
          continue
        }
        expect(args, 'RUN steps use paths relative to WORKDIR, so the replay cannot touch this machine').not.toMatch(/(^|\s)\//)
        await sh(args, join(state.root, state.workdir), state.env)
      } else state.meta.set(op, args)
    }
  }
  return out
}

/** Starts the runtime stage's CMD the way the image does (its WORKDIR, ENV; PORT, HOST and the drain delay overridden for the test). */
const runCmd = async (stage: StageState, extra: Record<string, string> = {}) => {
  const [command, ...args] = (JSON.parse(stage.meta.get('CMD')!) as string[]).map((a) => (a.startsWith('/') ? join(stage.root, a) : a))
  const child = spawn(command === 'node' ? process.execPath : command!, args, {
    cwd: join(stage.root, stage.workdir),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: join(stage.root, stage.workdir),
      ...stage.env,
      PORT: '0',
      HOST: '127.0.0.1',
      TOLLGATE_DRAIN_DELAY_MS: '0',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  const deadline = Date.now() + 30_000
  let url: string | undefined
  while (!url && Date.now() < deadline && child.exitCode === null) {
    url = /Tollgate listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
    await new Promise((r) => setTimeout(r, 50))
  }
  if (!url) {
    child.kill('SIGKILL')
    throw new Error(`the image's CMD did not listen:\n${output}`)
  }
  return { url, port: new URL(url).port, exited, output: () => output, stop: () => child.kill('SIGTERM') }
}

/** Runs `node <script>` in a tree standing for "/", checks that the demo answers, stops it with SIGTERM (exit 0). */
const expectServesDemo = async (tree: string, script: string, extra: Record<string, string> = {}) => {
  const gateway = await runCmd({ root: tree, workdir: '/', env: {}, meta: new Map([['CMD', JSON.stringify(['node', script])]]) }, extra)
  try {
    expect((await fetch(`${gateway.url}/api/hello`)).status).toBe(200)
  } finally {
    gateway.stop()
  }
  expect(await gateway.exited).toBe(0)
}

let dir: string
let stages: Stage[]
let replayed: Replayed | undefined
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('Dockerfile', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tollgate-image-'))
    stages = parseDockerfile(await readFile(join(root, 'Dockerfile'), 'utf8'))
    replayed = await replay(dir, stages)
  }, 240_000)

  it('is multi-stage; the runtime stage has a non-root USER, HEALTHCHECK, STOPSIGNAL SIGTERM and an exec-form node CMD', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime'])
    expect(replayed!.skipped).toEqual(['npm install -g pnpm@10.34.8'])
    const runtime = replayed!.stages.get('runtime')!
    expect(runtime.meta.get('USER')).toBe('node')
    expect(runtime.meta.get('STOPSIGNAL')).toBe('SIGTERM')
    expect(JSON.parse(runtime.meta.get('CMD')!)).toEqual(['node', '/app/dist/main.js'])
    expect(runtime.meta.get('HEALTHCHECK')).toMatch(/^--interval=\S+ .*CMD \["node", /)
  })

  it('ships only dist and production dependencies', async () => {
    const app = join(replayed!.stages.get('runtime')!.root, 'app')
    expect((await readdir(app)).sort()).toEqual(['README.md', 'dist', 'node_modules', 'package.json'])
    const modules = await readdir(join(app, 'node_modules'))
    for (const dev of ['typescript', 'tsx', 'vitest', '@biomejs', '@types']) expect(modules).not.toContain(dev)
    expect(modules).toEqual(expect.arrayContaining(['@tollgate', 'hono', '@hono', 'ioredis']))
    expect(await readdir(join(app, 'node_modules/@tollgate/core'))).not.toContain('src')
  })

  it('runs node dist/main.js as the image would: serves the demo, passes its HEALTHCHECK, exits 0 on SIGTERM', async () => {
    const runtime = replayed!.stages.get('runtime')!
    const gateway = await runCmd(runtime)
    try {
      const hello = await fetch(`${gateway.url}/api/hello`)
      expect(hello.status).toBe(200)
      expect(await hello.json()).toMatchObject({ message: 'Hello from the Tollgate demo upstream' })
      const check = JSON.parse(/CMD (\[.*\])$/.exec(runtime.meta.get('HEALTHCHECK')!)![1]!) as string[]
      const probe = spawnSync(process.execPath, check.slice(1), { env: { ...runtime.env, PORT: gateway.port }, timeout: 5_000 })
      expect(probe.status).toBe(0)
    } finally {
      gateway.stop()
    }
    expect(await gateway.exited).toBe(0)
    expect(gateway.output()).toContain('SIGTERM received')
  })

  it.skipIf(!redisAvailable())('with REDIS_URL (as compose.yaml sets it) the image loads ioredis and reaches Redis', async () => {
    const compose = await readFile(join(root, 'compose.yaml'), 'utf8')
    expect(compose).toMatch(/REDIS_URL: redis:\/\/redis:6379/)
    const redis = await startRedisServer()
    const gateway = await runCmd(replayed!.stages.get('runtime')!, { REDIS_URL: redis.url })
    try {
      const health = (await (await fetch(`${gateway.url}/_health`)).json()) as { stores: { redis: string } }
      expect(health.stores.redis).toBe('ready')
    } finally {
      gateway.stop()
      await gateway.exited
      await redis.stop()
    }
  })
})

describe('a checkout with production dependencies only', () => {
  it('serves the demo with node apps/gateway/dist/main.js after the build and pnpm install --prod', async () => {
    const build = replayed?.stages.get('build')
    if (!build) throw new Error('needs the Dockerfile replay (its build stage is a built checkout)')
    const checkout = join(build.root, build.workdir)
    await sh('pnpm install --prod --frozen-lockfile --filter "@tollgate/gateway..."', checkout)
    for (const dev of ['typescript', 'tsx', 'vitest']) await expect(readdir(join(checkout, 'node_modules', dev))).rejects.toThrow(/ENOENT/)
    await expectServesDemo(checkout, '/apps/gateway/dist/main.js') // the built-in default config: the demo on /api
  }, 120_000)
})

const systemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0

describe.skipIf(!systemdAnalyze && !process.env.CI)('systemd unit', () => {
  const unit = join(root, 'deploy/systemd/tollgate.service')

  it('passes systemd-analyze verify, with an exposure score of 2.0 or less', async () => {
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' })
    expect([verify.status, verify.stderr.trim()]).toEqual([0, ''])
    const security = spawnSync('systemd-analyze', ['security', '--offline=true', unit], { encoding: 'utf8' })
    const exposure = Number(/Overall exposure level for tollgate\.service: ([\d.]+)/.exec(security.stdout)?.[1])
    expect(exposure).toBeLessThanOrEqual(2)
    const text = await readFile(unit, 'utf8')
    for (const line of ['DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'StateDirectory=tollgate', 'Restart=on-failure'])
      expect(text).toContain(`\n${line}\n`)
    expect(text).toMatch(/\nLimitNOFILE=\d+\n/)
  })

  it('install.sh stages the app, config and unit under DESTDIR; the staged app runs with no dev dependencies', async () => {
    const build = replayed?.stages.get('build')
    if (!build) throw new Error('needs the Dockerfile replay (its build stage is the checkout install.sh runs in)')
    const checkout = join(build.root, build.workdir)
    await cp(join(root, 'deploy/systemd'), join(checkout, 'deploy/systemd'), { recursive: true })
    const stage = join(dir, 'destdir')
    await sh('bash deploy/systemd/install.sh', checkout, { DESTDIR: stage })
    const installed = join(stage, 'etc/systemd/system/tollgate.service')
    expect(spawnSync('systemd-analyze', ['verify', installed], { encoding: 'utf8' }).status).toBe(0)
    const config = JSON.parse(await readFile(join(stage, 'etc/tollgate/tollgate.json'), 'utf8')) as { keys: { file: string } }
    expect(config.keys.file).toBe('/var/lib/tollgate/keys.json')

    // The unit's ExecStart against the staged tree, with the key file moved out of the real /var/lib.
    const testConfig = join(dir, 'tollgate.json')
    await writeFile(testConfig, JSON.stringify({ ...config, keys: { store: 'file', file: join(dir, 'keys.json') } }))
    await expectServesDemo(stage, '/opt/tollgate/dist/main.js', { TOLLGATE_CONFIG: testConfig })
  }, 180_000)
})
