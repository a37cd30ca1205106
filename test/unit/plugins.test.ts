import { test } from 'node:test'
import assert from 'node:assert/strict'
import { PluginContainer, PluginHookError } from '../../src/plugins/container.ts'
import type { Plugin, VerifyContext } from '../../src/api/config.ts'
import { verifyByPlugins } from '../../src/verify/plugin-checks.ts'
import { Slots } from '../../src/util/slots.ts'
import { ConfigError } from '../../src/api/errors.ts'

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

test('config patches merge deeply, and a patch that breaks the config names its plugin (exit 2)', async () => {
  const user = { defaults: { concurrency: 4, verify: 'size' as const }, jobs: { j: { source: 's3://src/a/', destination: 's3://lake/b/', include: ['**/*.zip'] } } }
  const c = new PluginContainer([
    { name: 'checks', config: () => ({ defaults: { verify: 'checksum' } }) },
    { name: 'globs', config: () => ({ jobs: { j: { include: ['**/*.CHECKSUM'] } } as any }) },
  ])
  const merged = await c.mergeConfig(user)
  // Objects merge key by key; an array is replaced, not concatenated.
  assert.deepEqual(merged.defaults, { concurrency: 4, verify: 'checksum' })
  assert.deepEqual(merged.jobs!.j, { source: 's3://src/a/', destination: 's3://lake/b/', include: ['**/*.CHECKSUM'] })
  assert.equal(user.defaults.verify, 'size', 'the user config object is left as it was')

  const bad = new PluginContainer([{ name: 'sloppy', config: () => ({ defaults: { concurrency: 0 } }) }])
  await assert.rejects(bad.mergeConfig(user), (e: unknown) =>
    e instanceof ConfigError && e.exitCode === 2 &&
    e.problems.length === 1 && /^plugin "sloppy" .*defaults\.concurrency: expected a whole number from 1 to 4096, got 0$/.test(e.problems[0]!))
})

test('verifyCopy hooks run in order: notes add up, the first failure ends the chain, and only copies still ok are checked', async () => {
  const seen: string[] = []
  const c = new PluginContainer([
    { name: 'late', enforce: 'post', verifyCopy: () => { seen.push('late'); return { note: 'late check' } } },
    { name: 'notes', verifyCopy: (copy) => { seen.push(`notes saw ${copy.note}`); return { note: 'looked', counted: 'looked at' } } },
    { name: 'strict', verifyCopy: (copy) => { seen.push(`strict saw ${copy.note}`); return copy.key.includes('bad') ? { fail: { code: 'Bad', error: 'bad bytes' } } : undefined } },
  ])
  const ctx = {} as VerifyContext
  assert.deepEqual(await c.verifyCopy({ key: 'a.zip', destKey: 'a.zip', size: 1, note: 'rescued' }, ctx), { ok: true, note: 'rescued; looked; late check', counted: ['looked at'] })
  assert.deepEqual(seen, ['notes saw rescued', 'strict saw rescued; looked', 'late'])
  seen.length = 0
  assert.deepEqual(await c.verifyCopy({ key: 'bad.zip', destKey: 'bad.zip', size: 1 }, ctx), { ok: false, code: 'Bad', error: 'bad bytes', plugin: 'strict' })
  assert.deepEqual(seen, ['notes saw undefined', 'strict saw looked'])

  const item = (key: string) => ({ action: 'copy' as const, key, destKey: `d/${key}`, size: 1, etag: '"e"', reason: 'missing' as const })
  const outcomes = [
    { item: item('good.zip'), ok: true, engine: 'sdk', sha256: 'ab' },
    { item: item('bad.zip'), ok: true, engine: 'sdk' },
    { item: item('lost.zip'), ok: false, engine: 'sdk', error: 'size differs' },
  ]
  const checked: string[] = []
  const result = await verifyByPlugins(outcomes, async (copy) => {
    checked.push(`${copy.key}->${copy.destKey}:${copy.sha256 ?? '-'}`)
    return c.verifyCopy(copy, ctx)
  }, new Slots(4), new AbortController().signal)
  assert.deepEqual(checked.sort(), ['bad.zip->d/bad.zip:-', 'good.zip->d/good.zip:ab'])
  assert.deepEqual(result.map((o) => [o.item.key, o.ok, o.note ?? o.error]), [
    ['good.zip', true, 'looked; late check'],
    ['bad.zip', false, 'bad bytes'],
    ['lost.zip', false, 'size differs'],
  ])
  assert.equal(result[1]!.code, 'Bad')
})

