// Reads an upstream's throttle hints (Retry-After, IETF RateLimit, X-RateLimit-*, OpenAI) from a response.

/** What an upstream said about its limit. All times are epoch ms. */
export interface ThrottleHints {
  /** When sending may resume: from Retry-After, or the reset time when the budget is spent or the status throttles. */
  resumeAt?: number
  /** Requests left in the current window. */
  remaining?: number
  /** Requests allowed per window. */
  limit?: number
  /** When the current window resets (the budget is full again). */
  resetAt?: number
  /** The window length, when the upstream names it (IETF `w=`). */
  windowMs?: number
  /** The upstream's own name for the bucket this response counted against (GitHub's `x-ratelimit-resource`). */
  resource?: string
}

/** Headers as a fetch `Headers` or a plain record (node's IncomingHttpHeaders fits). */
export type HeadersLike = Headers | Readonly<Record<string, string | readonly string[] | undefined>>

const header = (headers: HeadersLike, name: string): string | undefined => {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name]
  return Array.isArray(value) ? value.join(', ') : (value as string | undefined)
}

const number = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  if (!/^-?\d+(\.\d+)?$/.test(trimmed)) return undefined
  return Number(trimmed)
}

/** Epoch seconds are larger than this (2001-09-09); smaller values are deltas in seconds. */
const EPOCH_SECONDS_THRESHOLD = 1e9
/** Epoch milliseconds are larger than this; some APIs send them. */
const EPOCH_MS_THRESHOLD = 1e12

/** A reset value that may be delta seconds, epoch seconds or epoch ms → epoch ms. */
export const resetToEpochMs = (value: number, now: number): number => {
  if (value >= EPOCH_MS_THRESHOLD) return value
  if (value >= EPOCH_SECONDS_THRESHOLD) return value * 1000
  return now + value * 1000
}

/** `Retry-After`: delta seconds or an HTTP date → epoch ms; undefined when absent or malformed. */
export const parseRetryAfter = (value: string | undefined, now: number): number | undefined => {
  if (value === undefined) return undefined
  const seconds = number(value)
  if (seconds !== undefined) return seconds < 0 ? undefined : now + seconds * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(now, date)
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g

/** Go-style durations as OpenAI sends them (`1s`, `6m0s`, `20ms`, `1h2m3.5s`) → ms; a bare number is seconds. */
export const parseDuration = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const trimmed = value.trim()
  const bare = number(trimmed)
  if (bare !== undefined) return bare * 1000
  if (!/^(\d+(\.\d+)?(ms|h|m|s))+$/.test(trimmed)) return undefined
  let ms = 0
  for (const [, amount, unit] of trimmed.matchAll(DURATION_PART)) {
    const n = Number(amount)
    ms += unit === 'h' ? n * 3_600_000 : unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : n
  }
  return ms
}

interface FieldItem {
  name: string
  params: Map<string, string>
}

/** Splits a structured-field list outside quotes: `"a";r=1;t=2, "b";r=3` → items with parameters. */
const parseFieldList = (value: string): FieldItem[] => {
  const items: FieldItem[] = []
  for (const member of splitOutsideQuotes(value, ',')) {
    const [first = '', ...rest] = splitOutsideQuotes(member, ';').map((part) => part.trim())
    const params = new Map<string, string>()
    for (const part of rest) {
      const eq = part.indexOf('=')
      if (eq > 0)
        params.set(
          part.slice(0, eq).trim().toLowerCase(),
          part
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, ''),
        )
    }
    items.push({ name: first.replace(/^"|"$/g, ''), params })
  }
  return items
}

const splitOutsideQuotes = (value: string, separator: string): string[] => {
  const parts: string[] = []
  let quoted = false
  let start = 0
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]
    if (ch === '"') quoted = !quoted
    else if (ch === separator && !quoted) {
      parts.push(value.slice(start, i))
      start = i + 1
    }
  }
  parts.push(value.slice(start))
  return parts.filter((part) => part.trim() !== '')
}

/** The older draft form: `limit=100, remaining=50, reset=5` (a dictionary of the three). */
const parseOldDictionary = (value: string): { limit?: number; remaining?: number; reset?: number } | undefined => {
  if (!/(^|[,;\s])(limit|remaining|reset)\s*=/.test(value)) return undefined
  const out: { limit?: number; remaining?: number; reset?: number } = {}
  for (const part of value.split(/[,;]/)) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const key = part.slice(0, eq).trim().toLowerCase()
    const n = number(part.slice(eq + 1))
    if (n === undefined) continue
    if (key === 'limit' || key === 'remaining' || key === 'reset') out[key] = n
  }
  return out
}

interface Partial3 {
  limit?: number
  remaining?: number
  resetAt?: number
  windowMs?: number
}

