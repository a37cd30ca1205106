// `tsx scripts/smoke-binary.ts BINARY [--qemu]`: a release binary's smoke test, used by
// scripts/release. Against a local versitygw it runs --version, a sync of 30 objects (hostile
// keys among them) checked object by object, a re-run that copies nothing, and `doctor`, which
// writes out the embedded s5cmd; that s5cmd must then answer `version`. --qemu runs everything
// of a foreign architecture under qemu-user (Debian's qemu-user and libc6-arm64-cross): there is
// no binfmt_misc here, so lakesync cannot start its foreign s5cmd itself, and the script does.
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startVersitygw } from '../src/bench/local-server.ts'
import { exec } from '../src/util/exec.ts'
import { putAll, type SeedObject } from './lib/seed.ts'
import { snapshot } from '../test/helpers/buckets.ts'
import { CreateBucketCommand } from '@aws-sdk/client-s3'

const { positionals: [binary], values: { qemu } } = parseArgs({ allowPositionals: true, options: { qemu: { type: 'boolean', default: false } } })
if (!binary) throw new Error('usage: tsx scripts/smoke-binary.ts BINARY [--qemu]')
const onTarget = (program: string, args: string[], env: NodeJS.ProcessEnv) =>
  qemu ? exec('qemu-aarch64', ['-L', '/usr/aarch64-linux-gnu', program, ...args], env) : exec(program, args, env)

const server = await startVersitygw()
const home = await mkdtemp(path.join(tmpdir(), 'lakesync-smoke-'))
try {
  for (const bucket of ['archive', 'lake']) await server.client.send(new CreateBucketCommand({ Bucket: bucket }))
  const keys = ['a key with spaces', 'plus+sign', 'per%cent', 'hash#mark', 'question?', 'ünïcødé/日本', ...Array.from({ length: 24 }, (_, i) => `spot/${i}.zip`)]
  const objects: SeedObject[] = keys.map((k, i) => ({ key: `data/${k}`, body: new TextEncoder().encode(`object ${i} `.repeat(100 + i)) }))
  await putAll(server.client, 'archive', objects)
  const env = {
    PATH: '/usr/bin:/bin', HOME: home, LAKESYNC_STATE_DIR: path.join(home, 'state'),
    AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey, AWS_REGION: 'us-east-1',
  }
  const sync = ['sync', '--from', 's3://archive/data/', '--to', 's3://lake/mirror/', '--endpoint', server.endpoint]

  const version = await onTarget(binary, ['--version'], env)
  assert.equal(version.code, 0, version.stderr)
  console.log(`smoke: --version ${version.stdout.trim()}`)
  const first = await onTarget(binary, sync, env)
  assert.equal(first.code, 0, first.stdout + first.stderr)
  assert.match(first.stdout, /copied 30 /)
  const [source, mirror] = [await snapshot(server.client, 'archive', 'data/'), await snapshot(server.client, 'lake', 'mirror/')]
  assert.equal(source.size, 30)
  assert.deepEqual([...mirror], [...source], 'every key arrives unchanged, with the same bytes')
  const again = await onTarget(binary, sync, env)
  assert.match(again.stdout, /copied 0 .*skipped 30/)
  console.log('smoke: sync of 30 objects (hostile keys among them) and a re-run that copies nothing')

  const doctor = await onTarget(binary, ['doctor', '--from', 's3://archive/data/', '--to', 's3://lake/mirror/', '--endpoint', server.endpoint], env)
  const cache = path.join(home, '.cache', 'lakesync')
  const [written] = (await readdir(cache).catch(() => [])).filter((f) => f.startsWith('s5cmd-'))
  assert.ok(written, `doctor wrote the embedded s5cmd to ${cache}: ${doctor.stdout}${doctor.stderr}`)
  const s5cmd = await onTarget(path.join(cache, written), ['version'], env)
  assert.match(s5cmd.stdout, /^v\d+\.\d+\.\d+-[0-9a-f]{7}\n$/, `the embedded s5cmd answers with its stamped version: ${s5cmd.stdout}${s5cmd.stderr}`)
  console.log(`smoke: the embedded s5cmd ${s5cmd.stdout.trim()} was written to the cache dir and runs`)
} finally {
  await server.stop()
  await rm(home, { recursive: true, force: true })
}
