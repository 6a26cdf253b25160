// Builds @tollgate/core and the deployable gateway before a bench run: targets load the compiled dist (what users
// install and `start:prod` runs), not the source through tsx, whose transform adds work per request (keepNames wraps
// every closure created at run time).
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

/** The tsconfig that makes tsx resolve @tollgate/core to dist; set as TSX_TSCONFIG_PATH for every bench process. */
export const DIST_TSCONFIG = fileURLToPath(new URL('../tsconfig.dist.json', import.meta.url))

/** Compiles packages/core and apps/gateway into their dist folders (a few seconds each); throws on a type error. */
export const buildDist = (): void => {
  for (const project of ['packages/core', 'apps/gateway']) {
    rmSync(`${root}${project}/dist`, { recursive: true, force: true })
    const result = spawnSync(process.execPath, [tsc, '-p', `${project}/tsconfig.build.json`], { cwd: root, stdio: 'inherit' })
    if (result.status !== 0) throw new Error(`building ${project} failed (tsc exit ${result.status ?? result.signal})`)
  }
}
