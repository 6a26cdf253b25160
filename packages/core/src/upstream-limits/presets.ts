// Documented limits of well-known third-party APIs, and per-tenant overrides merged over them from JSON.
import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'
import type { AIMDOptions } from './aimd.js'

/** A named upstream limit: what `upstreamLimit: { preset }` starts from before the route's own fields. */
export interface UpstreamPreset {
  name: string
  description: string
  /** Where the limit is documented. */
  source: string
  requestsPerSecond?: number
  requestsPerMinute?: number
  requestsPerHour?: number
  burstSize?: number
  adaptive?: Partial<Pick<AIMDOptions, 'increase' | 'decrease' | 'minRate' | 'maxRate'>>
  /** AIMD's starting rate when the preset gives no fixed rate. */
  initialRatePerSecond?: number
  retryOn?: number[]
  fallback429Ms?: number
  fallback503Ms?: number
  /** Which of the upstream's own buckets a request counts against (GitHub's core / search / graphql). */
  resourceFor?: (method: string, path: string) => string | undefined
}

const builtins: Record<string, UpstreamPreset> = {
  // GitHub REST: 5,000 requests/hour per user token (15,000 for Enterprise Cloud apps); search has its own
  // 30/minute bucket and GraphQL its own points; secondary limits forbid bursts (≤ 100 concurrent, ≤ 900
  // points/minute per REST endpoint), hence a modest burst. The headers (x-ratelimit-*) are learned on top.
  github: {
    name: 'github',
    description: 'GitHub REST API: 5,000 requests/hour per token; search 30/minute',
    source: 'https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api',
    requestsPerHour: 5_000,
    burstSize: 20,
    resourceFor: (_method, path) => (/\/search(\/|$)/.test(path) ? 'search' : /\/graphql$/.test(path) ? 'graphql' : 'core'),
  },
  // OpenAI: limits are per organisation and model (RPM/TPM by usage tier), so no number fits all: start
  // conservatively at 1 request/s and learn from x-ratelimit-*-requests on every response.
  openai: {
    name: 'openai',
    description: 'OpenAI API: per-model RPM learned from x-ratelimit-*-requests; starts at 1 request/s',
    source: 'https://platform.openai.com/docs/guides/rate-limits',
    initialRatePerSecond: 1,
    adaptive: { increase: 0.5, decrease: 0.5, minRate: 0.2, maxRate: 50 },
  },
  // Slack Web API: tier-based per method per workspace; Tier 3 allows 50+ requests/minute (Tier 2: 20+,
  // Tier 4: 100+). Tier 3 is the common one; pick another with requestsPerMinute.
  slack: {
    name: 'slack',
    description: 'Slack Web API, Tier 3: 50+ requests/minute per method per workspace',
    source: 'https://api.slack.com/apis/rate-limits',
    requestsPerMinute: 50,
    burstSize: 5,
  },
  // Notion: an average of three requests per second per integration, some bursts allowed.
  notion: {
    name: 'notion',
    description: 'Notion API: average 3 requests/second per integration',
    source: 'https://developers.notion.com/reference/request-limits',
    requestsPerSecond: 3,
    burstSize: 3,
  },
  // Airtable: 5 requests per second per base; a 429 imposes a 30-second wait.
  airtable: {
    name: 'airtable',
    description: 'Airtable Web API: 5 requests/second per base (429 → wait 30 s)',
    source: 'https://airtable.com/developers/web/api/rate-limits',
    requestsPerSecond: 5,
    burstSize: 5,
    fallback429Ms: 30_000,
  },
  // Stripe: 100 read and 100 write operations per second in live mode; 25 each in test mode.
  stripe: {
    name: 'stripe',
    description: 'Stripe API, live mode: 100 operations/second (reads and writes each)',
    source: 'https://docs.stripe.com/rate-limits',
    requestsPerSecond: 100,
    burstSize: 25,
  },
  'stripe-test': {
    name: 'stripe-test',
    description: 'Stripe API, test mode: 25 operations/second',
    source: 'https://docs.stripe.com/rate-limits',
    requestsPerSecond: 25,
    burstSize: 5,
  },
}

/** A preset or override file is wrong; `field` names the culprit (e.g. `presets.github.requestsPerHour`). */
export class UpstreamConfigError extends ConfigError {
  override readonly name = 'UpstreamConfigError'
  readonly field: string
  constructor(field: string, message: string) {
    super(`${field} ${message}`, { path: field })
    this.field = field
  }
}

