#!/usr/bin/env node
// The `tollgate` command: load the config, start the gateway, print the banner, stop cleanly on SIGTERM/SIGINT.
import { ConfigError } from '@tollgate/core'
import { createConsola, LogLevels } from 'consola'
import { formatBanner } from './banner.js'
import { loadConfig } from './config.js'
import { shutdownOnSignals } from './shutdown.js'
import { startGateway } from './start-gateway.js'

const logger = createConsola({ defaults: { tag: 'tollgate' } })

try {
  const { config, source } = await loadConfig({ argv: process.argv.slice(2) })
  if (config.logLevel) logger.level = LogLevels[config.logLevel]
  const running = await startGateway(config, { logger })
  shutdownOnSignals(running.stop, { logger })
  for (const line of formatBanner(running, config, source)) logger.info(line)
} catch (error) {
  // Config mistakes and taken ports are the user's to fix: the message says what; the stack is for debugging.
  const message = error instanceof Error ? error.message : String(error)
  logger.error(error instanceof ConfigError ? `invalid config: ${message}` : `cannot start: ${message}`)
  logger.debug(error)
  process.exit(1)
}
