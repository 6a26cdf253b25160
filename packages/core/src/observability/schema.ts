// Request IDs, trace propagation and access logs: the constructor's fields, declared once.
import { boolean, headerName, number, withMethods, z } from '../schema/kit.js'

/** What an access log writes to: one call per request with the record (pino's logger fits). */
export interface AccessLogger {
  info(record: object): void
}

/** The slice of an OpenTelemetry TracerProvider the gateway uses (`@opentelemetry/api`'s TracerProvider fits). */
export interface TracerProviderLike {
  getTracer(name: string, version?: string): unknown
}

const tracingSchema = z.strictObject({
  /** Send W3C `traceparent`/`tracestate` upstream (a new span id per attempt). Default true. */
  propagate: boolean().optional(),
  /**
   * Record OpenTelemetry spans through `@opentelemetry/api` (an optional peer dependency, loaded only then): a
   * server span per request and a client span per upstream attempt, on the globally registered provider.
   * Default false.
   */
  opentelemetry: boolean().optional(),
  /** The TracerProvider to record spans on instead of the global one (implies `opentelemetry: true`). */
  tracerProvider: withMethods<TracerProviderLike>('an OpenTelemetry TracerProvider (with getTracer)', ['getTracer']).optional(),
})

const accessLogSchema = z.strictObject({
  /** Receives one record per request. Default: jsonAccessLogger(), JSON lines on stdout. */
  logger: withMethods<AccessLogger>('a logger with info(record)', ['info']).optional(),
  /** Share of requests logged, 0 to 1 (5xx answers are always logged). Default 1. */
  sample: number(0, 1).optional(),
})

export const observabilityGatewaySchema = z.strictObject({
  /**
   * The request-id header: a client's valid value is kept (printable ASCII, up to 200 characters), else a UUID is
   * generated; it is sent upstream, returned to the client and put in every error body. Default "x-request-id".
   */
  requestIdHeader: headerName().optional(),
  /** W3C trace context propagation and optional OpenTelemetry spans; `false` sends no traceparent. Default: propagate. */
  tracing: z.union([z.literal(false), tracingSchema], { error: () => 'false or { propagate, opentelemetry, tracerProvider }' }).optional(),
  /** One structured line per request; `true` = JSON lines on stdout (jsonAccessLogger). Default false (a library does not print). */
  accessLog: z.union([boolean(), accessLogSchema], { error: () => 'true, false or { logger, sample }' }).optional(),
})

export type TracingOptions = z.input<typeof tracingSchema>
export type AccessLogOptions = z.input<typeof accessLogSchema>
