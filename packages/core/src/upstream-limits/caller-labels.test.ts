// Caller labels stay bounded: undeclared callers are one `anonymous` series, declared ones the busiest N plus `other`.
import { afterEach, describe, expect, it } from 'vitest'
import { createHarness } from '../testing/gateway-harness.js'
import { rawRequest } from '../testing/http-client.js'
import { upstreamFamilies } from './capability.js'
import { boundedStatus, labelledCallers } from './caller-labels.js'
import type { UpstreamStatus } from './types.js'

const h = createHarness()
afterEach(() => h.close())

type Caller = UpstreamStatus['callers'][number]
const caller = (callerId: string, served: number, queued = 0): Caller => ({
  callerId,
  weight: 1,
  share: 0.1,
  queued,
  served,
  waitP50Ms: served,
  waitP99Ms: served * 2,
  ratePerSecond: 1,
})

/** Sends `n` requests, `concurrency` at a time, with the headers `headersOf(i)`; returns the statuses. */
const send = async (
  url: string,
  path: string,
  n: number,
  headersOf: (i: number) => Record<string, string>,
  concurrency = 32,
): Promise<number[]> => {
  const statuses: number[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++
        statuses.push((await rawRequest(url, path, { headers: headersOf(i) })).status)
      }
    }),
  )
  return statuses
}

const seriesOf = (text: string, family: string): string[] => text.split('\n').filter((line) => line.startsWith(`${family}{`))

describe('caller labels', () => {
  it('keeps the busiest declared callers, sums the rest into other and every undeclared one into anonymous', () => {
    const callers = [caller('a', 5), caller('b', 9), caller('c', 1, 3), caller('anon:1.2.3.4|x', 50), caller('anon:1.2.3.4|y', 7)]
    const out = labelledCallers(callers, 2)
    expect(out.map((c) => c.callerId)).toEqual(['b', 'a', 'other', 'anonymous'])
    expect(out[2]).toMatchObject({ served: 1, queued: 3, waitP99Ms: 2 })
    expect(out[3]).toMatchObject({ served: 57, share: 0.2, waitP99Ms: 100, ratePerSecond: 2 })
    expect(labelledCallers([caller('a', 1)], 2).map((c) => c.callerId)).toEqual(['a'])
  })

  it('bounds the callers a status lists', () => {
    const status: UpstreamStatus = {
      key: 'u',
      ratePerSecond: 1,
      rateSource: 'configured',
      pausedUntil: null,
      throttles: 0,
      queued: 0,
      callers: Array.from({ length: 150 }, (_, i) => caller(`c${i}`, i)),
    }
    const bounded = boundedStatus(status, 100)
    expect(bounded.callers).toHaveLength(101)
    expect(bounded.callers[0]?.callerId).toBe('c149')
    expect(bounded.callers[100]).toMatchObject({ callerId: 'other', served: (49 * 50) / 2 })
    const anonymous = boundedStatus({ ...status, callers: status.callers.map((c) => ({ ...c, callerId: `anon:${c.callerId}` })) }, 100)
    expect(anonymous.callers).toHaveLength(101)
    expect(anonymous.callers[100]).toMatchObject({ callerId: 'anonymous', served: (49 * 50) / 2 })
    // A bounded status labels the same: its buckets join the scrape's.
    expect(labelledCallers(bounded.callers, 2).map((c) => c.callerId)).toEqual(['c149', 'c148', 'other'])
    expect(boundedStatus({ ...status, callers: status.callers.slice(0, 3) }, 100).callers).toHaveLength(3)
  })

  it('labels the 20 busiest upstream keys (one per credential) and sums the rest into upstream="other"', () => {
    const statuses: UpstreamStatus[] = Array.from({ length: 30 }, (_, i) => ({
      key: `http://api|cred${i}`,
      ratePerSecond: 1,
      rateSource: 'configured',
      pausedUntil: i === 0 ? 5_000 : null,
      throttles: 1,
      queued: 0,
      callers: [caller('shared', i), caller(`anon:10.0.0.${i}|x`, 1)],
    }))
    const families = upstreamFamilies(statuses)
    const rate = families.find((f) => f.name === 'tollgate_upstream_rate')
    expect(rate?.samples).toHaveLength(21)
    expect(rate?.samples.at(-1)).toEqual({ labels: { upstream: 'other' }, value: 10 })
    expect(families.find((f) => f.name === 'tollgate_upstream_paused')?.samples.at(-1)?.value).toBe(1)
    const share = families.find((f) => f.name === 'tollgate_upstream_caller_share')
    const labelSets = share?.samples.map((s) => JSON.stringify(s.labels)) ?? []
    // One series per (upstream, caller): the callers of the merged upstreams are merged by id too.
    expect(new Set(labelSets).size).toBe(labelSets.length)
    expect(labelSets.filter((l) => l.includes('"upstream":"other"'))).toEqual([
      JSON.stringify({ upstream: 'other', caller: 'shared' }),
      JSON.stringify({ upstream: 'other', caller: 'anonymous' }),
    ])
  })

  it('1 000 distinct user-agents and 200 distinct declared callers keep the Prometheus caller series within N + 2', {
    timeout: 60_000,
  }, async () => {
    const upstream = await h.upstream()
    const limit = { requestsPerSecond: 100_000, burstSize: 1_000, maxWaitMs: 20_000 }
    const { url, gateway } = await h.gateway((g) =>
      g
        .registerRoute('/anon', upstream.url, { upstreamLimit: limit })
        .registerRoute('/named', upstream.url, { upstreamLimit: { ...limit, callerHeader: 'x-caller' } }),
    )
    const anon = await send(url, '/anon', 1_000, (i) => ({ 'user-agent': `bot/${i}` }))
    const named = await send(url, '/named', 200, (i) => ({ 'x-caller': `tenant-${i}`, 'user-agent': `ua/${i}` }))
    expect([...anon, ...named].every((s) => s === 200)).toBe(true)

    const text = await (await fetch(`${url}/_metrics/prometheus`)).text()
    for (const family of [
      'tollgate_upstream_caller_share',
      'tollgate_upstream_caller_queued',
      'tollgate_upstream_caller_wait_p99_seconds',
    ]) {
      const series = seriesOf(text, family)
      expect(series.length).toBeGreaterThan(2)
      expect(series.length).toBeLessThanOrEqual(22)
      expect(series.some((s) => s.includes('caller="anonymous"'))).toBe(true)
      expect(series.some((s) => s.includes('caller="other"'))).toBe(true)
      expect(series.some((s) => /caller="[^"]*(bot\/|ua\/|127\.0\.0\.1)/.test(s))).toBe(false)
    }
    // The JSON keeps detail, bounded too.
    const [status] = gateway.upstreamStatus()
    // 100 declared + other, 100 undeclared + anonymous.
    expect(status?.callers).toHaveLength(202)
    expect(status?.callers.filter((c) => c.callerId.startsWith('anon:127.0.0.1|bot/'))).toHaveLength(100)
    expect(status?.callers.map((c) => c.callerId)).toEqual(expect.arrayContaining(['other', 'anonymous']))
  })
})
