// A route's set of upstream targets and the balancer that spreads requests over the eligible ones.
import { RoundRobinBalancer } from './round-robin.js'
import type { Balancer, BalanceStrategy, PoolSpec, TargetSpec, UpstreamSpec, UpstreamTarget } from './types.js'

/** Balancer factories by strategy; issue-6 strategies register here. */
export const balancers: Record<BalanceStrategy, (() => Balancer) | undefined> = {
  'round-robin': () => new RoundRobinBalancer(),
  'least-connections': undefined,
  random: undefined,
  hash: undefined,
}

const parseTarget = (spec: string | TargetSpec, index: number, field: string): UpstreamTarget => {
  const raw = typeof spec === 'string' ? spec : spec?.url
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new TypeError(`${field} must be an absolute http(s) URL such as "http://127.0.0.1:8001", got ${JSON.stringify(raw)}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${field} must use http: or https:, got "${url.protocol}"`)
  }
  if (url.search || url.hash) throw new TypeError(`${field} must not carry a query or fragment, got "${raw}"`)
  const weight = typeof spec === 'string' || spec.weight === undefined ? 1 : spec.weight
  if (!Number.isInteger(weight) || weight < 1 || weight > 1000) {
    throw new TypeError(`${field}.weight must be an integer from 1 to 1000, got ${JSON.stringify(weight)}`)
  }
  return {
    index,
    url,
    origin: url.origin,
    basePath: url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, ''),
    weight,
    healthy: true,
    draining: false,
    inFlight: 0,
    requests: 0,
    failures: 0,
    lastCheckAt: undefined,
    lastCheckError: undefined,
  }
}

/** Turns the `upstream` argument of registerRoute into a validated pool spec. */
export const toPoolSpec = (upstream: UpstreamSpec): PoolSpec => {
  if (typeof upstream === 'string') return { targets: [upstream] }
  if (Array.isArray(upstream)) return { targets: upstream }
  if (upstream && typeof upstream === 'object' && Array.isArray(upstream.targets)) return upstream
  throw new TypeError('registerRoute: upstream must be a URL string, an array of URL strings, or { targets: [...] }')
}

export class UpstreamPool {
  readonly targets: readonly UpstreamTarget[]
  readonly strategy: BalanceStrategy
  readonly hashOn: string | undefined
  readonly spec: PoolSpec
  #balancer: Balancer

  constructor(upstream: UpstreamSpec) {
    const spec = toPoolSpec(upstream)
    if (spec.targets.length === 0) throw new TypeError('registerRoute: upstream.targets must list at least one target')
    this.spec = spec
    this.targets = spec.targets.map((t, i) => parseTarget(t, i, `upstream.targets[${i}]`))
    this.strategy = spec.balance ?? 'round-robin'
    const make = balancers[this.strategy]
    if (!make) {
      throw new TypeError(`upstream.balance must be one of ${Object.keys(balancers).filter((k) => balancers[k as BalanceStrategy]).join(', ')}, got ${JSON.stringify(spec.balance)}`)
    }
    this.hashOn = spec.hashOn?.toLowerCase()
    this.#balancer = make()
  }

  /** Picks a target among those `eligible` accepts (healthy, not draining, breaker closed: the caller decides). */
  pick(eligible: (target: UpstreamTarget) => boolean, hashKey?: string): UpstreamTarget | undefined {
    return this.#balancer.pick(this.targets, eligible, hashKey)
  }
}
