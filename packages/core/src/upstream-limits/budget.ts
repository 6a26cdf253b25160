// A configured upstream budget and the rate it allows.

/** A configured budget; absent figures are learned from the upstream or found by AIMD. */
export interface UpstreamBudget {
  requestsPerSecond?: number
  requestsPerMinute?: number
  requestsPerHour?: number
  /** Requests that may go at once after a quiet spell. Default: one second's worth (at least 1). */
  burstSize?: number
}

/** The tightest of the configured rates, requests/s; undefined when none is configured. */
export const budgetRate = (budget: UpstreamBudget | undefined): number | undefined => {
  if (!budget) return undefined
  const rates = [
    budget.requestsPerSecond,
    budget.requestsPerMinute !== undefined ? budget.requestsPerMinute / 60 : undefined,
    budget.requestsPerHour !== undefined ? budget.requestsPerHour / 3600 : undefined,
  ].filter((r): r is number => r !== undefined && r > 0)
  return rates.length ? Math.min(...rates) : undefined
}
