// "Did you mean …?" for a misspelled option name: the closest known name by edit distance.

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
export const editDistance = (a: string, b: string): number => {
  const s = a.toLowerCase()
  const t = b.toLowerCase()
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => [i, ...new Array<number>(t.length).fill(0)])
  for (let j = 1; j <= t.length; j++) d[0]![j] = j
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[s.length]![t.length]!
}

/**
 * The known name closest to `name`, when it is close enough to be a typo (within 40% of its length, at least 2 edits).
 * @example
 * suggestName('requireAuht', ['requireAuth', 'rateLimit']) // 'requireAuth'
 * suggestName('ratelimit', ['requireAuth', 'rateLimit'])   // 'rateLimit'
 */
export const suggestName = (name: string, known: readonly string[]): string | undefined => {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.ceil(name.length * 0.4)) + 1
  for (const candidate of known) {
    const distance = editDistance(name, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}
