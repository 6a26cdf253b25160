// Micro-benchmark: ns per pick of each balancer, a 2-target pool against a 1-target pool (bounded to ~4 s).
// Run: pnpm exec tsx bench/suites/pool.ts
import { UpstreamPool, type BalanceStrategy, type UpstreamTarget } from '@tollgate/core'

const STRATEGIES: BalanceStrategy[] = ['round-robin', 'least-connections', 'random', 'hash']
const BUDGET_MS = 250 // per case, after warm-up
const BATCH = 10_000

// What the forwarder asks: healthy, not draining, breaker available (a closed breaker is one field read).
const breakerOpen = new Set<string>()
const eligible = (t: UpstreamTarget) => t.healthy && !t.draining && !breakerOpen.has(t.origin)
const keys = Array.from({ length: 1024 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)

const measure = (pool: UpstreamPool): number => {
  let sink = 0
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const t = pool.pick(eligible, keys[i & 1023])
      sink += t ? t.index : -1
    }
  }
  run(200_000) // warm-up: let the JIT settle
  let picks = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(BUDGET_MS) * 1_000_000n
  let now = start
  while (now < deadline) {
    run(BATCH)
    picks += BATCH
    now = process.hrtime.bigint()
  }
  if (sink === Number.MIN_SAFE_INTEGER) console.log(sink) // keep the loop observable
  return Number(now - start) / picks
}

const rows: Array<Record<string, string>> = []
for (const balance of STRATEGIES) {
  const one = measure(new UpstreamPool({ targets: ['http://127.0.0.1:8001'], balance }))
  const two = measure(new UpstreamPool({ targets: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'], balance }))
  const four = measure(new UpstreamPool({ targets: ['8001', '8002', '8003', '8004'].map((p) => `http://127.0.0.1:${p}`), balance }))
  rows.push({
    balance,
    '1 target ns/pick': one.toFixed(1),
    '2 targets ns/pick': two.toFixed(1),
    '4 targets ns/pick': four.toFixed(1),
    'added by 2nd target (ns)': (two - one).toFixed(1),
  })
}
console.table(rows)
