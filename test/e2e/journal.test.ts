import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { startS3Server, type S3TestServer } from '../helpers/s3-server.ts'
import { runCli, suiteStateDir } from '../helpers/cli.ts'
import { generatedKlines, putAll } from '../../scripts/lib/seed.ts'
import { CLI } from '../helpers/paths.ts'
import { Upload } from '@aws-sdk/lib-storage'

describe('run journal and `lakesync runs`', () => {
  let server: S3TestServer
  let state: string
  before(async () => {
    server = await startS3Server('versitygw', { buckets: ['src-bucket', 'dst-bucket'] })
    const client = server.client()
    await putAll(client, 'src-bucket', generatedKlines({ symbols: ['BTCUSDT'], intervals: ['1m', '1h'], days: 60 }))
    client.destroy()
    state = await suiteStateDir('journal')
  })
  after(() => server?.stop())
  const env = () => ({ ...server.env, LAKESYNC_STATE_DIR: state })
  const args = (to: string) => ['sync', '--from', 's3://src-bucket/', '--to', `s3://dst-bucket/${to}/`, '--endpoint', server.endpoint]

  test('every run appends a journal: the resolved job, one record per item, the outcome; no credential', async () => {
    const r = await runCli(args('journal'), { env: env() })
    assert.equal(r.code, 0, r.stderr)
    const [file] = await readdir(path.join(state, 'runs'))
    const text = await readFile(path.join(state, 'runs', file!), 'utf8')
    assert.ok(!text.includes(server.secretAccessKey))
    const records = text.trim().split('\n').map((l) => JSON.parse(l))
    assert.equal(records[0].type, 'run')
    assert.equal(records[0].jobs[0].source.url, 's3://src-bucket/')
    assert.equal(records[0].jobs[0].destination.endpoint, server.endpoint)
    const items = records.filter((x) => x.type === 'item')
    assert.equal(items.length, 240)
    assert.ok(items.every((x) => x.action === 'copied' && /^"?[0-9a-f]{32}"?$/.test(x.etag) && x.engine && x.reason && typeof x.size === 'number'))
    assert.deepEqual(records.at(-1).type, 'run-end')
    assert.equal(records.at(-1).exitCode, 0)
  })

  test('a same-size source re-published as another multipart upload is recopied: its ETag at the last copy is remembered', async () => {
    const client = server.client()
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
    const before = (await readdir(path.join(state, 'runs'))).length
    for (let i = 0; i < 200 && (await readdir(path.join(state, 'runs'))).length <= before; i++) await new Promise((r) => setTimeout(r, 25))
    await new Promise((r) => setTimeout(r, 300))
    child.kill('SIGKILL')
    await closed
    const r = await runCli(['runs'], { env: env() })
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    assert.match(lines[0]!, /incomplete \(killed\?\)/)
    assert.match(lines.at(-1)!, /ok\s+copied 240, skipped 0, failed 0/)
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
