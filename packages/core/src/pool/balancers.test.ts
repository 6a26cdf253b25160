import { describe, expect, it } from 'vitest'
import { buildHashRing, hash32 } from './hash.js'
import { RandomBalancer } from './random.js'
import type { BalanceStrategy, TargetSpec, UpstreamTarget } from './types.js'
import { UpstreamPool } from './upstream-pool.js'

const urls = (n: number) => Array.from({ length: n }, (_, i) => `http://127.0.0.1:${8001 + i}`)
const all = (t: UpstreamTarget) => t.healthy && !t.draining

const poolOf = (balance: BalanceStrategy, targets: Array<string | TargetSpec>) => new UpstreamPool({ targets, balance })

const tally = (picks: Array<UpstreamTarget | undefined>) => {
  const counts = new Map<number, number>()
  for (const t of picks) if (t) counts.set(t.index, (counts.get(t.index) ?? 0) + 1)
  return counts
}

const longestRun = (picks: Array<UpstreamTarget | undefined>, index: number) => {
  let longest = 0
  let run = 0
  for (const t of picks) {
    run = t?.index === index ? run + 1 : 0
    longest = Math.max(longest, run)
  }
  return longest
}

// A small seeded PRNG (mulberry32) so random-balancer tests are repeatable.
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const weighted31 = [
  { url: 'http://127.0.0.1:8001', weight: 3 },
  { url: 'http://127.0.0.1:8002', weight: 1 },
]

describe('round-robin', () => {
  it('spreads 3:1 smoothly: a a b a, exactly 750/250 over 1000, never more than 3 in a row', () => {
    const pool = poolOf('round-robin', weighted31)
    const picks = Array.from({ length: 1000 }, () => pool.pick(all))
    expect(picks.slice(0, 8).map((t) => t?.index)).toEqual([0, 0, 1, 0, 0, 0, 1, 0])
    expect(tally(picks)).toEqual(
      new Map([
        [0, 750],
        [1, 250],
      ]),
    )
    expect(longestRun(picks, 0)).toBeLessThanOrEqual(3)
    expect(longestRun(picks, 1)).toBe(1)
  })

  it('is the default strategy and alternates equal targets', () => {
    const pool = new UpstreamPool(urls(3))
    expect(pool.strategy).toBe('round-robin')
    expect(Array.from({ length: 6 }, () => pool.pick(all)?.index)).toEqual([0, 1, 2, 0, 1, 2])
  })

  it('skips ineligible targets and resumes the weighted shares when they return', () => {
    const pool = poolOf('round-robin', [...weighted31, { url: 'http://127.0.0.1:8003', weight: 1 }])
    const [, b, c] = pool.targets
    c!.healthy = false
    const without = tally(Array.from({ length: 400 }, () => pool.pick(all)))
    expect(without).toEqual(
      new Map([
        [0, 300],
        [1, 100],
      ]),
    )
    b!.draining = true
    expect(tally(Array.from({ length: 50 }, () => pool.pick(all)))).toEqual(new Map([[0, 50]]))
    b!.draining = false
    c!.healthy = true
    const back = Array.from({ length: 1000 }, () => pool.pick(all))
    const counts = tally(back)
    expect(counts.get(0)).toBeGreaterThanOrEqual(598)
    expect(counts.get(0)).toBeLessThanOrEqual(602)
    expect(counts.get(1)).toBeGreaterThanOrEqual(198)
    expect(counts.get(2)).toBeGreaterThanOrEqual(198)
  })

  it('returns undefined when nothing is eligible, and handles a one-target pool', () => {
    const pool = poolOf('round-robin', urls(2))
    expect(pool.pick(() => false)).toBeUndefined()
    const single = new UpstreamPool('http://127.0.0.1:8001')
    expect(single.pick(all)).toBe(single.targets[0])
    expect(single.pick(() => false)).toBeUndefined()
  })
})

