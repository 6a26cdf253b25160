// trustProxy as a pure function: which X-Forwarded-For entries are believed.
import { describe, expect, it } from 'vitest'
import { compileTrustProxy, normalizeIp, peerTrusted, resolveClientIp, trustedChain } from './client-ip.js'

describe('compileTrustProxy', () => {
  it('keeps true, false, N hops and address lists, and adds CIDR ranges and named subnets', () => {
    expect(peerTrusted('1.2.3.4', compileTrustProxy(undefined))).toBe(false)
    expect(peerTrusted('1.2.3.4', compileTrustProxy(false))).toBe(false)
    expect(peerTrusted('1.2.3.4', compileTrustProxy(0))).toBe(false)
    expect(peerTrusted('1.2.3.4', compileTrustProxy(true))).toBe(true)
    expect(peerTrusted('1.2.3.4', compileTrustProxy(1))).toBe(true)
    const list = compileTrustProxy(['10.0.0.0/8', '192.168.1.7', 'loopback', 'fd00::/8'])
    expect(['10.200.0.1', '192.168.1.7', '127.0.0.1', '::1', 'fd12::1', '::ffff:10.0.0.9'].map((ip) => peerTrusted(ip, list))).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ])
    expect(['11.0.0.1', '192.168.1.8', 'not-an-ip'].map((ip) => peerTrusted(ip, list))).toEqual([false, false, false])
  })

  it.each([[['10.0.0.0/33']], [['nonsense']], [-1], [1.5], ['yes'], [{}]])('rejects %o naming the option', (value) => {
    expect(() => compileTrustProxy(value)).toThrow(/options\.trustProxy/)
  })
})

describe('resolveClientIp', () => {
  const xff = '6.6.6.6, 203.0.113.9, 10.1.2.3'
  it('walks X-Forwarded-For from the right while the hops are trusted', () => {
    expect(resolveClientIp('127.0.0.1', xff, compileTrustProxy(false))).toBe('127.0.0.1')
    expect(resolveClientIp('127.0.0.1', xff, compileTrustProxy(true))).toBe('6.6.6.6')
    expect(resolveClientIp('127.0.0.1', xff, compileTrustProxy(1))).toBe('10.1.2.3')
    expect(resolveClientIp('127.0.0.1', xff, compileTrustProxy(2))).toBe('203.0.113.9')
    expect(resolveClientIp('127.0.0.1', xff, compileTrustProxy(['127.0.0.1', '10.0.0.0/8']))).toBe('203.0.113.9')
    expect(resolveClientIp('192.0.2.1', xff, compileTrustProxy(['127.0.0.1', '10.0.0.0/8']))).toBe('192.0.2.1')
    expect(resolveClientIp('127.0.0.1', ' , ', compileTrustProxy(true))).toBe('127.0.0.1')
  })

  it('keeps only the vouched part of the chain', () => {
    expect(trustedChain('127.0.0.1', xff, compileTrustProxy(['loopback', '10.0.0.0/8']))).toEqual(['127.0.0.1', '10.1.2.3', '203.0.113.9'])
    expect(trustedChain('127.0.0.1', xff, compileTrustProxy(false))).toEqual(['127.0.0.1'])
  })

  it('normalises IPv4-mapped IPv6 addresses', () => {
    expect(normalizeIp('::ffff:127.0.0.1')).toBe('127.0.0.1')
    expect(normalizeIp('::1')).toBe('::1')
  })
})
