// The pure limiter algorithms and their composition.
export * from './types.js'
export { fixedWindow } from './fixed-window.js'
export { slidingWindow } from './sliding-window.js'
export { tokenBucket } from './token-bucket.js'
export { applyRule, compose, decisionOf, type Composed, type RuleInput } from './compose.js'
