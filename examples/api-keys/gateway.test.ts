import { describe, expect, it } from 'vitest'
import { main } from './gateway.js'

describe('examples/api-keys', () => {
  it('admits valid keys, rejects missing, malformed and revoked ones, and never forwards the key', async () => {
    const result = await main()
    expect(result.statuses).toEqual({
      'X-API-Key': 200,
      'Authorization: Bearer': 200,
      'no key': 401,
      'malformed key': 401,
      'revoked key': 401,
    })
    expect(result.upstreamSawAKey).toBe(false)
    expect(result.listed.map((k) => [k.name, k.status]).sort()).toEqual([
      ['Basic App', 'active'],
      ['Premium App', 'revoked'],
    ])
    const listing = JSON.stringify(result.listed)
    for (const key of result.issuedKeys) expect(listing).not.toContain(key)
  })
})
