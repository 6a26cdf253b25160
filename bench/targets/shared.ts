// What every proxy target routes, so that each does the same work for the same request.

/** The prefix the benched route is registered under; the upstream sees the full, unchanged path. */
export const BENCH_PREFIX = '/api'

/** The path wrk requests from every target (the upstream directly included). */
export const BENCH_PATH = '/api/items/42?fields=id,name'

/**
 * Other routes the gateways register so that routing has a real table to search (two share the `/api`
 * prefix and are longer, so longest-prefix matching must reject them). Their upstream is never called.
 */
export const DECOY_PREFIXES = ['/auth', '/admin', '/static', '/search', '/v2/api', '/api/orders', '/api/users', '/apiv2']

export const DECOY_UPSTREAM = 'http://127.0.0.1:9'
