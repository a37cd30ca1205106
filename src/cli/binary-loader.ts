// Main script of the single executable (scripts/build-binary.mjs). The CLI's bundle and a V8
// code cache for it are assets of the binary; the cache was made at build time after a warm-up
// run, so unlike the one Node's SEA builder makes before any code has run, it also holds the
// functions a start-up calls (~60 ms less to the first request).
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { getAsset, isSea } from 'node:sea'
import vm from 'node:vm'

// Set by the build only: run from dist/sea with the bundle beside this script, write the cache on exit.
const making = process.env.LAKESYNC_MAKE_CODE_CACHE
const source = isSea() ? getAsset('lakesync.cjs', 'utf8') : readFileSync(path.join(__dirname, 'lakesync.cjs'), 'utf8')
const cachedData = isSea() && !making ? codeCache() : undefined
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: __filename, cachedData })
// V8 silently compiles from source when it rejects a cache; the build checks that it does not.
if (process.env.LAKESYNC_CHECK_CODE_CACHE) process.stderr.write(`code cache ${!cachedData ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted'}\n`)
if (making) process.once('exit', () => writeFileSync(making, script.createCachedData()))
script.runInThisContext()(exports, require, module, __filename, __dirname)

// A binary built for another architecture without qemu-user to warm it up has no cache.
function codeCache(): Buffer | undefined {
  try {
    return Buffer.from(getAsset('lakesync.cache'))
  } catch {
    return undefined
  }
}
