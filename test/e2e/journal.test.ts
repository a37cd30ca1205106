import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { runCli, suiteStateDir } from '../helpers/cli.ts'
import { klinesBed } from '../helpers/klines-bed.ts'
import { CLI } from '../helpers/paths.ts'
import { Upload } from '@aws-sdk/lib-storage'

describe('run journal and `lakesync runs`', () => {
  const bed = klinesBed('journal', 60)
  const { env } = bed
  const args = (to: string) => ['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${to}/`, '--endpoint', bed.server.endpoint]

  test('every run appends a journal: the resolved job, one record per item, the outcome; no credential', async () => {
    const r = await runCli(args('journal'), { env: env() })
    assert.equal(r.code, 0, r.stderr)
    const [file] = await readdir(path.join(bed.state, 'runs'))
    const text = await readFile(path.join(bed.state, 'runs', file!), 'utf8')
    assert.ok(!text.includes(bed.server.secretAccessKey))
    const records = text.trim().split('\n').map((l) => JSON.parse(l))
    assert.equal(records[0].type, 'run')
    assert.equal(records[0].jobs[0].source.url, 's3://src-bucket/')
    assert.equal(records[0].jobs[0].destination.endpoint, bed.server.endpoint)
    const items = records.filter((x) => x.type === 'item')
    assert.equal(items.length, 240)
    assert.ok(items.every((x) => x.action === 'copied' && /^"?[0-9a-f]{32}"?$/.test(x.etag) && x.engine && x.reason && typeof x.size === 'number'))
    assert.deepEqual(records.at(-1).type, 'run-end')
    assert.equal(records.at(-1).exitCode, 0)
  })

  test('a run that changes nothing journals no item lines: its summary counts the skips by reason; --journal-skips brings the lines back', async () => {
    const journalOf = async (r: { code: number | null; stderr: string }) => {
      assert.equal(r.code, 0, r.stderr)
      const newest = (await readdir(path.join(bed.state, 'runs'))).sort().at(-1)!
      return (await readFile(path.join(bed.state, 'runs', newest), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
    }
    const quiet = await journalOf(await runCli(args('journal'), { env: env() }))
    assert.deepEqual(quiet.filter((x) => x.type === 'item'), [])
    const end = quiet.find((x) => x.type === 'job-end')
    assert.equal(end.skipped, 240)
    assert.deepEqual(end.reasons, { unchanged: 240 })
    const r = await runCli(['runs', '--json', '--limit', '1'], { env: env() })
    assert.equal(JSON.parse(r.stdout.trim()).skipped, 240, '`lakesync runs` counts the skips from the summary')
    const full = await journalOf(await runCli([...args('journal'), '--journal-skips'], { env: env() }))
    const skips = full.filter((x) => x.type === 'item')
    assert.equal(skips.length, 240)
    assert.ok(skips.every((x) => x.action === 'skipped'))
  })

  test('a same-size source re-published as another multipart upload is recopied: its ETag at the last copy is remembered', async () => {
    const client = bed.server.client()
    const upload = (fill: number) => new Upload({ client, params: { Bucket: 'src-bucket', Key: 'multi/big.bin', Body: Buffer.alloc(12 * 1024 * 1024, fill) }, partSize: 6 * 1024 * 1024 }).done()
    await upload(1)
    const sync = () => runCli([...args('multi'), '--engine', 'sdk', '--include', 'multi/**', '--json'], { env: env() })
    const reasons = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'item').map((e) => `${e.action}: ${e.reason}`)
    assert.deepEqual(reasons((await sync()).stdout), ['copied: missing at destination'])
    assert.deepEqual(reasons((await sync()).stdout), ['skipped: unchanged (same size and the source ETag recorded at the last copy)'])
    await upload(2)
    assert.deepEqual(reasons((await sync()).stdout), ['copied: source re-published (its ETag changed since the last copy)'])
    client.destroy()
  })

  test('`lakesync runs` lists runs with their outcome; a killed run shows as incomplete', async () => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args('killed'), '--engine', 'sdk', '--concurrency', '1'], { env: { ...process.env, ...env() }, stdio: 'ignore' })
    const closed = new Promise((r) => child.once('close', r))
    // Killed once its journal exists, mid-run.
    const before = (await readdir(path.join(bed.state, 'runs'))).length
    for (let i = 0; i < 200 && (await readdir(path.join(bed.state, 'runs'))).length <= before; i++) await new Promise((r) => setTimeout(r, 25))
    await new Promise((r) => setTimeout(r, 300))
    child.kill('SIGKILL')
    await closed
    const r = await runCli(['runs'], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    assert.match(lines[0]!, /incomplete \(killed\?\)/)
    assert.match(lines.at(-1)!, /ok\s+copied 240, skipped 0, failed 0/)
  })

  test('each run prunes the journals of its jobs beyond keepRuns (--keep-runs)', async () => {
    assert.ok((await readdir(path.join(bed.state, 'runs'))).length > 3)
    const r = await runCli([...args('journal'), '--keep-runs', '2'], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    assert.equal((await readdir(path.join(bed.state, 'runs'))).length, 2, 'this run and the one before it')
  })
})

describe('`lakesync runs` with a damaged state dir', () => {
  test('a malformed journal and a folder named *.jsonl are passed over; the good run is still listed', async () => {
    const state = await suiteStateDir('runs-damaged')
    const runs = path.join(state, 'runs')
    await mkdir(path.join(runs, '2026-01-01T00-00-00-000Z-1.jsonl'), { recursive: true })
    await writeFile(path.join(runs, '2026-01-02T00-00-00-000Z-2.jsonl'), '{"type":"run","jobs":"not a list"}\n[1,2\nnull\n42\n')
    await writeFile(path.join(runs, '2026-01-03T00-00-00-000Z-3.jsonl'), '{"type":"run","id":"x","startedAt":"2026-01-03T00:00:00.000Z","command":"lakesync sync","jobs":[{"name":"daily"}]}\n{"type":"item","action":"copied"}\n{"type":"run-end","exitCode":0}\n')
    const r = await runCli(['runs'], { env: { LAKESYNC_STATE_DIR: state } })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /daily/)
    assert.doesNotMatch(r.stderr, /EISDIR|TypeError|Error/)
  })
})

