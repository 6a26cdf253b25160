// CPU time of any process from /proc/<pid>/stat: the fallback for targets that cannot report process.cpuUsage().
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'

let ticksPerSecond: number | undefined

const clockTicks = (): number => {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}

/**
 * utime + stime of `pid`, in µs (resolution 1/CLK_TCK s, usually 10 ms: use over runs of seconds only).
 * Returns undefined when the process is gone or /proc is unavailable.
 */
export const readProcCpu = async (pid: number): Promise<{ userUs: number; systemUs: number } | undefined> => {
  let stat: string
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields after the name start at field 3 (state); utime is field 14 and stime field 15.
  const utime = Number(fields[14 - 3])
  const stime = Number(fields[15 - 3])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined
  const usPerTick = 1_000_000 / clockTicks()
  return { userUs: utime * usPerTick, systemUs: stime * usPerTick }
}