describe('least-connections', () => {
  it('sends most requests to the fast target when the other holds requests in flight', () => {
    const pool = poolOf('least-connections', urls(2))
    const [slow, fast] = pool.targets
    const finishing: Array<Array<UpstreamTarget>> = Array.from({ length: 40 }, () => [])
    // Two requests arrive per tick; the slow target holds each for 20 ticks, the fast one for 1.
    for (let tick = 0; tick < 500; tick++) {
      for (const t of finishing[tick % 40]!) t.inFlight--
      finishing[tick % 40] = []
      for (let r = 0; r < 2; r++) {
        const t = pool.pick(all)!
        t.inFlight++
        t.requests++
        finishing[(tick + (t === slow ? 20 : 1)) % 40]!.push(t)
      }
    }
    expect(fast!.requests).toBeGreaterThan(slow!.requests * 4)
    expect(fast!.requests + slow!.requests).toBe(1000)
  })

  it('avoids a target with requests in flight', () => {
    const pool = poolOf('least-connections', urls(3))
    pool.targets[0]!.inFlight = 3
    pool.targets[1]!.inFlight = 1
    expect(pool.pick(all)).toBe(pool.targets[2])
    pool.targets[2]!.healthy = false
    expect(pool.pick(all)).toBe(pool.targets[1])
  })

  it('shares among equally idle targets by weight instead of always taking the first', () => {
    const even = poolOf('least-connections', urls(2))
    expect(Array.from({ length: 4 }, () => even.pick(all)?.index)).toEqual([0, 1, 0, 1])
    const pool = poolOf('least-connections', weighted31)
    const picks = Array.from({ length: 1000 }, () => pool.pick(all))
    expect(tally(picks)).toEqual(
      new Map([
        [0, 750],
        [1, 250],
      ]),
    )
    expect(longestRun(picks, 0)).toBeLessThanOrEqual(3)
  })

  it('compares load per unit of weight', () => {
    const pool = poolOf('least-connections', weighted31)
    pool.targets[0]!.inFlight = 2 // 2/3 per weight
    pool.targets[1]!.inFlight = 1 // 1/1
    expect(pool.pick(all)).toBe(pool.targets[0])
  })

  it('returns undefined when nothing is eligible', () => {
    expect(poolOf('least-connections', urls(3)).pick(() => false)).toBeUndefined()
  })
})

describe('random', () => {
  it('chooses by weight', () => {
    const pool = poolOf('random', weighted31)
    const counts = tally(Array.from({ length: 10_000 }, () => pool.pick(all)))
    expect(counts.get(0)! / 10_000).toBeGreaterThan(0.7)
    expect(counts.get(0)! / 10_000).toBeLessThan(0.8)
  })

  it('never returns an ineligible target, even at the edges of [0, 1)', () => {
    const pool = poolOf('random', urls(3))
    const last = pool.targets[2]!
    last.healthy = false
    for (const value of [0, 0.5, 0.999_999_9]) {
      const balancer = new RandomBalancer(() => value)
      const t = balancer.pick(pool.targets, all)
      expect(t).toBeDefined()
      expect(t).not.toBe(last)
    }
    const balancer = new RandomBalancer(seeded(7))
    const counts = tally(Array.from({ length: 2000 }, () => balancer.pick(pool.targets, all)))
    expect(counts.has(2)).toBe(false)
    expect(counts.get(0)).toBeGreaterThan(900)
    expect(counts.get(1)).toBeGreaterThan(900)
    expect(balancer.pick(pool.targets, () => false)).toBeUndefined()
  })
})

