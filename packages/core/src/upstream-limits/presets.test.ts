import { ConfigError } from '../errors.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveUpstreamLimit } from './options.js'
import { listUpstreamPresets, loadPresetOverrides, mergePresetOverrides, upstreamPresets, UpstreamConfigError } from './presets.js'

describe('presets', () => {
  it('lists at least GitHub, OpenAI, Slack, Notion, Airtable and Stripe, each with its source', () => {
    const names = listUpstreamPresets().map((p) => p.name)
    for (const name of ['github', 'openai', 'slack', 'notion', 'airtable', 'stripe']) expect(names).toContain(name)
    expect(names).toEqual([...names].sort())
    for (const preset of listUpstreamPresets()) expect(preset.source).toMatch(/^https:\/\//)
  })

  it('encodes the documented limits', () => {
    expect(upstreamPresets.github!.requestsPerHour).toBe(5_000)
    expect(upstreamPresets.notion!.requestsPerSecond).toBe(3)
    expect(upstreamPresets.airtable!.requestsPerSecond).toBe(5)
    expect(upstreamPresets.slack!.requestsPerMinute).toBe(50)
    expect(upstreamPresets.stripe!.requestsPerSecond).toBe(100)
    expect(upstreamPresets['stripe-test']!.requestsPerSecond).toBe(25)
    expect(upstreamPresets.openai!.requestsPerSecond).toBeUndefined() // learned from its headers
  })

  it('GitHub splits core, search and graphql', () => {
    const resourceFor = upstreamPresets.github!.resourceFor!
    expect(resourceFor('GET', '/github/search/code')).toBe('search')
    expect(resourceFor('POST', '/graphql')).toBe('graphql')
    expect(resourceFor('GET', '/repos/a/b')).toBe('core')
  })
})

describe('preset overrides', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('merges over the built-ins and adds new presets', () => {
    const merged = mergePresetOverrides({ presets: { github: { requestsPerHour: 15_000 }, crm: { requestsPerSecond: 2 } } })
    expect(merged.github).toMatchObject({ name: 'github', requestsPerHour: 15_000, burstSize: 20 })
    expect(merged.github!.resourceFor).toBeTypeOf('function')
    expect(merged.crm).toMatchObject({ name: 'crm', requestsPerSecond: 2 })
    expect(upstreamPresets.github!.requestsPerHour).toBe(5_000) // built-ins untouched
    expect(listUpstreamPresets(merged).map((p) => p.name)).toContain('crm')
  })

  it('merges adaptive fields one by one', () => {
    const merged = mergePresetOverrides({ openai: { adaptive: { maxRate: 5 } } })
    expect(merged.openai!.adaptive).toEqual({ increase: 0.5, decrease: 0.5, minRate: 0.2, maxRate: 5 })
  })

  it.each([
    [{ github: { requestsPerHour: -1 } }, 'presets.github.requestsPerHour'],
    [{ github: { requestsPerHour: '5000' } }, 'presets.github.requestsPerHour'],
    [{ github: { requestsPerDecade: 1 } }, 'presets.github.requestsPerDecade'],
    [{ slack: { retryOn: [200] } }, 'presets.slack.retryOn'],
    [{ slack: { adaptive: { speed: 1 } } }, 'presets.slack.adaptive.speed'],
    [{ slack: 5 }, 'presets.slack'],
    [[], 'presets'],
  ])('rejects %j naming %s', (overrides, field) => {
    try {
      mergePresetOverrides(overrides)
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(UpstreamConfigError)
      expect((error as UpstreamConfigError).field).toBe(field)
      expect((error as Error).message).toContain(field)
    }
  })

  it('loads a per-tenant JSON file', () => {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-presets-'))
    const file = join(dir, 'tenant-a.json')
    writeFileSync(file, JSON.stringify({ presets: { notion: { requestsPerSecond: 2.5 } } }))
    expect(loadPresetOverrides(file).notion!.requestsPerSecond).toBe(2.5)
    writeFileSync(file, '{ not json')
    expect(() => loadPresetOverrides(file)).toThrow(/presets cannot read/)
  })
})

describe('resolveUpstreamLimit', () => {
  it('applies the defaults', () => {
    expect(resolveUpstreamLimit({})).toMatchObject({
      budget: undefined,
      fairShare: true,
      maxWaitMs: 60_000,
      retryOn: [429, 503],
      maxRetries: 5,
      fallback429Ms: 1_000,
      fallback503Ms: 5_000,
      jitter: 0.2,
      maxQueueLength: 1_000,
      maxCallers: 10_000,
      storeTimeoutMs: undefined,
    })
    expect(resolveUpstreamLimit({ maxCallers: 500, storeTimeoutMs: 1_000 })).toMatchObject({ maxCallers: 500, storeTimeoutMs: 1_000 })
  })

  it('starts from the preset; route fields win, and a route rate replaces the preset rate', () => {
    expect(resolveUpstreamLimit({ preset: 'github', maxWaitMs: 5_000 })).toMatchObject({
      preset: 'github',
      budget: { requestsPerHour: 5_000, burstSize: 20 },
      maxWaitMs: 5_000,
    })
    expect(resolveUpstreamLimit({ preset: 'github', requestsPerSecond: 2 }).budget).toEqual({ requestsPerSecond: 2, burstSize: 20 })
    expect(resolveUpstreamLimit({ preset: 'airtable' }).fallback429Ms).toBe(30_000)
    expect(resolveUpstreamLimit({ preset: 'openai' })).toMatchObject({ budget: undefined, initialRatePerSecond: 1 })
  })

  it('uses merged presets', () => {
    const presets = mergePresetOverrides({ crm: { requestsPerMinute: 30 } })
    expect(resolveUpstreamLimit({ preset: 'crm' }, presets).budget).toEqual({ requestsPerMinute: 30 })
  })

  it.each([
    [{ preset: 'nope' }, 'upstreamLimit.preset'],
    [{ requestsPerSecond: 0 }, 'upstreamLimit.requestsPerSecond'],
    [{ requestsPerMinute: Number.NaN }, 'upstreamLimit.requestsPerMinute'],
    [{ burstSize: -2 }, 'upstreamLimit.burstSize'],
    [{ maxWaitMs: -1 }, 'upstreamLimit.maxWaitMs'],
    [{ maxRetries: 1.5 }, 'upstreamLimit.maxRetries'],
    [{ jitter: 2 }, 'upstreamLimit.jitter'],
    [{ fairShare: 'yes' }, 'upstreamLimit.fairShare'],
    [{ callerHeader: 'bad header' }, 'upstreamLimit.callerHeader'],
    [{ retryOn: [200] }, 'upstreamLimit.retryOn[0]'],
    [{ adaptive: { decrease: 1.5 } }, 'upstreamLimit.adaptive.decrease'],
    [{ adaptive: { minRate: 5, maxRate: 1 } }, 'upstreamLimit.adaptive.minRate'],
    [{ adaptive: { slope: 1 } }, 'upstreamLimit.adaptive.slope'],
    [{ maxQueueLength: 0 }, 'upstreamLimit.maxQueueLength'],
    [{ maxCallers: -1 }, 'upstreamLimit.maxCallers'],
    [{ storeTimeoutMs: 0 }, 'upstreamLimit.storeTimeoutMs'],
    [{ requestsPerHour: 5 }, 'upstreamLimit.requestsPerHour'],
  ])('rejects %j naming %s', (options, field) => {
    expect(() => resolveUpstreamLimit(options as never)).toThrow(ConfigError)
    expect(() => resolveUpstreamLimit(options as never)).toThrow(new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')} (must|is) `))
  })
})
