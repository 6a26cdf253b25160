// Test helper: a real Hono app on 127.0.0.1:0 whose only stage is upstreamLimit, forwarding with a real fetch.
import { serve, type ServerType } from '@hono/node-server'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import type { Route } from '../routing/route.js'
import type { MockUpstream } from '../testing/mock-upstream.js'
import type { UpstreamLimitOptions } from './options.js'
import { UpstreamGovernors, type UpstreamGovernorsOptions } from './registry.js'
import { upstreamLimitStage, type UpstreamLimitDeps } from './upstream-limit-stage.js'

export const fakeRoute = (origin: string, upstreamLimit: UpstreamLimitOptions): Route =>
  ({ id: 'api', prefix: '/api', pool: { targets: [{ origin }] }, raw: { upstreamLimit } }) as unknown as Route

/** A Hono app whose only stage is the route's upstreamLimit (clients come from 127.0.0.1); for tests and the bench. */
export const upstreamStageApp = (route: Route, deps: UpstreamLimitDeps): Hono => {
  const stage = upstreamLimitStage(route, deps)!
  const app = new Hono()
  app.use('*', async (c, next) => {
    c.set('clientIp', '127.0.0.1')
    await next()
  })
  app.all('/api/*', stage)
  return app
}

export interface StageHarness {
  url: string
  governors: UpstreamGovernors
  /** Closes the gateway (not the upstream: several gateways may share one). */
  close(): Promise<void>
}

/**
 * Starts one gateway instance in front of `upstream`; `x-caller` is forwarded so the upstream can tell callers apart.
 * @example
 * const gw = await startStageGateway(upstream, { requestsPerSecond: 10, callerHeader: 'x-caller' }, { redis })
 */
export const startStageGateway = async (
  upstream: MockUpstream,
  upstreamLimit: UpstreamLimitOptions,
  options: UpstreamGovernorsOptions & { governorFor?: UpstreamLimitDeps['governorFor'] } = {},
): Promise<StageHarness> => {
  const route = fakeRoute(upstream.url, upstreamLimit)
  const { governorFor, ...governorsOptions } = options
  const governors = new UpstreamGovernors(governorsOptions)
  const app = upstreamStageApp(route, {
    governorFor: governorFor ?? governors.governorFor,
    send: (c) => {
      const url = new URL(c.req.url)
      return fetch(upstream.url + url.pathname + url.search, {
        method: c.req.method,
        headers: { 'x-caller': c.req.header('x-caller') ?? '' },
        ...(c.req.method !== 'GET' && c.req.method !== 'HEAD' && { body: c.req.raw.body, duplex: 'half' }),
        signal: c.req.raw.signal,
      } as RequestInit)
    },
  })
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    governors,
    close: async () => {
      governors.close()
      await new Promise<void>((resolve) => {
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
        server.close(() => resolve())
      })
    },
  }
}

/** The most arrivals in any window of `lengthMs` starting at an arrival (a sliding window over every arrival). */
export const maxInAnyWindow = (arrivals: readonly { at: number }[], lengthMs: number): number => {
  const times = arrivals.map((a) => a.at).sort((a, b) => a - b)
  let most = 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while (j < times.length && (times[j] as number) < (times[i] as number) + lengthMs) j++
    most = Math.max(most, j - i)
  }
  return most
}
