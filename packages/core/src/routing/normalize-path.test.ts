import { describe, expect, it } from 'vitest'
import { normalizePath, normalizePrefix } from './normalize-path.js'

describe('normalizePath', () => {
  it.each([
    ['/api/users', '/api/users'],
    ['/api//users', '/api/users'],
    ['//api///users//7', '/api/users/7'],
    ['/api/users/../admin', '/api/admin'],
    ['/api/users/./7', '/api/users/7'],
    ['/api/users/%2e%2e/admin', '/api/admin'],
    ['/api/users/%2E%2E/%2e%2E/etc', '/etc'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/api/users/', '/api/users/'],
    ['/api/users/..', '/api/'],
    ['/a/b/../..', '/'],
    ['/', '/'],
    ['', '/'],
    ['/api/users/file.json', '/api/users/file.json'],
    ['/api/.hidden/x', '/api/.hidden/x'],
    ['/api/..x/y', '/api/..x/y'],
  ])('%s → %s', (input, expected) => {
    expect(normalizePath(input)).toBe(expected)
  })

  it('returns the same string when nothing changes (no allocation on the hot path)', () => {
    const path = '/api/users/7'
    expect(normalizePath(path)).toBe(path)
  })
})

describe('normalizePrefix', () => {
  it('drops a trailing slash but keeps the root', () => {
    expect(normalizePrefix('/api/users/')).toBe('/api/users')
    expect(normalizePrefix('/')).toBe('/')
    expect(normalizePrefix('//api//x/')).toBe('/api/x')
  })
})
