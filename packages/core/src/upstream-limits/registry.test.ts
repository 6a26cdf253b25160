import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import type { Route } from '../routing/route.js'
import type { UpstreamLimitOptions } from './options.js'
import { mergePresetOverrides } from './presets.js'
import { UpstreamGovernors } from './registry.js'
import { upstreamLimitStage } from './upstream-limit-stage.js'

const route = (upstreamLimit: UpstreamLimitOptions, origin = 'https://api.github.com'): Route =>
  ({ id: 'gh', prefix: '/gh', pool: { targets: [{ origin }] }, raw: { upstreamLimit } }) as unknown as Route

let governors: UpstreamGovernors | undefined
afterEach(() => governors?.close())

describe('UpstreamGovernors', () => {
  it('keeps one governor per upstream + credential (+ resource), never holding the secret', async () => {
    governors = new UpstreamGovernors({})
    const r = route({ preset: 'github', callerHeader: 'x-worker' })
    const sent: string[] = []
    const app = new Hono()
    app.all(
      '/gh/*',
      upstreamLimitStage(r, {
        governorFor: governors.governorFor,
        send: async (c) => {
          sent.push(c.req.path)
          return new Response('{}', {
            headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4990', 'x-ratelimit-reset': '1800' },
          })
        },
      })!,
    )
    const call = (path: string, token: string) => app.request(path, { headers: { authorization: `Bearer ${token}`, 'x-worker': 'w1' } })
    expect((await call('/gh/repos/a/b', 'ghp_tokenA')).status).toBe(200)
    expect((await call('/gh/repos/a/c', 'ghp_tokenA')).status).toBe(200)
    expect((await call('/gh/repos/a/b', 'ghp_tokenB')).status).toBe(200)
    const res = await call('/gh/search/code', 'ghp_tokenA')
    expect(res.status).toBe(200)
    // The caller's own share replaces the upstream's figures for the whole token.
    expect(res.headers.get('x-ratelimit-limit')).not.toBe('5000')
    expect(res.headers.get('ratelimit-policy')).toMatch(/^"upstream";q=\d+;w=60$/)
    const status = governors.status()
    expect(status).toHaveLength(3) // token A core, token A search, token B core
    expect(JSON.stringify(status)).not.toContain('ghp_')
    expect(status.map((s) => s.key).filter((k) => k.endsWith('|search'))).toHaveLength(1)
    const first = status[0]!
    expect(first).toMatchObject({ rateSource: 'configured', throttles: 0, queued: 0, pausedUntil: null })
    expect(first.callers).toEqual([expect.objectContaining({ callerId: 'w1', share: 1, served: 2 })])
    expect(sent).toHaveLength(4)
  })

  it('resolves the route option against merged presets and caches it', () => {
    governors = new UpstreamGovernors({ presets: mergePresetOverrides({ crm: { requestsPerMinute: 30 } }) })
    const r = route({ preset: 'crm' }, 'https://crm.example')
    expect(governors.limitFor(r).budget).toEqual({ requestsPerMinute: 30 })
    expect(governors.limitFor(r)).toBe(governors.limitFor(r))
    expect(governors.governorFor(r, 'anonymous').rate()).toEqual({ ratePerSecond: 0.5, source: 'configured' })
    expect(governors.governorFor(r, 'anonymous')).toBe(governors.governorFor(r, 'anonymous'))
  })

  it('an invalid option fails when the stage is built, naming the field', () => {
    expect(() =>
      upstreamLimitStage(route({ maxWaitMs: -5 }), { governorFor: () => undefined as never, send: async () => new Response() }),
    ).toThrow(/^upstreamLimit\.maxWaitMs must be a number ≥ 0, got -5/)
  })
})
