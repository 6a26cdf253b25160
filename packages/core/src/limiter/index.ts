// Rate limiting: config, algorithms, headers, middleware and the store contract.
export * from './types.js'
export * from './config.js'
export * from './headers.js'
export * from './middleware.js'
export * from './algorithms/index.js'
import './options.js'
export * from './store/index.js'
export { rateLimitError } from './capability.js'
