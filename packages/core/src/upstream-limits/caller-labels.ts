// Bounded caller figures for metrics and status: only declared identities get their own label, the busiest N of them.
import type { UpstreamStatus } from './types.js'

type Caller = UpstreamStatus['callers'][number]

/** Prefix of a caller id the client never declared (client IP + user-agent): never a metric label of its own. */
export const ANONYMOUS_CALLER_PREFIX = 'anon:'

/** Label of every undeclared caller together. */
export const ANONYMOUS_CALLER = 'anonymous'

/** Label of the declared callers past the top N. */
export const OTHER_CALLERS = 'other'

/** Callers with a Prometheus label of their own per upstream (the rest are `other` / `anonymous`). */
export const DEFAULT_CALLER_LABELS = 20

/** Callers listed one by one per upstream in /_upstreams and /_metrics (the rest are summed into `other`). */
export const DEFAULT_STATUS_CALLERS = 100

/** Whether a caller id names an identity the client declared (the callerHeader value or its API key id). */
export const isDeclaredCaller = (callerId: string): boolean => !callerId.startsWith(ANONYMOUS_CALLER_PREFIX)

/** Busiest first: served, then queued, then id (a stable order between scrapes). */
const byTraffic = (a: Caller, b: Caller): number =>
  b.served - a.served || b.queued - a.queued || (a.callerId < b.callerId ? -1 : a.callerId > b.callerId ? 1 : 0)

/** Several callers as one: shares, counts and rates add up, wait percentiles take the worst. */
const merge = (callerId: string, callers: readonly Caller[]): Caller => {
  const out: Caller = { callerId, weight: 0, share: 0, queued: 0, served: 0, waitP50Ms: 0, waitP99Ms: 0, ratePerSecond: 0 }
  for (const c of callers) {
    out.weight += c.weight
    out.share += c.share
    out.queued += c.queued
    out.served += c.served
    out.ratePerSecond += c.ratePerSecond
    out.waitP50Ms = Math.max(out.waitP50Ms, c.waitP50Ms)
    out.waitP99Ms = Math.max(out.waitP99Ms, c.waitP99Ms)
  }
  return out
}

/** Declared and undeclared callers apart; the buckets `other` and `anonymous` (of a bounded status) go with the rest. */
const split = (callers: readonly Caller[]) => {
  const declared: Caller[] = []
  const others: Caller[] = []
  const anonymous: Caller[] = []
  for (const c of callers) {
    if (c.callerId === ANONYMOUS_CALLER || !isDeclaredCaller(c.callerId)) anonymous.push(c)
    else if (c.callerId === OTHER_CALLERS) others.push(c)
    else declared.push(c)
  }
  return { declared: declared.sort(byTraffic), others, anonymous }
}

/** The `top` busiest declared callers, then `other` and `anonymous` buckets for the rest (each only when not empty). */
const bucketed = (callers: readonly Caller[], top: number, anonymousBucket: (anonymous: Caller[]) => Caller[]): Caller[] => {
  const { declared, others, anonymous } = split(callers)
  const out = declared.slice(0, top)
  const rest = [...declared.slice(top), ...others]
  if (rest.length > 0) out.push(merge(OTHER_CALLERS, rest))
  out.push(...anonymousBucket(anonymous))
  return out
}

/**
 * The callers a Prometheus scrape labels: the `top` busiest declared ones under their own id, the other declared ones
 * as `other`, every undeclared one as `anonymous` — at most `top + 2` series per upstream, whatever clients send.
 * @example
 * labelledCallers(status.callers, 20).map((c) => ({ labels: { caller: c.callerId }, value: c.share }))
 */
export const labelledCallers = (callers: readonly Caller[], top = DEFAULT_CALLER_LABELS): Caller[] =>
  bucketed(callers, top, (anonymous) => (anonymous.length > 0 ? [merge(ANONYMOUS_CALLER, anonymous)] : []))

/**
 * A status with at most `max` declared and `max` undeclared callers listed one by one (busiest first), the rest
 * summed into `other` and `anonymous`.
 */
export const boundedStatus = (status: UpstreamStatus, max = DEFAULT_STATUS_CALLERS): UpstreamStatus => {
  if (status.callers.length <= max) return status
  const callers = bucketed(status.callers, max, (anonymous) => {
    const sorted = anonymous.sort(byTraffic)
    return sorted.length > max ? [...sorted.slice(0, max), merge(ANONYMOUS_CALLER, sorted.slice(max))] : sorted
  })
  return { ...status, callers }
}

/** Upstreams with a Prometheus label of their own (the key holds a credential hash, which clients can vary). */
export const DEFAULT_UPSTREAM_LABELS = 20

const servedBy = (s: UpstreamStatus): number => s.callers.reduce((sum, c) => sum + c.served, 0)

/**
 * The `top` busiest upstream keys as they are, the rest as one `upstream="other"`: its rates, queues and throttles
 * summed, paused while any is, its callers merged by id.
 */
export const labelledUpstreams = (statuses: readonly UpstreamStatus[], top = DEFAULT_UPSTREAM_LABELS): UpstreamStatus[] => {
  if (statuses.length <= top) return [...statuses]
  const sorted = [...statuses].sort((a, b) => servedBy(b) - servedBy(a) || b.queued - a.queued || (a.key < b.key ? -1 : 1))
  const rest = sorted.slice(top)
  const callers = new Map<string, Caller[]>()
  for (const c of rest.flatMap((s) => s.callers)) callers.set(c.callerId, [...(callers.get(c.callerId) ?? []), c])
  const paused = rest.map((s) => s.pausedUntil).filter((until): until is number => until !== null)
  const other: UpstreamStatus = {
    key: OTHER_CALLERS,
    ratePerSecond: rest.reduce((sum, s) => sum + s.ratePerSecond, 0),
    rateSource: 'adaptive',
    pausedUntil: paused.length > 0 ? Math.max(...paused) : null,
    throttles: rest.reduce((sum, s) => sum + s.throttles, 0),
    queued: rest.reduce((sum, s) => sum + s.queued, 0),
    callers: [...callers].map(([id, list]) => merge(id, list)),
  }
  return [...sorted.slice(0, top), other]
}
