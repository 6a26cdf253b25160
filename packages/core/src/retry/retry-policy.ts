// When and how soon to retry an upstream attempt: idempotent methods, retryable failures, backoff with jitter.

export interface RetryOptions {
  /** Every try counts: 1 means no retry. Default 2. */
  attempts: number
  /** Delay before the first retry, in ms. Default 100. */
  initialDelayMs: number
  /** Growth of the delay per retry. Default 2. */
  multiplier: number
  /** ± share of the delay drawn at random (0..1). Default 0.2. */
  jitter: number
  /** Upper bound of one delay, in ms. Default 5 000. */
  maxDelayMs: number
  /** Upstream statuses that are retried. Default 502, 503, 504. */
  retryOnStatus: readonly number[]
  /** Also retry POST and PATCH (the route accepts that the upstream may see them twice). Default false. */
  retryNonIdempotent: boolean
}

export const defaultRetryOptions: RetryOptions = {
  attempts: 2,
  initialDelayMs: 100,
  multiplier: 2,
  jitter: 0.2,
  maxDelayMs: 5_000,
  retryOnStatus: [502, 503, 504],
  retryNonIdempotent: false,
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

export const isIdempotent = (method: string): boolean => IDEMPOTENT.has(method)

/** Whether a request with this method may be retried under these options. */
export const methodRetryable = (method: string, options: RetryOptions): boolean => options.retryNonIdempotent || IDEMPOTENT.has(method)

/** Delay before retry number `retry` (1 = the first retry), with jitter; `random` is injectable for tests. */
export const backoffDelayMs = (options: RetryOptions, retry: number, random: () => number = Math.random): number => {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.multiplier ** (retry - 1))
  const spread = base * options.jitter
  return Math.max(0, Math.round(base - spread + random() * 2 * spread))
}