describe('hash', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `user-${i}`)
  const ipKeys = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)

  it('sends the same key to the same target every time', () => {
    const pool = poolOf('hash', urls(4))
    const first = new Map(keys.map((k) => [k, pool.pick(all, k)]))
    for (let round = 0; round < 3; round++) {
      for (const k of keys) expect(pool.pick(all, k)).toBe(first.get(k))
    }
    // A pool built again from the same spec (another gateway instance) agrees.
    const again = poolOf('hash', urls(4))
    for (const k of keys) expect(again.pick(all, k)?.index).toBe(first.get(k)?.index)
  })

  it('spreads keys over targets roughly evenly, and by weight', () => {
    const even = poolOf('hash', urls(4))
    for (const set of [keys, ipKeys]) {
      const counts = tally(set.map((k) => even.pick(all, k)))
      for (let i = 0; i < 4; i++) {
        expect(counts.get(i)).toBeGreaterThan(150)
        expect(counts.get(i)).toBeLessThan(350)
      }
    }
    const pool = poolOf('hash', weighted31)
    const heavy = tally(keys.map((k) => pool.pick(all, k))).get(0)!
    expect(heavy).toBeGreaterThan(650)
    expect(heavy).toBeLessThan(850)
  })

  it('moves at most 35% of keys, and only the removed target’s, when one of 4 targets leaves the pool', () => {
    const four = poolOf('hash', urls(4))
    const three = poolOf('hash', [...urls(4).slice(0, 2), ...urls(4).slice(3)])
    let moved = 0
    for (const k of keys) {
      const before = four.pick(all, k)!
      const after = three.pick(all, k)!
      if (before.origin !== after.origin) {
        moved++
        expect(before.origin).toBe('http://127.0.0.1:8003')
      }
    }
    expect(moved).toBeGreaterThan(0)
    expect(moved / keys.length).toBeLessThanOrEqual(0.35)
  })

  it('walks the ring to the next eligible target when the chosen one is ineligible', () => {
    const pool = poolOf('hash', urls(4))
    const before = new Map(keys.map((k) => [k, pool.pick(all, k)!]))
    const gone = pool.targets[1]!
    gone.healthy = false
    let moved = 0
    for (const k of keys) {
      const after = pool.pick(all, k)!
      expect(after).not.toBe(gone)
      if (after !== before.get(k)) {
        moved++
        expect(before.get(k)).toBe(gone)
      }
    }
    expect(moved / keys.length).toBeLessThanOrEqual(0.35)
    // Same answer as a pool built without that target.
    const three = poolOf(
      'hash',
      urls(4).filter((u) => u !== gone.origin),
    )
    for (const k of keys) expect(pool.pick(all, k)!.origin).toBe(three.pick(all, k)!.origin)
    gone.healthy = true
    for (const k of keys) expect(pool.pick(all, k)).toBe(before.get(k))
  })

  it('asks each target at most once and returns undefined when none is eligible', () => {
    const pool = poolOf('hash', urls(4))
    let asked = 0
    expect(pool.pick(() => (asked++, false), 'some-key')).toBeUndefined()
    expect(asked).toBe(4)
  })

  it('falls back to round-robin without a key', () => {
    const pool = poolOf('hash', urls(2))
    expect(Array.from({ length: 4 }, () => pool.pick(all)?.index)).toEqual([0, 1, 0, 1])
  })

  it('builds a ring proportional to weight, and a spread-out 32-bit hash', () => {
    const pool = poolOf('hash', weighted31)
    const ring = buildHashRing(pool.targets)
    const owned = [0, 0]
    for (const owner of ring.owners) owned[owner]!++
    expect(owned[0]).toBe(owned[1]! * 3)
    for (let i = 1; i < ring.points.length; i++) expect(ring.points[i]!).toBeGreaterThanOrEqual(ring.points[i - 1]!)
    expect(hash32('a')).not.toBe(hash32('b'))
    expect(hash32('10.0.0.1')).toBe(hash32('10.0.0.1'))
    expect(Number.isInteger(hash32('x')) && hash32('x') >= 0 && hash32('x') < 2 ** 32).toBe(true)
    const heavy = poolOf('hash', [
      { url: 'http://a.test', weight: 1000 },
      { url: 'http://b.test', weight: 1000 },
    ])
    expect(buildHashRing(heavy.targets).points.length).toBeLessThanOrEqual(1 << 16)
  })
})
