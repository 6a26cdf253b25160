import { describe, expect, it } from 'vitest'
import { UpstreamPool } from '../pool/upstream-pool.js'
import { routeOptionsSchema } from '../option-schemas.js'
import { parseOptions } from '../schema/parse.js'
import { resolveRouteOptions } from './resolve-options.js'
import type { Route } from './route.js'
import { prefixCovers, RouteTable } from './route-table.js'

const route = (prefix: string, id = prefix): Route => ({
  id,
  prefix,
  pool: new UpstreamPool('http://127.0.0.1:1'),
  methods: undefined,
  allow: '',
  options: resolveRouteOptions({}),
  raw: {},
})

describe('prefixCovers', () => {
  it('matches on segment boundaries only', () => {
    expect(prefixCovers('/api/users', '/api/users')).toBe(true)
    expect(prefixCovers('/api/users', '/api/users/7')).toBe(true)
    expect(prefixCovers('/api/users', '/api/users/')).toBe(true)
    expect(prefixCovers('/api/users', '/api/usersX')).toBe(false)
    expect(prefixCovers('/api/users', '/api/user')).toBe(false)
    expect(prefixCovers('/', '/anything')).toBe(true)
  })
})

describe('RouteTable', () => {
  it('picks the longest matching prefix whatever the registration order', () => {
    const table = new RouteTable()
    table.add(route('/api', 'api'))
    table.add(route('/api/users/admin', 'admin'))
    table.add(route('/api/users', 'users'))
    table.add(route('/', 'root'))
    expect(table.match('/api/users/7')?.id).toBe('users')
    expect(table.match('/api/users/admin/x')?.id).toBe('admin')
    expect(table.match('/api/usersX')?.id).toBe('api')
    expect(table.match('/other')?.id).toBe('root')
  })

  it('returns undefined without a match and rejects duplicate prefixes', () => {
    const table = new RouteTable()
    table.add(route('/api/users'))
    expect(table.match('/api')).toBeUndefined()
    expect(() => table.add(route('/api/users', 'other'))).toThrow(/already exists/)
  })

  it('removes routes by prefix or id', () => {
    const table = new RouteTable()
    table.add(route('/a', 'first'))
    table.add(route('/b', 'second'))
    expect(table.remove('first')?.prefix).toBe('/a')
    expect(table.remove('/b')?.id).toBe('second')
    expect(table.match('/a')).toBeUndefined()
  })
})

describe('route options', () => {
  it('fills defaults', () => {
    const o = resolveRouteOptions({})
    expect(o.timeoutMs).toBe(30_000)
    expect(o.retry.attempts).toBe(2)
    expect(o.circuitBreaker).toMatchObject({ failureThreshold: 5, recoveryTimeoutMs: 60_000, successThreshold: 3 })
    expect(o.stripPrefix).toBe(false)
    expect(o.methods).toBeUndefined()
  })

  it.each([
    [{ timeoutMs: -1 }, /options\.timeoutMs must be a number from 1/],
    [{ methods: ['GET', 'FETCH'] }, /options\.methods\[1\] must be one of/],
    [{ methods: [] }, /options\.methods must be a non-empty list of HTTP methods/],
    [{ retry: { attempts: 0 } }, /options\.retry\.attempts must be an integer from 1 to 10/],
    [{ retry: { jitter: 2 } }, /options\.retry\.jitter must be a number from 0 to 1/],
    [{ circuitBreaker: { failureThreshold: 1.5 } }, /options\.circuitBreaker\.failureThreshold must be an integer/],
    [{ stripPrefix: 'yes' }, /options\.stripPrefix must be true or false/],
  ])('rejects %j naming the field', (options, message) => {
    expect(() => parseOptions(routeOptionsSchema, options, 'options')).toThrow(message)
  })

  it('adds HEAD wherever GET is allowed', () => {
    expect(resolveRouteOptions({ methods: ['get', 'POST'] }).methods).toEqual(['GET', 'POST', 'HEAD'])
  })
})
