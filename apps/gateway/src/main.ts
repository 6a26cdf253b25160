#!/usr/bin/env node
// The `tollgate` command: start the gateway (stop cleanly on SIGTERM/SIGINT), check a config, or print help.
import cluster from 'node:cluster'
import { ConfigError } from '@tollgate/core'
import { createConsola, LogLevels } from 'consola'
import { describeRoute, formatBanner } from './banner.js'
import { HELP, parseCommandLine, version } from './cli.js'
import { loadConfig } from './config.js'
import { shutdownOnSignals } from './shutdown.js'
import { CHECK_DEMO_URL, checkGateway, startGateway } from './start-gateway.js'
import { WORKER_SLOT_ENV } from './cluster/messages.js'
import { runPrimary } from './cluster/primary.js'
import { joinCluster } from './cluster/worker.js'
import { workerCount } from './cluster/worker-count.js'

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
    const flags = {
      ...(cli.port === undefined ? {} : { port: cli.port }),
      ...(cli.host === undefined ? {} : { host: cli.host }),
      ...(cli.workers === undefined ? {} : { workers: cli.workers }),
    }
    const { config, source } = await loadConfig({ argv, flags })
    if (config.logLevel) logger.level = LogLevels[config.logLevel]
    const workers = workerCount(config.workers)
    if (workers > 1 && cluster.isPrimary) runPrimary({ workers, logger })
    else {
      // A cluster worker (re-run of this file by the primary) logs under its slot and prints the banner once.
      const log = cluster.isWorker ? logger.withTag(`worker ${process.env[WORKER_SLOT_ENV]}`) : logger
      const running = await startGateway(config, { logger: log })
      shutdownOnSignals(running.stop, { logger: log, once: cluster.isWorker })
      if (!cluster.isWorker || cluster.worker?.id === 1) for (const line of formatBanner(running, config, source)) log.info(line)
      else log.info(`listening on ${running.url} (pid ${process.pid})`)
      if (cluster.isWorker) joinCluster(running)
    }
  }
} catch (error) {
  // Config mistakes and taken ports are the user's to fix: the message says what; the stack is for debugging.
  const message = error instanceof Error ? error.message : String(error)
  logger.error(error instanceof ConfigError ? `invalid config: ${message}` : `cannot start: ${message}`)
  logger.debug(error)
  process.exit(1)
}
