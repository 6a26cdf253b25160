// Checks anyone can run: small files, no import cycle (type-only imports count), capabilities that never import the gateway.
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const src = import.meta.dirname
const madge = resolve(src, '../../../node_modules/.bin/madge')
const MAX_LINES = 400

const isTest = (path: string): boolean => /\.test(-helper)?\.ts$/.test(path)

const sourceFiles = async (): Promise<string[]> =>
  (await readdir(src, { recursive: true })).filter((path) => path.endsWith('.ts') && !isTest(path)).sort()

/** The import graph of packages/core/src as madge sees it: file → the files it imports (type-only imports included). */
const importGraph = async (): Promise<Record<string, string[]>> => {
  const { stdout } = await run(madge, ['--extensions', 'ts', '--json', src], { maxBuffer: 16 << 20 })
  return JSON.parse(stdout) as Record<string, string[]>
}

/** Every cycle in `graph`, each as the files along it (Tarjan would do; the graph is small enough for a DFS). */
const cyclesOf = (graph: Record<string, string[]>): string[][] => {
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (file: string): void => {
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph[file] ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next])
      else if (!state.has(next)) visit(next)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of Object.keys(graph)) if (!state.has(file)) visit(file)
  return cycles
}

/** What `file` imports, directly or not. */
const reachable = (graph: Record<string, string[]>, file: string): Set<string> => {
  const seen = new Set<string>()
  const walk = (from: string): void => {
    for (const next of graph[from] ?? []) {
      if (seen.has(next)) continue
      seen.add(next)
      walk(next)
    }
  }
  walk(file)
  return seen
}

describe('packages/core/src structure', () => {
  it(`keeps every source file (tests aside) at ${MAX_LINES} lines or fewer`, async () => {
    const tooLong: string[] = []
    for (const path of await sourceFiles()) {
      const lines = (await readFile(join(src, path), 'utf8')).split('\n').length - 1
      if (lines > MAX_LINES) tooLong.push(`${path} (${lines} lines)`)
    }
    expect(tooLong, 'split these along a seam that has a name').toEqual([])
  })

  it('has no import cycle, type-only imports included', { timeout: 60_000 }, async () => {
    const graph = await importGraph()
    expect(Object.keys(graph).length).toBeGreaterThan(100)
    expect(cyclesOf(graph).map((cycle) => cycle.join(' > '))).toEqual([])
  })

  it('installs capabilities through GatewayHost: no capability or host file reaches gateway.ts', { timeout: 60_000 }, async () => {
    const graph = await importGraph()
    const contract = Object.keys(graph).filter(
      (file) => /(^|\/)(capability|capabilities|host|install[^/]*)\.ts$/.test(file) && !isTest(file),
    )
    expect(contract).toEqual(expect.arrayContaining(['capabilities.ts', 'host.ts', 'limiter/capability.ts', 'keys/capability.ts']))
    const offenders = contract.filter((file) => reachable(graph, file).has('gateway.ts'))
    expect(offenders).toEqual([])
  })
})
