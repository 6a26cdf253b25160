#!/usr/bin/env node
// The `tollgate` command: start the gateway (stop cleanly on SIGTERM/SIGINT), check a config, or print help.
import { ConfigError } from '@tollgate/core'
import { createConsola, LogLevels } from 'consola'
import { describeRoute, formatBanner } from './banner.js'
import { HELP, parseCommandLine, version } from './cli.js'
import { loadConfig } from './config.js'
import { shutdownOnSignals } from './shutdown.js'
import { CHECK_DEMO_URL, checkGateway, startGateway } from './start-gateway.js'

const logger = createConsola({ defaults: { tag: 'tollgate' } })

try {
  const cli = parseCommandLine(process.argv.slice(2))
  if (cli.command === 'help') console.log(HELP)
  else if (cli.command === 'version') console.log(version())
  else if (cli.command === 'check') {
    const { config, source } = await loadConfig({ argv: ['--config', cli.config] })
    const gateway = await checkGateway(config, logger)
    console.log(`${source.file}: valid, ${gateway.routes.length} route(s)`)
    for (const route of gateway.routes) console.log(`  ${describeRoute(route, CHECK_DEMO_URL)}`)
    process.exit(0)
  } else {
    const argv = cli.config === undefined ? [] : ['--config', cli.config]
    const flags = { ...(cli.port === undefined ? {} : { port: cli.port }), ...(cli.host === undefined ? {} : { host: cli.host }) }
    const { config, source } = await loadConfig({ argv, flags })
    if (config.logLevel) logger.level = LogLevels[config.logLevel]
    const running = await startGateway(config, { logger })
    shutdownOnSignals(running.stop, { logger })
    for (const line of formatBanner(running, config, source)) logger.info(line)
  }
} catch (error) {
  // Config mistakes and taken ports are the user's to fix: the message says what; the stack is for debugging.
  const message = error instanceof Error ? error.message : String(error)
  logger.error(error instanceof ConfigError ? `invalid config: ${message}` : `cannot start: ${message}`)
  logger.debug(error)
  process.exit(1)
}
