// What an upstream-limit route costs per request with few and with many distinct callers (fair-share bookkeeping).
// Run: pnpm bench upstream   (in-process Hono app, no sockets: the stage's own work; ~20 s)
import type { Hono } from 'hono'
import { UpstreamGovernors } from '../../packages/core/src/upstream-limits/registry.js'
import { fakeRoute, upstreamStageApp } from '../../packages/core/src/upstream-limits/stage-harness.test-helper.js'
import { heading, runSuite, writeResults } from '../lib/suite.js'

const MS = Number(process.env.BENCH_DURATION ?? 2) * 1_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const CONCURRENCY = 64
const AIM = 0.8

/** A route whose budget is never the bottleneck: what is measured is the bookkeeping, not the pacing. */
const route = fakeRoute('http://upstream.invalid', {
  requestsPerSecond: 1e7,
  burstSize: 1e7,
  callerHeader: 'x-caller',
  maxQueueLength: 10_000,
})

const appFor = async (): Promise<{ app: Hono; close(): void }> => {
  const governors = new UpstreamGovernors({})
  const app = upstreamStageApp(route, {
    governorFor: governors.governorFor,
    send: async () => new Response('{"ok":true}', { headers: { 'content-type': 'application/json' } }),
  })
  return { app, close: () => governors.close() }
}

/** Requests/s through `app` with CONCURRENCY in flight, callers taken in turn from `callers` distinct ids. */
const measure = async (app: Hono, callers: number, ms: number, next: { i: number }): Promise<number> => {
  let count = 0
  const deadline = performance.now() + ms
  const started = performance.now()
  const worker = async () => {
    while (performance.now() < deadline) {
      for (let i = 0; i < 32; i++) {
        const caller = `caller-${next.i++ % callers}`
        const res = await app.fetch(new Request('http://gw/api/items', { headers: { 'x-caller': caller } }))
        if (res.status !== 200) throw new Error(`status ${res.status} for ${caller}`)
        await res.arrayBuffer()
      }
      count += 32
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return count / ((performance.now() - started) / 1000)
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? 0
}

runSuite('upstream', 120_000, async () => {
  console.log(heading(`upstream-limit route, in-process: ${ROUNDS} interleaved rounds of ${MS / 1000} s, ${CONCURRENCY} in flight`))
  const targets = await Promise.all(
    [5, 5_000].map(async (callers) => ({ callers, next: { i: 0 }, samples: [] as number[], ...(await appFor()) })),
  )
  try {
    // Warm-up: JIT, and every caller of the large set seen once (tracked, as a rotating User-Agent would be).
    for (const t of targets) await measure(t.app, t.callers, 300, t.next)
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? targets : [...targets].reverse()
      for (const t of order) t.samples.push(await measure(t.app, t.callers, MS, t.next))
    }
  } finally {
    for (const t of targets) t.close()
  }
  const [few, many] = targets.map((t) => ({ callers: t.callers, median: median(t.samples), samples: t.samples })) as [
    { callers: number; median: number; samples: number[] },
    { callers: number; median: number; samples: number[] },
  ]
  for (const t of [few, many]) {
    console.log(
      `  ${String(t.callers).padStart(5)} callers  ${(t.median / 1000).toFixed(1).padStart(7)} k req/s (median; ${t.samples.map((s) => (s / 1000).toFixed(1)).join(', ')})`,
    )
  }
  // The two run back to back in each round and share its noise: the median of the per-round ratios.
  const ratios = few.samples.map((f, i) => (many.samples[i] as number) / f)
  const ratio = median(ratios)
  console.log(
    `  ratio 5 000 / 5 callers: ${ratio.toFixed(2)}× (median of rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')})   aim ≥ ${AIM}×: ${ratio >= AIM ? 'met' : 'NOT met'}`,
  )
  await writeResults('upstream', { few, many, ratios, ratio })
})