/** IETF `RateLimit` + `RateLimit-Policy`: current draft (`"name";r=..;t=..` / `"name";q=..;w=..`) or the older dictionary. */
const parseIETF = (headers: HeadersLike, now: number): Partial3 => {
  const out: Partial3 = {}
  const policy = header(headers, 'ratelimit-policy')
  const field = header(headers, 'ratelimit')
  const policies = new Map<string, { q?: number; w?: number }>()
  if (policy) {
    for (const item of parseFieldList(policy)) {
      const q = number(item.params.get('q'))
      const w = number(item.params.get('w'))
      // Older drafts: `100;w=60` — the item itself is the quota.
      const bare = number(item.name)
      const quota = q ?? bare
      const entry: { q?: number; w?: number } = {}
      if (quota !== undefined) entry.q = quota
      if (w !== undefined) entry.w = w
      policies.set(item.name, entry)
    }
  }
  if (field) {
    const old = parseOldDictionary(field)
    if (old && !field.includes('"')) {
      if (old.limit !== undefined) out.limit = old.limit
      if (old.remaining !== undefined) out.remaining = old.remaining
      if (old.reset !== undefined) out.resetAt = resetToEpochMs(old.reset, now)
    } else {
      // Several policies may be listed: the one closest to exhaustion binds.
      let best: { r: number; t: number | undefined; name: string } | undefined
      for (const item of parseFieldList(field)) {
        const r = number(item.params.get('r'))
        if (r === undefined) continue
        if (!best || r < best.r) best = { r, t: number(item.params.get('t')), name: item.name }
      }
      if (best) {
        out.remaining = best.r
        if (best.t !== undefined) out.resetAt = now + best.t * 1000
        const matching = policies.get(best.name)
        if (matching?.q !== undefined) out.limit = matching.q
        if (matching?.w !== undefined) out.windowMs = matching.w * 1000
      }
    }
  }
  if ((out.limit === undefined || out.windowMs === undefined) && policies.size > 0) {
    // No named policy to match: the one with the same quota, else the smallest quota (the safe one).
    let chosen: { q?: number; w?: number } | undefined
    for (const p of policies.values()) {
      if (out.limit !== undefined && p.q === out.limit) {
        chosen = p
        break
      }
      if (p.q !== undefined && (chosen?.q === undefined || p.q < chosen.q)) chosen = p
    }
    if (out.limit === undefined && chosen?.q !== undefined) out.limit = chosen.q
    if (out.windowMs === undefined && chosen?.w !== undefined) out.windowMs = chosen.w * 1000
  }
  // Draft-06 separate fields.
  const limit = number(header(headers, 'ratelimit-limit'))
  const remaining = number(header(headers, 'ratelimit-remaining'))
  const reset = number(header(headers, 'ratelimit-reset'))
  if (out.limit === undefined && limit !== undefined) out.limit = limit
  if (out.remaining === undefined && remaining !== undefined) out.remaining = remaining
  if (out.resetAt === undefined && reset !== undefined) out.resetAt = resetToEpochMs(reset, now)
  return out
}

/**
 * Parses every throttle hint an upstream may send. Pure: `now` is injected.
 * Precedence for each figure: IETF fields, then `X-RateLimit-*`, then OpenAI's `x-ratelimit-*-requests`.
 * @example
 * parseThrottleHints(429, { 'retry-after': '2' }, 1_000) // → { resumeAt: 3_000 }
 */
export const parseThrottleHints = (status: number, headers: HeadersLike, now: number = Date.now()): ThrottleHints => {
  const hints: ThrottleHints = {}
  const ietf = parseIETF(headers, now)
  const xLimit = number(header(headers, 'x-ratelimit-limit'))
  const xRemaining = number(header(headers, 'x-ratelimit-remaining'))
  const xReset = number(header(headers, 'x-ratelimit-reset'))
  const oLimit = number(header(headers, 'x-ratelimit-limit-requests'))
  const oRemaining = number(header(headers, 'x-ratelimit-remaining-requests'))
  const oResetMs = parseDuration(header(headers, 'x-ratelimit-reset-requests'))

  const limit = ietf.limit ?? xLimit ?? oLimit
  const remaining = ietf.remaining ?? xRemaining ?? oRemaining
  const resetAt = ietf.resetAt ?? (xReset !== undefined ? resetToEpochMs(xReset, now) : oResetMs !== undefined ? now + oResetMs : undefined)
  if (limit !== undefined) hints.limit = limit
  if (remaining !== undefined) hints.remaining = Math.max(0, remaining)
  if (resetAt !== undefined) hints.resetAt = resetAt
  if (ietf.windowMs !== undefined) hints.windowMs = ietf.windowMs
  const resource = header(headers, 'x-ratelimit-resource')?.trim()
  if (resource) hints.resource = resource

  const retryAfter = parseRetryAfter(header(headers, 'retry-after'), now)
  const throttled = status === 429 || status === 503
  if (retryAfter !== undefined && throttled) hints.resumeAt = retryAfter
  else if (resetAt !== undefined && (remaining === 0 || throttled) && resetAt > now) hints.resumeAt = resetAt
  return hints
}
