// What a test's code under test says on stderr about one subject, caught while the rest passes through.
import { vi } from 'vitest'

/** Collects the stderr writes that contain `marker`, passing the others through; restore() puts stderr back. */
export const stderrAbout = (marker: string) => {
  const said: string[] = []
  const write = process.stderr.write.bind(process.stderr)
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk, ...rest) => {
    if (String(chunk).includes(marker)) said.push(String(chunk))
    else return write(chunk as string, ...(rest as []))
    return true
  })
  return { said, restore: () => spy.mockRestore() }
}
