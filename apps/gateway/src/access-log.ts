// The app's access log: on by default, JSON lines when stdout is not a terminal, pino-pretty lines when it is.
import { jsonAccessLogger, type AccessLogger, type GatewayOptions } from '@tollgate/core'
import pino from 'pino'
import pretty from 'pino-pretty'

/** The config file's `accessLog`: false turns it off; `sample` logs a share of requests (5xx always). */
export type AccessLogSetting = boolean | { sample?: number | undefined } | undefined

/** Where lines go: stdout by default (its file descriptor, written by jsonAccessLogger's own thread), or any stream (tests). */
export type AccessLogSink = NodeJS.WritableStream & { isTTY?: boolean; fd?: number }

const PRETTY_LINE = '{method} {path} {status} {durationMs}ms route={route} request={requestId}'

/** The access logger: pino-pretty lines on a terminal, JSON lines (the core's jsonAccessLogger) everywhere else. */
export const createAccessLogger = (sink: AccessLogSink = process.stdout): AccessLogger => {
  const options = { base: null, timestamp: pino.stdTimeFunctions.isoTime }
  if (sink.isTTY) {
    return pino(
      options,
      pretty({ destination: sink, colorize: true, translateTime: 'SYS:HH:MM:ss.l', messageFormat: PRETTY_LINE, ignore: 'level' }),
    )
  }
  const fd = sink === process.stdout ? 1 : sink.fd
  return fd === undefined ? { info: (record) => void sink.write(`${JSON.stringify(record)}\n`) } : jsonAccessLogger(fd)
}

/** The gateway's accessLog option for the config's setting. */
export const accessLogOption = (setting: AccessLogSetting, sink?: AccessLogSink): GatewayOptions['accessLog'] => {
  if (setting === false) return false
  const sample = typeof setting === 'object' ? setting.sample : undefined
  return { logger: createAccessLogger(sink), ...(sample === undefined ? {} : { sample }) }
}
