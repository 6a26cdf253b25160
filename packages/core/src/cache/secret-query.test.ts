// Credential-named query parameters.
import { describe, expect, it } from 'vitest'
import { DEFAULT_SECRET_QUERY_PARAMS, hasSecretQueryParam, resolveSecretQueryParams } from './secret-query.js'

describe('secret query parameters', () => {
  const defaults = resolveSecretQueryParams(undefined)

  it('finds credential names in any case and percent-encoding', () => {
    expect(defaults).toEqual(new Set(DEFAULT_SECRET_QUERY_PARAMS))
    expect(hasSecretQueryParam('page=2&api_key=abc', defaults)).toBe(true)
    expect(hasSecretQueryParam('API%5FKEY=abc', defaults)).toBe(true)
    expect(hasSecretQueryParam('Access_Token=abc', defaults)).toBe(true)
    expect(hasSecretQueryParam('page=2&keyboard=1', defaults)).toBe(false)
    expect(hasSecretQueryParam('q=api_key', defaults)).toBe(false)
    expect(hasSecretQueryParam('', defaults)).toBe(false)
  })

  it('takes a replacement list and rejects anything else', () => {
    const custom = resolveSecretQueryParams(['Sig'])
    expect(hasSecretQueryParam('sig=1', custom)).toBe(true)
    expect(hasSecretQueryParam('api_key=1', custom)).toBe(false)
    expect(hasSecretQueryParam('api_key=1', resolveSecretQueryParams([]))).toBe(false)
    expect(() => resolveSecretQueryParams('token')).toThrow(/secretQueryParams/)
    expect(() => resolveSecretQueryParams([''])).toThrow(/secretQueryParams/)
  })
})
