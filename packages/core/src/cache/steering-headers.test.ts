// Which request headers count as origin-steering on cached routes.
import { describe, expect, it } from 'vitest'
import { isSteeringHeader, unkeyedSteeringHeaders } from './steering-headers.js'

describe('steering headers', () => {
  it('covers the known list and the X-Forwarded-* family, but not what the gateway sets itself', () => {
    for (const name of ['x-forwarded-scheme', 'x-original-host', 'front-end-https', 'true-client-ip', 'x-forwarded-anything']) {
      expect(isSteeringHeader(name)).toBe(true)
    }
    for (const name of ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'accept', 'user-agent', 'host']) {
      expect(isSteeringHeader(name)).toBe(false)
    }
  })

  it('lists the ones present that the route does not key on', () => {
    const headers = new Headers({ 'X-Forwarded-Scheme': 'nothttps', 'X-Original-URL': '/admin', Accept: '*/*' })
    expect(unkeyedSteeringHeaders(headers, [])?.sort()).toEqual(['x-forwarded-scheme', 'x-original-url'])
    expect(unkeyedSteeringHeaders(headers, ['x-original-url'])).toEqual(['x-forwarded-scheme'])
    expect(unkeyedSteeringHeaders(new Headers({ Accept: '*/*' }), [])).toBeUndefined()
  })
})
