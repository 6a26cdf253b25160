import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { describe, expect, it } from 'vitest'
import { SCHEMA_FILE, configJSONSchema } from './json-schema.js'

const appDir = resolve(import.meta.dirname, '..')
const shipped = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>
const validator = new Ajv2020({ allErrors: true, strict: false }).compile(shipped)

describe('tollgate.schema.json', () => {
  it('is what the config schema generates (run `pnpm schema` after changing an option)', () => {
    expect(shipped).toEqual(configJSONSchema())
  })

  it('accepts the shipped example config, which points at it with $schema', () => {
    const example = JSON.parse(readFileSync(resolve(appDir, 'tollgate.config.example.json'), 'utf8')) as Record<string, unknown>
    expect(example.$schema).toBe('./tollgate.schema.json')
    expect(validator(example), JSON.stringify(validator.errors)).toBe(true)
  })

  it.each([
    ['a route field typo', { routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1', ratelimit: {} }] }, '/routes/0'],
    [
      'requireAuth as a string',
      { routes: [{ prefix: '/api', upstream: 'http://127.0.0.1:1', requireAuth: 'true' }] },
      '/routes/0/requireAuth',
    ],
    [
      'an unknown algorithm',
      { routes: [{ prefix: '/a', upstream: 'demo', rateLimit: { requestsPerMinute: 1, algorithm: 'leaky' } }] },
      '/routes/0/rateLimit',
    ],
    ['a port out of range', { port: 70_000, routes: [] }, '/port'],
  ])('refuses %s, as the gateway does', (_case, config, where) => {
    expect(validator(config)).toBe(false)
    expect(validator.errors!.some((error) => error.instancePath.startsWith(where))).toBe(true)
  })
})
