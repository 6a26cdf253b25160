// The real Prometheus output of a busy gateway passes `promtool check metrics` (format and naming lint).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { startBusyGateway } from '../testing/busy-gateway.test-helper.js'
import { createHarness } from '../testing/gateway-harness.js'

const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool'
const available = existsSync(PROMTOOL)
if (!available && process.env.CI) throw new Error(`promtool is missing at ${PROMTOOL} (apt-get install -y prometheus)`)
if (!available) console.warn(`SKIPPED: promtool not found at ${PROMTOOL}; install it with apt-get install -y prometheus`)

const h = createHarness()
afterEach(() => h.close())

describe.skipIf(!available)('promtool check metrics', () => {
  it('accepts /_metrics/prometheus of a gateway with routes, limits, cache, upstream limits, keys and an open breaker', async () => {
    const busy = await startBusyGateway(h)
    await busy.traffic()
    await busy.tripBreaker()
    const text = await (await fetch(`${busy.url}/_metrics/prometheus`)).text()
    // The output covers every capability, so the check is not vacuous.
    for (const family of [
      'tollgate_requests_total',
      'tollgate_request_duration_seconds_bucket',
      'tollgate_requests_rate_limited_total',
      'tollgate_cache_hits_total',
      'tollgate_circuit_breaker_state',
      'tollgate_upstream_caller_share',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(text).toContain(`\n${family}`)
    }
    expect(text).toContain('# TYPE nodejs_gc_duration_seconds histogram')
    expect(text).toMatch(/^tollgate_requests_rate_limited_total\{route="api"\} [1-9]/m)
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 })
    expect({ status: check.status, out: `${check.stdout}${check.stderr}`.trim() }).toEqual({ status: 0, out: '' })
  })
})
