import { ConfigError } from '@tollgate/core'
import { describe, expect, it } from 'vitest'
import { parseCommandLine, version } from './cli.js'

describe('parseCommandLine', () => {
  it('starts by default, with flags and their short forms', () => {
    expect(parseCommandLine([])).toEqual({ command: 'start', config: undefined, port: undefined, host: undefined })
    expect(parseCommandLine(['-c', 'gw.yaml', '-p', '9000', '--host', '::1'])).toEqual({
      command: 'start',
      config: 'gw.yaml',
      port: 9000,
      host: '::1',
    })
    expect(parseCommandLine(['start', '--config=gw.json'])).toMatchObject({ command: 'start', config: 'gw.json' })
    expect(parseCommandLine(['--workers', '4'])).toMatchObject({ command: 'start', workers: 4 })
    expect(parseCommandLine(['--workers=auto'])).toMatchObject({ command: 'start', workers: 'auto' })
  })

  it('reads help, version and check', () => {
    expect(parseCommandLine(['--help'])).toEqual({ command: 'help' })
    expect(parseCommandLine(['-v'])).toEqual({ command: 'version' })
    expect(parseCommandLine(['check', 'gw.yaml'])).toEqual({ command: 'check', config: 'gw.yaml' })
    expect(parseCommandLine(['check', '--config', 'gw.yaml'])).toEqual({ command: 'check', config: 'gw.yaml' })
  })

  it.each([
    [['--prot', '1'], 'unknown option --prot'],
    [['--port', 'eighty'], '--port must be an integer from 0 to 65535, got "eighty"'],
    [['--port', '70000'], '--port must be an integer'],
    [['--workers', '0'], '--workers must be a whole number from 1 to 1024 or "auto", got "0"'],
    [['--workers', 'two'], '--workers must be a whole number from 1 to 1024 or "auto", got "two"'],
    [['--config'], "Option '-c, --config <value>' argument missing"],
    [['check'], 'tollgate check takes one config file'],
    [['check', 'a.json', 'b.json'], 'tollgate check takes one config file'],
    [['serve'], 'unknown command "serve"'],
    [['start', 'extra'], 'unexpected argument "extra"'],
  ])('%j → ConfigError: %s', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(ConfigError)
    expect(() => parseCommandLine(argv)).toThrow(message)
  })

  it('knows its version', () => {
    expect(version()).toMatch(/^\d+\.\d+\.\d+$/)
  })
})
