import { describe, expect, it } from 'vitest'
import { formatBanner } from './banner.js'
import type { RunningGateway } from './start-gateway.js'
import { validateConfig } from './validate-config.js'

const running = (host: string, adminUrl?: string): RunningGateway =>
  ({
    url: 'http://127.0.0.1:8080',
    host,
    port: 8080,
    adminUrl,
    demoUpstream: undefined,
    gateway: { routes: [] },
  }) as unknown as RunningGateway

const statusLine = (run: RunningGateway, config: Record<string, unknown> = {}): string => {
  const lines = formatBanner(run, validateConfig({ routes: [], ...config }, { port: 8080, host: run.host }), { file: undefined, env: [] })
  return lines.at(-1)!
}

describe('the banner names the health endpoints and where the status is', () => {
  it('on loopback: the status endpoints on the traffic URL', () => {
    expect(statusLine(running('127.0.0.1'))).toBe(
      'endpoints: http://127.0.0.1:8080/_health/live http://127.0.0.1:8080/_health/ready; status: http://127.0.0.1:8080/_metrics http://127.0.0.1:8080/_metrics/prometheus',
    )
  })

  it('on 0.0.0.0: off without a token, token-only with one, and the admin listener when there is one', () => {
    expect(statusLine(running('0.0.0.0'))).toContain('status: /_metrics and /_upstreams are off on 0.0.0.0 (set adminPort')
    expect(statusLine(running('0.0.0.0'), { adminToken: 'a-token-of-16-chars-or-more' })).toContain('need the admin token on 0.0.0.0')
    expect(statusLine(running('0.0.0.0', 'http://127.0.0.1:9901'))).toContain('status: http://127.0.0.1:9901/_metrics')
  })
})
