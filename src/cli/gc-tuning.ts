import { setFlagsFromString } from 'node:v8'

/**
 * A copy run's live heap stays near 25 MB, but V8 would let the heap grow several times past it
 * between full collections (RSS over 200 MB at 50,000 objects). A slower growth factor keeps RSS
 * near 160 MB at no measurable cost in time. Called once the command's modules are loaded:
 * changing a V8 flag makes V8 reject the code caches of Node's built-in modules compiled after
 * it, which cost ~80 ms of start-up when set before them.
 */
export function slowHeapGrowth() {
  // The binary's build runs lakesync to make its code cache, which V8 accepts only under the
  // flags it was made with: the ones the binary starts with (src/cli/binary-loader.ts).
  if (process.env.LAKESYNC_MAKE_CODE_CACHE) return
  try {
    setFlagsFromString('--heap-growing-percent=100')
  } catch {
    // Runtimes without V8 flags (Deno's node:v8) keep their defaults.
  }
}
