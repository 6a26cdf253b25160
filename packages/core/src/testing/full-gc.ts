// Forces a full garbage collection in tests, so heap measurements see what is retained, not what awaits collection.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

/** Heap bytes in use after a full collection. */
export const retainedHeap = (): number => {
  gc()
  return process.memoryUsage().heapUsed
}
