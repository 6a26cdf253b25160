// What registerRoute accepts as its upstream (a URL, a list, or a pool spec with health checks), declared once.
import { headerName, integer, oneOf, z } from '../schema/kit.js'

export const BALANCE_STRATEGIES = ['round-robin', 'least-connections', 'random', 'hash'] as const

export const MAX_TARGET_WEIGHT = 1000

const TARGET_URL_FORM = 'an absolute http(s) URL such as "http://127.0.0.1:8001"'

/** An upstream target URL: http(s), no query, fragment or credentials (each refusal says which). */
export const targetURL = () =>
  z.string({ error: () => TARGET_URL_FORM }).superRefine((raw, ctx) => {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      ctx.addIssue({ code: 'custom', message: TARGET_URL_FORM, input: raw })
      return
    }
    const refuse = (message: string) => ctx.addIssue({ code: 'custom', message: `!${message}`, input: raw })
    if (url.protocol !== 'http:' && url.protocol !== 'https:') refuse(`must use http: or https:, got "${url.protocol}"`)
    else if (url.search || url.hash) refuse(`must not carry a query or fragment, got "${raw}"`)
    else if (url.username || url.password) refuse('must not carry credentials')
  })

export const targetSpecSchema = z.strictObject({
  url: targetURL(),
  /** Relative share of traffic for weighted strategies. Default 1. */
  weight: integer(1, MAX_TARGET_WEIGHT).optional(),
})

const HEALTH_PATH_FORM = 'a path starting with "/", such as "/health"'

export const healthCheckSchema = z.strictObject({
  /** Path probed with GET on each target's origin (not under its base path), e.g. `/health`. */
  path: z
    .string({ error: () => HEALTH_PATH_FORM })
    .refine((p) => p.startsWith('/') && !p.startsWith('//') && !/[\s#]/.test(p), { error: () => HEALTH_PATH_FORM }),
  /** Time between the starts of successive probes of a target, ±10% jitter (a slow probe delays the next). Default 5 000. */
  intervalMs: integer(10, 3_600_000).optional(),
  /** A probe slower than this fails. Default 1 000. */
  timeoutMs: integer(1, 600_000).optional(),
  /** Consecutive successful probes that bring an unhealthy target back. Default 2. */
  healthyThreshold: integer(1, 1000).optional(),
  /** Consecutive failed probes that take a healthy target out. Default 3. */
  unhealthyThreshold: integer(1, 1000).optional(),
})

const targetList = z
  .array(z.union([targetURL(), targetSpecSchema]))
  .min(1, { error: () => 'a list of at least one target' })
  .max(65_535, { error: () => 'a list of at most 65535 targets' })

export const poolSpecSchema = z.strictObject({
  targets: targetList,
  /** How the pool chooses a target. Default 'round-robin'. */
  balance: oneOf(BALANCE_STRATEGIES).optional(),
  /** For `balance: 'hash'`: a request header whose value picks the target; default the client IP. */
  hashOn: headerName().optional(),
  healthCheck: healthCheckSchema.optional(),
})

export const UPSTREAM_FORM = 'a URL string, a list of URLs, or { targets: [...] }'

/** The `upstream` argument of registerRoute. */
export const upstreamSpecSchema = z.union(
  [targetURL(), z.array(targetURL()).min(1, { error: () => 'a list of at least one URL' }), poolSpecSchema],
  { error: () => UPSTREAM_FORM },
)
