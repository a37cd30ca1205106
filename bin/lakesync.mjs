#!/usr/bin/env node
// The CLI: the built bundle in an installed package; in a checkout, the TypeScript sources
// through tsx (no build step, never a stale bundle).
import { existsSync } from 'node:fs'

if (existsSync(new URL('../src/cli/run.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../src/cli/run.ts')
} else {
  await import('../dist/lib/lakesync.mjs')
}
