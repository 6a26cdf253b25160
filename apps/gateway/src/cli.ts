// The `tollgate` command line, read with node:util parseArgs: which command to run and with what.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ConfigError } from '@tollgate/core'

export type CLICommand =
  | { command: 'help' }
  | { command: 'version' }
  | {
      command: 'start'
      config: string | undefined
      port: number | undefined
      host: string | undefined
      workers: number | 'auto' | undefined
    }
  | { command: 'check'; config: string }

export const HELP = `Usage:
  tollgate [--config FILE] [--port N] [--host ADDR] [--workers N]   start the gateway
  tollgate check FILE                                              validate FILE, print its routes, exit 0 (valid) or 1
  tollgate --help | --version

Options:
  -c, --config FILE   config file (.json, .yaml, .yml, .ts, .js); default: TOLLGATE_CONFIG, else the demo config
  -p, --port N        port to listen on (wins over PORT and the file; 0 picks a free one)
      --host ADDR     interface to bind (wins over HOST and the file)
      --workers N     gateway processes sharing the port, or "auto" (one per core); above 1 needs redisUrl
                      (wins over TOLLGATE_WORKERS and the file; default 1: one process, no cluster)
  -h, --help          this text
  -v, --version       the version

Environment: TOLLGATE_CONFIG, PORT, HOST, TOLLGATE_WORKERS, REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS,
REDIS_SENTINEL_NAME, TOLLGATE_ADMIN_TOKEN, TOLLGATE_ADMIN_PORT, TOLLGATE_ADMIN_HOST,
TOLLGATE_DRAIN_DELAY_MS, TOLLGATE_TRUST_PROXY, LOG_LEVEL.

Exit codes: 0 stopped cleanly; 1 invalid config, port taken, stop failed or a second signal; 3 stopped, but requests
still in flight at shutdownTimeoutMs were cut.`

/** The app's version, from its package.json (one folder above src/ and dist/ alike). */
export const version = (): string =>
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version

const parseWorkers = (text: string): number | 'auto' => {
  if (text === 'auto') return text
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1_024)
    throw new ConfigError(`--workers must be a whole number from 1 to 1024 or "auto", got "${text}"`)
  return Number(text)
}

const parsePort = (text: string): number => {
  if (!/^\d+$/.test(text) || Number(text) > 65_535) throw new ConfigError(`--port must be an integer from 0 to 65535, got "${text}"`)
  return Number(text)
}

/**
 * Reads the command line (without node and the script).
 * @throws ConfigError on an unknown flag, a missing value or a stray argument, with a pointer to --help.
 * @example
 * parseCommandLine(['check', 'tollgate.yaml']) // { command: 'check', config: 'tollgate.yaml' }
 */
export const parseCommandLine = (argv: readonly string[]): CLICommand => {
  let parsed: ReturnType<typeof parseOptions>
  try {
    parsed = parseOptions(argv)
  } catch (error) {
    // parseArgs explains how to pass a dash-led positional; the flag's name is what a user needs.
    const unknown = /Unknown option '([^']+)'/.exec((error as Error).message)
    const message = unknown ? `unknown option ${unknown[1]}` : (error as Error).message
    throw new ConfigError(`${message} (see tollgate --help)`, { cause: error })
  }
  const { values, positionals } = parsed
  if (values.help) return { command: 'help' }
  if (values.version) return { command: 'version' }
  const [first, ...rest] = positionals
  if (first === 'check') {
    const config = rest[0] ?? values.config
    if (!config || rest.length > 1) throw new ConfigError('tollgate check takes one config file: tollgate check FILE')
    return { command: 'check', config }
  }
  if (first !== undefined && first !== 'start') throw new ConfigError(`unknown command "${first}" (see tollgate --help)`)
  if (rest.length > 0) throw new ConfigError(`unexpected argument "${rest[0]}" (see tollgate --help)`)
  return {
    command: 'start',
    config: values.config,
    port: values.port === undefined ? undefined : parsePort(values.port),
    host: values.host,
    workers: values.workers === undefined ? undefined : parseWorkers(values.workers),
  }
}

const parseOptions = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  })
