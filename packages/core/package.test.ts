// The package as a user gets it: packed by pnpm and npm alike, linted (publint, attw), installed with npm into a
// project of its own (no workspace links, no ioredis), run under plain node and typechecked with NodeNext and Bundler.
import { execFile } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const packageDir = import.meta.dirname
const root = resolve(packageDir, '../..')
const bin = (name: string) => join(root, 'node_modules/.bin', name)
const pnpm = process.env.npm_execpath?.includes('pnpm') ? [process.execPath, process.env.npm_execpath] : ['pnpm']
const sh = async (command: readonly string[], cwd: string) => {
  const [file, ...args] = command
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    npm_config_update_notifier: 'false',
  }
  delete env.npm_config_verify_deps_before_run // pnpm's, which npm warns about
  return run(file!, args, { cwd, maxBuffer: 16 << 20, env }).catch((error: Error & { stdout?: string; stderr?: string }) => {
    throw new Error(`${command.join(' ')} failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`, { cause: error })
  })
}
/** What a tarball holds: its file list and its package.json. */
const contents = async (tarball: string) => {
  const { stdout } = await sh(['tar', 'tzf', tarball], root)
  const manifest = await sh(['tar', 'xzf', tarball, '-O', 'package/package.json'], root)
  return { files: stdout.split('\n').filter(Boolean).sort(), manifest: JSON.parse(manifest.stdout) as Record<string, unknown> }
}

const tsconfig = (module: string, moduleResolution: string) =>
  JSON.stringify({
    compilerOptions: { target: 'ES2022', module, moduleResolution, strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
    files: ['gateway.ts'],
  })

let dir: string
let tarball: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-pack-'))
  // pnpm pack runs prepack (the build); npm pack of the same tree must ship the same files and manifest.
  await sh([...pnpm, 'pack', '--pack-destination', join(dir, 'pnpm')], packageDir)
  await mkdir(join(dir, 'npm'))
  await sh(['npm', 'pack', '--ignore-scripts', '--pack-destination', join(dir, 'npm')], packageDir)
  tarball = join(dir, 'npm', 'tollgate-core-0.1.0.tgz')
}, 120_000)

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('the packed @tollgate/core', () => {
  it('is the same from npm pack and pnpm pack: dist, README and LICENSE, exports into dist, peers for hono and ioredis', async () => {
    const npm = await contents(tarball)
    const fromPnpm = await contents(join(dir, 'pnpm', (await readdir(join(dir, 'pnpm')))[0]!))
    // pnpm drops the lifecycle scripts from the packed manifest; everything a user's resolver reads is the same.
    const { scripts: _npmScripts, ...npmManifest } = npm.manifest
    const { scripts: _pnpmScripts, ...pnpmManifest } = fromPnpm.manifest
    expect({ files: fromPnpm.files, manifest: pnpmManifest }).toEqual({ files: npm.files, manifest: npmManifest })
    expect(npm.files).toEqual(
      expect.arrayContaining(['package/LICENSE', 'package/README.md', 'package/dist/index.js', 'package/dist/testing/index.js']),
    )
    expect(npm.files.filter((f) => !/^package\/(dist\/.+\.(js|d\.ts)|LICENSE|README\.md|package\.json)$/.test(f))).toEqual([])
    expect(npm.files.filter((f) => /\.test\.|redis-fixture|describe-store/.test(f))).toEqual([])
    expect(JSON.stringify(npm.manifest.exports)).not.toContain('src/')
    expect(npm.manifest).toMatchObject({
      type: 'module',
      sideEffects: false,
      peerDependencies: { hono: expect.any(String), '@hono/node-server': expect.any(String), ioredis: expect.any(String) },
      peerDependenciesMeta: { ioredis: { optional: true } },
    })
    expect(npm.manifest.dependencies).not.toHaveProperty('ioredis')
  })

  it('has no side effects to lose (sideEffects: false): every module imported bare only merges declarations', async () => {
    const dist = join(packageDir, 'dist')
    const files = (await readdir(dist, { recursive: true })).filter((f) => f.endsWith('.js'))
    const bare = new Set<string>()
    for (const file of files) {
      const text = await readFile(join(dist, file), 'utf8')
      for (const [, target] of text.matchAll(/^import '(\.[^']+)';$/gm)) bare.add(join(dirname(join(dist, file)), target!))
    }
    expect(bare.size).toBeGreaterThan(0)
    for (const target of bare) expect([target, (await readFile(target, 'utf8')).trim()]).toEqual([target, 'export {};'])
  })

  it('passes publint and arethetypeswrong (ESM-only profile)', async () => {
    const publint = await sh([bin('publint'), 'run', '--strict', tarball], root)
    expect(publint.stdout).toContain('All good')
    await sh([bin('attw'), '--profile', 'esm-only', tarball], root) // exits non-zero on any problem
  })

  it('installs with npm into a project of its own and runs under plain node with ioredis absent; types check with NodeNext and Bundler', async () => {
    const app = join(dir, 'consumer')
    await mkdir(app)
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
    await sh(['npm', 'install', '--prefer-offline', tarball, 'hono@^4.10.0', '@hono/node-server@^1.19.19', '@types/node@^22'], app)
    await expect(readdir(join(app, 'node_modules/ioredis'))).rejects.toThrow(/ENOENT/)

    for (const file of ['gateway.mjs', 'gateway.ts']) await copyFile(join(packageDir, 'consumer', file), join(app, file))
    const { stdout } = await sh([process.execPath, 'gateway.mjs'], app)
    expect(JSON.parse(stdout)).toEqual({
      allowed: 200,
      route: 'api',
      denied: 401,
      requests: 2,
      redisError: expect.stringMatching(/ioredis cannot be loaded: install it/),
    })

    await writeFile(join(app, 'tsconfig.nodenext.json'), tsconfig('NodeNext', 'NodeNext'))
    await writeFile(join(app, 'tsconfig.bundler.json'), tsconfig('ESNext', 'Bundler'))
    for (const project of ['tsconfig.nodenext.json', 'tsconfig.bundler.json']) await sh([bin('tsc'), '-p', project], app)
  }, 120_000)
})
