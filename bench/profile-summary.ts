// Summarises a V8 .cpuprofile (from BENCH_PROFILE=<target>): where the self time goes, by function and by package.
//   pnpm exec tsx bench/profile-summary.ts bench/profiles/CPU.<date>.<time>.<pid>.0.001.cpuprofile [top=25]
import { readFileSync } from 'node:fs'
import { formatTable } from './lib/stats.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, topArg] = process.argv.slice(2)
if (file === undefined) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]')
  process.exit(2)
}
const top = Number(topArg ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile

// Self time per node: each sample's time delta belongs to the node it hit.
const selfUs = new Map<number, number>()
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})
const total = [...selfUs.values()].reduce((a, b) => a + b, 0)

/** node:internal/…, a package name from node_modules, or a path inside the repository. */
const ownerOf = (url: string): string => {
  if (url === '') return '(native / vm)'
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?([^/]+).*$/, 'node:$2')
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(url)
  if (pkg) return pkg[1]!
  return url.replace(/^file:\/\/.*?\/(packages|bench|apps)\//, '$1/')
}

const byFunction = new Map<string, number>()
const byOwner = new Map<string, number>()
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0
  if (us === 0) continue
  const { functionName, url, lineNumber } = node.callFrame
  const owner = ownerOf(url)
  const key = `${functionName || '(anonymous)'}  ${owner}${url ? `:${lineNumber + 1}` : ''}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + us)
  byOwner.set(owner, (byOwner.get(owner) ?? 0) + us)
}

const rows = (map: Map<string, number>) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => [key, (us / 1000).toFixed(0), ((100 * us) / total).toFixed(1)])

console.log(`${file}: ${(total / 1e6).toFixed(2)} s of samples\n`)
console.log(formatTable(['self time by package / file', 'ms', '%'], rows(byOwner)))
console.log()
console.log(formatTable(['self time by function', 'ms', '%'], rows(byFunction)))
