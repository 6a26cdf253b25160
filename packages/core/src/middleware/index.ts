// Built-in middleware users add with gateway.addMiddleware(): request logging and CORS.
export {
  logging,
  type LoggingOptions,
  type RequestLogger,
  type RequestLogLevel,
  type RequestLogRecord,
} from './logging.js'
export { cors, defaultCORSOptions, type CORSOptions } from './cors.js'