test('checks run as many at once as the job allows, counted across the windows being verified together', async () => {
  const item = (key: string) => ({ action: 'copy' as const, key, destKey: key, size: 1, etag: '"e"', reason: 'missing' as const })
  const window = (prefix: string) => Array.from({ length: 10 }, (_, i) => ({ item: item(`${prefix}${i}.zip`), ok: true, engine: 'lean' }))
  let inFlight = 0
  let most = 0
  const check = async () => {
    most = Math.max(most, ++inFlight)
    await new Promise((r) => setTimeout(r, 5))
    inFlight--
    return { ok: true as const, counted: [] }
  }
  const slots = new Slots(4)
  const signal = new AbortController().signal
  const [a, b] = await Promise.all([verifyByPlugins(window('a'), check, slots, signal), verifyByPlugins(window('b'), check, slots, signal)])
  assert.equal(most, 4, 'four checks in flight: the job\'s limit, shared by both windows')
  assert.equal(a.length + b.length, 20)
})

test('an auto engine is the plugins\' choice among the engines the job may take; a choice it cannot take names the plugin', async () => {
  const { chooseEngine } = await import('../../src/route/mode.ts')
  const { autoMode } = await import('../../plugins/auto-mode.ts')
  const job = { name: 'j', engine: 'auto', verify: 'size', sameService: true, source: { connection: {} }, destination: { connection: {} } } as any
  const seen: any[] = []
  const team: Plugin = { name: 'team', selectEngine: (ctx) => (seen.push(ctx), { engine: 'sdk', reason: 'our rule: sdk' }) }
  const chosen = await chooseEngine(job, undefined, new PluginContainer([team, autoMode()]))
  assert.deepEqual([chosen.primary.name, chosen.reason], ['sdk', 'our rule: sdk'])
  assert.deepEqual(Object.keys(seen[0].engines).sort(), ['lean', 'sdk'], 's5cmd, not found, is not offered')
  assert.match(seen[0].s5cmdMissing, /s5cmd not found/)
  assert.equal(seen[0].engines.lean.answersWithEtag, true)
  assert.equal((await chooseEngine(job, undefined, new PluginContainer([autoMode()]))).primary.name, 'lean', 'autoMode() takes lean')
  const wrong: Plugin = { name: 'wrong', selectEngine: () => ({ engine: 's5cmd', reason: 'always s5cmd' }) }
  await assert.rejects(chooseEngine(job, undefined, new PluginContainer([wrong])), (e: unknown) => e instanceof PluginHookError && /plugin "wrong" failed in selectEngine: chose engine "s5cmd", which this job cannot take: s5cmd not found/.test(e.message))
  assert.equal((await chooseEngine({ ...job, engine: 'sdk' }, undefined, new PluginContainer([team]))).reason, 'sdk requested', 'a named engine is not the plugins\' to choose')
})

/** A config file (an .mjs module) of these plugins and jobs, written to a temp dir of its own. */
async function configFile(plugins: string, jobs: string): Promise<string> {
  const { mkdtemp, writeFile } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const path = await import('node:path')
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'lakesync-plugins-')), 'lakesync.config.mjs')
  await writeFile(file, `export default {\n  plugins: [${plugins}],\n  jobs: { ${jobs} },\n}\n`)
  return file
}

test('configResolved sees the final config once: the plugins\' patches merged, the flags over every job, the jobs selected', async () => {
  const { selectJobs } = await import('../../src/cli/select-jobs.ts')
  const file = await configFile(`
    { name: 'defaults', config: () => ({ defaults: { partConcurrency: 4 } }) },
    { name: 'watcher', configResolved: (c) => { (globalThis.resolvedSeen ??= []).push(c.jobs.map((j) => [j.name, j.concurrency, j.partConcurrency])) } },
  `, `a: { source: 's3://src/a/', destination: 's3://lake/a/' }, b: { source: 's3://src/b/', destination: 's3://lake/b/' }`)
  await selectJobs({ config: file, jobs: ['b'], concurrency: 7 })
  assert.deepEqual((globalThis as any).resolvedSeen, [[['b', 7, 4]]])
})

