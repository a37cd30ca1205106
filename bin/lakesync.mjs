#!/usr/bin/env node
// Runs the CLI from source: TypeScript loads through tsx, no build step.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/run.ts')