describe('old run journals are pruned', () => {
  const header = (job: string, i: number) => `{"type":"run","id":"${i}","startedAt":"2026-01-01T00:00:00.000Z","command":"lakesync sync","jobs":[{"name":"${job}"}]}\n{"type":"run-end","exitCode":0}\n`
  const seed = async (state: string, daily: number, other: number) => {
    const runs = path.join(state, 'runs')
    await mkdir(runs, { recursive: true })
    for (let i = 0; i < daily; i++) await writeFile(path.join(runs, `2026-01-01T00-00-${String(i).padStart(2, '0')}-000Z-1.jsonl`), header('daily', i))
    for (let i = 0; i < other; i++) await writeFile(path.join(runs, `2025-12-01T00-00-${String(i).padStart(2, '0')}-000Z-1.jsonl`), header('other', i))
    await writeFile(path.join(runs, '2024-01-01T00-00-00-000Z-1.jsonl'), 'not a journal\n')
  }

  test('`lakesync runs --prune` keeps the newest runs of each job, and leaves what it cannot read', async () => {
    const state = await suiteStateDir('prune')
    await seed(state, 35, 3)
    const r = await runCli(['runs', '--prune', '--keep', '30'], { env: { LAKESYNC_STATE_DIR: state } })
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /pruned 5 run journal\(s\)/)
    const left = (await readdir(path.join(state, 'runs'))).sort()
    assert.equal(left.length, 34)
    assert.ok(left.includes('2024-01-01T00-00-00-000Z-1.jsonl'), 'an unreadable file is left alone')
    assert.ok(!left.includes('2026-01-01T00-00-04-000Z-1.jsonl') && left.includes('2026-01-01T00-00-05-000Z-1.jsonl'), 'the oldest five of "daily" went')
    assert.equal(left.filter((f) => f.startsWith('2025-12')).length, 3, 'the other job keeps its own')
  })
})