test('a plugin owns its options: a config sets them (in defaults or a job), they are checked by its table with every other problem, its default applies, and it may not take a core option\'s name', async () => {
  const { selectJobs } = await import('../../src/cli/select-jobs.ts')
  const tagger = `{ name: 'tagger', options: { tagPrefix: { type: 'prefix', doc: 'where tags go' }, tagLevel: { type: 'integer', min: 1, max: 9, default: 3, doc: 'how deep' } } }`
  const ok = await configFile(tagger, `a: { source: 's3://src/a/', destination: 's3://lake/a/', tagPrefix: 'tags/' }, b: { source: 's3://src/b/', destination: 's3://lake/b/', tagLevel: 7 }`)
  const { config } = await selectJobs({ config: ok })
  assert.deepEqual(config.jobs.map((j: any) => [j.name, j.tagPrefix, j.tagLevel]), [['a', 'tags/', 3], ['b', undefined, 7]], 'set where given; the default elsewhere')

  const bad = await configFile(tagger, `a: { source: 's3://src/a/', destination: 's3://lake/a/', tagPrefix: '/abs', tagLevel: 10, concurrency: 0 }`)
  await assert.rejects(selectJobs({ config: bad }), (e: unknown) => e instanceof ConfigError
    && /jobs\.a\.concurrency: expected a whole number/.test(e.message)
    && /jobs\.a\.tagPrefix: expected a prefix ending with "\/"/.test(e.message)
    && /jobs\.a\.tagLevel: expected a whole number from 1 to 9/.test(e.message))

  const unowned = await configFile('', `a: { source: 's3://src/a/', destination: 's3://lake/a/', tagPrefix: 'tags/' }`)
  await assert.rejects(selectJobs({ config: unowned }), /jobs\.a\.tagPrefix: unknown field/, 'without its plugin the option is unknown')

  const shapeless = await configFile(`{ name: 'vague', options: { level: { type: 'number', doc: 'how much' }, kind: { type: 'choice', doc: 'which' } } }`, `a: { source: 's3://src/a/', destination: 's3://lake/a/' }`)
  await assert.rejects(selectJobs({ config: shapeless }), (e: unknown) => e instanceof ConfigError
    && /plugins\[0\]\.options\.level: expected type choice, integer, boolean or prefix, got "number"/.test(e.message)
    && /plugins\[0\]\.options\.kind: a choice needs choices/.test(e.message))

  const clash = await configFile(`{ name: 'greedy', options: { concurrency: { type: 'integer', min: 1, max: 2, doc: 'mine' } } }`, `a: { source: 's3://src/a/', destination: 's3://lake/a/' }`)
  await assert.rejects(selectJobs({ config: clash }), /plugin "greedy": its option "concurrency" is a core option; name it otherwise/)
})

test('lakesync\'s own plugins\' options are flags: the CLI\'s list of them is the plugins\' own tables', async () => {
  const { BUILTIN_PLUGIN_OPTIONS } = await import('../../plugins/builtin-options.ts')
  const { withDefaultPlugins } = await import('../../src/cli/select-jobs.ts')
  const { checksums } = await import('../../plugins/checksums.ts')
  const owners = [...withDefaultPlugins([]), checksums()].filter((p) => p.options)
  assert.deepEqual(
    [...new Map(owners.map((p) => [p.name, p.options])).entries()],
    BUILTIN_PLUGIN_OPTIONS.map((b) => [b.name, b.options]),
  )
})

test('copyNeeds: what any plugin asks of a copy is asked of every copy; checksums asks for the SHA-256 only of checksum jobs, and autoMode() then takes lean', async () => {
  const { checksumVerifier } = await import('../../plugins/checksums.ts')
  const { chooseEngine } = await import('../../src/route/mode.ts')
  const { autoMode } = await import('../../plugins/auto-mode.ts')
  const job = (verify: string) => ({ name: 'j', engine: 'auto', verify, sameService: true, source: { connection: {} }, destination: { connection: {} } }) as any
  const plugins = new PluginContainer([{ name: 'quiet', copyNeeds: () => null }, checksumVerifier(), autoMode()])
  assert.deepEqual(plugins.copyNeeds(job('checksum')), { sha256: true })
  assert.deepEqual(plugins.copyNeeds(job('size')), {})
  assert.match((await chooseEngine(job('checksum'), undefined, plugins)).reason, /checksum verification needs CopyObject's SHA-256/)
  const thrower = new PluginContainer([{ name: 'broken', copyNeeds: () => { throw new Error('no') } }])
  assert.throws(() => thrower.copyNeeds(job('size')), (e: unknown) => e instanceof PluginHookError && /plugin "broken" failed in copyNeeds: no/.test(e.message))
})
