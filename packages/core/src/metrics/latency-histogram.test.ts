import { describe, expect, it } from 'vitest'
import { LatencyHistogram } from './latency-histogram.js'
import { retainedHeap } from '../testing/full-gc.js'

/** Deterministic PRNG (mulberry32) so a failure is reproducible. */
const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Exact nearest-rank percentile of sorted values. */
const exact = (sorted: number[], p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number

const ERROR = 1 / 64 + 1e-9

const check = (values: number[]) => {
  const h = new LatencyHistogram()
  for (const v of values) h.record(v)
  const sorted = [...values].sort((a, b) => a - b)
  for (const p of [1, 10, 25, 50, 75, 90, 95, 99, 99.9]) {
    const want = exact(sorted, p)
    const got = h.percentile(p)
    // 1 µs absolute slack for the linear sub-millisecond range, 1/64 relative above.
    expect(Math.abs(got - want), `p${p}: got ${got}, want ${want}`).toBeLessThanOrEqual(Math.max(want * ERROR, 0.0005))
  }
  return h
}

describe('LatencyHistogram', () => {
  it('is empty at first', () => {
    const h = new LatencyHistogram()
    expect([h.count, h.sum, h.mean, h.percentile(50), h.percentile(99)]).toEqual([0, 0, 0, 0, 0])
    expect(h.prometheusBuckets().at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 0 })
  })

  it('tracks count, sum, mean, min and max exactly', () => {
    const h = new LatencyHistogram()
    for (const v of [1, 2, 3, 10]) h.record(v)
    expect([h.count, h.sum, h.mean, h.min, h.max]).toEqual([4, 16, 4, 1, 10])
    expect(h.percentile(0)).toBe(1)
    expect(h.percentile(100)).toBe(10)
  })

  it('answers a single value within the error bound', () => {
    for (const v of [0.05, 0.3, 1, 7.7, 123.4, 5_000, 119_000]) {
      const h = new LatencyHistogram()
      h.record(v)
      h.record(v)
      expect(Math.abs(h.percentile(50) - v)).toBeLessThanOrEqual(v * ERROR)
    }
  })

  it('matches exact percentiles of a uniform distribution (1..1000 ms)', () => {
    const r = rng(1)
    check(Array.from({ length: 20_000 }, () => 1 + r() * 999))
  })

  it('matches exact percentiles of a log-normal distribution (0.05 ms .. 100 s)', () => {
    const r = rng(2)
    const values = Array.from({ length: 20_000 }, () => {
      const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())
      return Math.min(100_000, Math.max(0.05, Math.exp(Math.log(20) + 2 * z)))
    })
    check(values)
  })

  it('matches exact percentiles of a bimodal distribution (fast cache hits, slow upstream)', () => {
    const r = rng(3)
    check(Array.from({ length: 10_000 }, (_, i) => (i % 10 === 0 ? 800 + r() * 400 : 0.2 + r() * 0.6)))
  })

  it('is exact on the sequence 1..100 ms within the bound', () => {
    const h = new LatencyHistogram()
    for (let i = 1; i <= 100; i++) h.record(i)
    expect(Math.abs(h.percentile(50) - 50)).toBeLessThanOrEqual(50 * ERROR)
    expect(Math.abs(h.percentile(90) - 90)).toBeLessThanOrEqual(90 * ERROR)
    expect(Math.abs(h.percentile(99) - 99)).toBeLessThanOrEqual(99 * ERROR)
  })

  it('clamps negative, NaN and huge values instead of throwing', () => {
    const h = new LatencyHistogram()
    h.record(-5)
    h.record(Number.NaN)
    h.record(1e9)
    h.record(Number.POSITIVE_INFINITY)
    expect(h.count).toBe(4)
    expect(h.min).toBe(0)
    expect(Number.isFinite(h.sum)).toBe(true)
    expect(h.percentile(100)).toBe(1e9)
    expect(h.prometheusBuckets().at(-1)?.count).toBe(4)
    expect(h.prometheusBuckets()[0]?.count).toBe(2)
  })

  it('counts Prometheus buckets exactly at their boundaries (le is inclusive)', () => {
    const h = new LatencyHistogram()
    // 5 ms is exactly le=0.005; 5.0001 ms is above it; 10 s exactly le=10; 10.5 s only +Inf.
    for (const ms of [1, 5, 5.0001, 9.99, 10, 250, 10_000, 10_500]) h.record(ms)
    const b = Object.fromEntries(h.prometheusBuckets().map(({ le, count }) => [String(le), count]))
    expect(b).toEqual({
      '0.005': 2,
      '0.01': 5,
      '0.025': 5,
      '0.05': 5,
      '0.1': 5,
      '0.25': 6,
      '0.5': 6,
      '1': 6,
      '2.5': 6,
      '5': 6,
      '10': 7,
      Infinity: 8,
    })
  })

  it('agrees with a brute-force count of every Prometheus bucket', () => {
    const r = rng(4)
    const values = Array.from({ length: 5_000 }, () => Math.exp(r() * Math.log(30_000)))
    const h = new LatencyHistogram()
    for (const v of values) h.record(v)
    for (const { le, count } of h.prometheusBuckets()) {
      expect(count).toBe(values.filter((v) => v / 1000 <= le).length)
    }
  })

  it('supports custom Prometheus boundaries and rejects bad ones', () => {
    const h = new LatencyHistogram([0.001, 0.1, 60])
    h.record(0.5)
    h.record(50)
    h.record(70_000)
    expect(h.prometheusBuckets().map((b) => b.count)).toEqual([1, 2, 2, 3])
    expect(() => new LatencyHistogram([0.1, 0.05])).toThrow(RangeError)
    expect(() => new LatencyHistogram([0])).toThrow(RangeError)
    expect(() => new LatencyHistogram([1000])).toThrow(RangeError)
  })

  it('lists fine buckets and resets', () => {
    const h = new LatencyHistogram()
    h.record(1)
    h.record(1)
    h.record(100)
    const fine = [...h.buckets()]
    expect(fine.reduce((n, [, , c]) => n + c, 0)).toBe(3)
    for (const [lo, hi] of fine) expect(hi).toBeGreaterThan(lo)
    h.reset()
    expect([h.count, h.sum, [...h.buckets()].length]).toEqual([0, 0, 0])
  })

  it('retains nothing per record (heap after a full GC stays flat over 1M records)', () => {
    const h = new LatencyHistogram()
    for (let i = 0; i < 10_000; i++) h.record(i % 500)
    const before = retainedHeap()
    for (let i = 0; i < 1_000_000; i++) h.record((i % 1000) * 0.37)
    expect(retainedHeap() - before).toBeLessThan(256 * 1024)
  })
})