const positive = (value: unknown, field: string): void => {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)) {
    throw new UpstreamConfigError(field, `must be a positive number, got ${JSON.stringify(value)}`)
  }
}

const PRESET_FIELDS = new Set([
  'description',
  'source',
  'requestsPerSecond',
  'requestsPerMinute',
  'requestsPerHour',
  'burstSize',
  'adaptive',
  'initialRatePerSecond',
  'retryOn',
  'fallback429Ms',
  'fallback503Ms',
])

/** Checks one preset override (plain JSON data); throws UpstreamConfigError naming the field. */
export const validatePresetOverride = (value: unknown, field: string): Partial<UpstreamPreset> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UpstreamConfigError(field, 'must be an object')
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record))
    if (!PRESET_FIELDS.has(key)) throw new UpstreamConfigError(`${field}.${key}`, 'is not a preset field')
  for (const key of [
    'requestsPerSecond',
    'requestsPerMinute',
    'requestsPerHour',
    'burstSize',
    'initialRatePerSecond',
    'fallback429Ms',
    'fallback503Ms',
  ]) {
    positive(record[key], `${field}.${key}`)
  }
  for (const key of ['description', 'source']) {
    if (record[key] !== undefined && typeof record[key] !== 'string') throw new UpstreamConfigError(`${field}.${key}`, 'must be a string')
  }
  if (record.retryOn !== undefined) {
    if (!Array.isArray(record.retryOn) || !record.retryOn.every((s) => Number.isInteger(s) && s >= 400 && s <= 599)) {
      throw new UpstreamConfigError(`${field}.retryOn`, 'must be a list of 4xx/5xx status codes')
    }
  }
  if (record.adaptive !== undefined) {
    if (typeof record.adaptive !== 'object' || record.adaptive === null)
      throw new UpstreamConfigError(`${field}.adaptive`, 'must be an object')
    const adaptive = record.adaptive as Record<string, unknown>
    for (const key of Object.keys(adaptive)) {
      if (!['increase', 'decrease', 'minRate', 'maxRate'].includes(key))
        throw new UpstreamConfigError(`${field}.adaptive.${key}`, 'is not an adaptive field')
      positive(adaptive[key], `${field}.adaptive.${key}`)
    }
  }
  return record as Partial<UpstreamPreset>
}

/**
 * Merges overrides (`{ "<preset>": { …fields } }`, or that object under a `presets` key) over the built-in presets.
 * A new name defines a new preset. Validated: errors name the field.
 */
export const mergePresetOverrides = (
  overrides: unknown,
  base: Readonly<Record<string, UpstreamPreset>> = builtins,
): Record<string, UpstreamPreset> => {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))
    throw new UpstreamConfigError('presets', 'must be an object')
  const root = 'presets' in overrides ? (overrides as { presets: unknown }).presets : overrides
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new UpstreamConfigError('presets', 'must be an object')
  const merged: Record<string, UpstreamPreset> = { ...base }
  for (const [name, value] of Object.entries(root)) {
    const override = validatePresetOverride(value, `presets.${name}`)
    const existing = merged[name]
    merged[name] = {
      ...(existing ?? { description: `custom preset ${name}`, source: 'overrides file' }),
      ...override,
      ...(existing?.adaptive || override.adaptive ? { adaptive: { ...existing?.adaptive, ...override.adaptive } } : {}),
      name,
    }
  }
  return merged
}

/** Reads a JSON overrides file (per tenant/environment) and merges it over the built-in presets. */
export const loadPresetOverrides = (path: string, base?: Readonly<Record<string, UpstreamPreset>>): Record<string, UpstreamPreset> => {
  let data: unknown
  try {
    data = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new UpstreamConfigError('presets', `cannot read ${path}: ${(error as Error).message}`)
  }
  return mergePresetOverrides(data, base)
}

/** The built-in presets, by name. */
export const upstreamPresets: Readonly<Record<string, UpstreamPreset>> = builtins

/**
 * Available presets (built-in, or the result of mergePresetOverrides), sorted by name.
 * @example
 * listUpstreamPresets().map((p) => p.name) // ['airtable', 'github', 'notion', 'openai', 'slack', 'stripe', 'stripe-test']
 */
export const listUpstreamPresets = (presets: Readonly<Record<string, UpstreamPreset>> = builtins): UpstreamPreset[] =>
  Object.values(presets).sort((a, b) => a.name.localeCompare(b.name))
