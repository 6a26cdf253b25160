// Presets from an overrides file (loadPresetOverrides → upstreamPresets) are usable by routes, like the built-ins.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { APIGateway } from '../gateway.js'
import { createHarness } from '../testing/gateway-harness.js'
import { loadPresetOverrides } from './presets.js'

const h = createHarness()
let dir: string | undefined
afterEach(async () => {
  await h.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

const presetsFile = (presets: unknown): string => {
  dir ??= mkdtempSync(join(tmpdir(), 'tollgate-presets-'))
  const file = join(dir, 'presets.json')
  writeFileSync(file, JSON.stringify({ presets }))
  return file
}

describe('custom upstream presets', () => {
  it('a preset from an overrides file drives a route registered with registerRoute', async () => {
    const upstreamPresets = loadPresetOverrides(presetsFile({ crm: { requestsPerSecond: 3, burstSize: 3 } }))
    const up = await h.upstream()
    const { gateway, url } = await h.gateway((g) => g.registerRoute('/crm', up.url, { upstreamLimit: { preset: 'crm' } }), {
      upstreamPresets,
    })
    const res = await fetch(`${url}/crm/contacts`)
    expect(res.status).toBe(200)
    const [status] = gateway.upstreamStatus()
    expect(status).toMatchObject({ ratePerSecond: 3, rateSource: 'configured' })
  })

  it('an unknown preset is a ConfigError listing the known ones, custom ones included', () => {
    const upstreamPresets = loadPresetOverrides(presetsFile({ crm: { requestsPerSecond: 3 } }))
    const gateway = new APIGateway({ upstreamPresets })
    expect(() => gateway.registerRoute('/x', 'http://127.0.0.1:1', { upstreamLimit: { preset: 'crn' } })).toThrow(
      /^options\.upstreamLimit\.preset must be a known preset \(.*crm.*\), got "crn"/,
    )
  })
})
