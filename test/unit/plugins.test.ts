import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PluginContainer, PluginHookError } from '../../src/plugins/container.ts'
import type { Plugin } from '../../src/api/config.ts'

test('hooks run in enforce order, then by their own order', async () => {
  const calls: string[] = []
  const mk = (name: string, enforce?: 'pre' | 'post', order?: 'pre' | 'post'): Plugin => ({
    name,
    enforce,
    afterJob: order ? { order, handler: () => void calls.push(name) } : () => void calls.push(name),
  })
  const c = new PluginContainer([mk('plain'), mk('late', 'post'), mk('early', 'pre'), mk('first-handler', undefined, 'pre')])
  await c.notify('afterJob', {} as any)
  assert.deepEqual(calls, ['first-handler', 'early', 'plain', 'late'])
})

test('first-non-null hooks stop at the first answer and say which plugin gave it', async () => {
  const c = new PluginContainer([
    { name: 'silent', selectMode: () => null },
    { name: 'decider', selectMode: () => ({ mode: 'traditional', reason: 'test' }) },
    { name: 'never', selectMode: () => { throw new Error('not reached') } },
  ])
  assert.deepEqual(await c.first('selectMode', {} as any), { value: { mode: 'traditional', reason: 'test' }, plugin: 'decider' })
})

test('config hooks merge in sequence; a throwing hook is named', async () => {
  const c = new PluginContainer([
    { name: 'a', config: () => ({ s5cmd: '/a' }) },
    { name: 'b', config: (cfg) => ({ defaults: { concurrency: cfg.s5cmd === '/a' ? 8 : 1 } }) },
  ])
  assert.deepEqual(await c.mergeConfig({}), { s5cmd: '/a', defaults: { concurrency: 8 } })
  const bad = new PluginContainer([{ name: 'broken', onEvent: () => { throw new Error('boom') } }])
  await assert.rejects(bad.notify('onEvent', { type: 'warning', message: 'x' }), (e: unknown) => e instanceof PluginHookError && /plugin "broken" failed in onEvent: boom/.test(e.message))
})
