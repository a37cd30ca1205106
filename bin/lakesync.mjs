#!/usr/bin/env node
// The CLI: the built bundle in an installed package; in a checkout, the TypeScript sources
// through tsx (no build step, never a stale bundle).
import { existsSync } from 'node:fs'

if (existsSync(new URL('../src/cli/run.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/run.ts')
} else {
  // The package's floor, said plainly instead of a syntax or module error from deep inside.
  const major = Number(process.versions.node.split('.')[0])
  if (major < 22) {
    console.error(`lakesync needs Node 22 or newer; this is Node ${process.versions.node}. Install a current Node LTS, or use the single binary, which carries its own Node.`)
    process.exit(2)
  }
  await import('../dist/lib/lakesync.mjs')
}
