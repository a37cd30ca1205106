import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { runCli } from '../helpers/cli.ts'
import type { BenchReport } from '../../src/api/bench-report.ts'

const LAKESYNC_MODES = ['direct (lean)', 'direct (s5cmd)', 'direct (sdk)', 'traditional stream', 'traditional staged']

for (const wan of [false, true]) {
  test(`bench --local${wan ? ' behind a simulated WAN link' : ''} writes the three reports, and its request counts agree with the server's log`, async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'lakesync-bench-out-'))
    const args = ['bench', '--local', '--objects', '12', '--size', '64KB', '--rounds', '2', '--out', out, ...(wan ? ['--latency', '20', '--bandwidth', '200'] : [])]
    const r = await runCli(args, { pathWithTools: true })
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual((await readdir(out)).sort(), ['report.json', 'report.md', 'report.svg'])
    const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as BenchReport
    assert.deepEqual(report.modes.map((m) => m.mode).slice(0, LAKESYNC_MODES.length), LAKESYNC_MODES)
    if (wan) assert.deepEqual(report.parameters.wan, { rttMs: 20, mbits: 200 })
    for (const m of report.modes) {
      assert.equal(m.seconds.length, 2, `${m.mode}: two rounds`)
      assert.equal(m.failures, 0, m.mode)
      // Counted where made (lakesync's middleware, s5cmd's results) = counted by the server.
      assert.deepEqual(m.requests, m.serverRequests, `${m.mode}: lakesync's count matches the server's log`)
    }
    const mode = (name: string) => report.modes.find((m) => m.mode === name)!
    assert.equal(mode('direct (s5cmd)').requests.CopyObject, 12)
    assert.equal(mode('direct (sdk)').requests.CopyObject, 12)
    assert.equal(mode('direct (lean)').requests.CopyObject, 12)
    assert.equal(mode('traditional staged').requests.GetObject, 12)
    assert.equal(mode('traditional stream').requests.PutObject, 12)
    assert.equal(mode('direct (sdk)').bytesThroughHost, 0)
    assert.equal(mode('traditional stream').bytesThroughHost, 12 * 64_000)
    assert.ok(mode('traditional staged').peakDiskBytes > 0)
    assert.equal(mode('traditional stream').peakDiskBytes, 0)
    assert.match(await readFile(path.join(out, 'report.md'), 'utf8'), /direct \(s5cmd\): [\d.]+× (faster|slower), [\d.]+ requests? per object instead of [\d.]+ requests/)
    assert.match(await readFile(path.join(out, 'report.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*Wall time[\s\S]*<\/svg>\n$/)
    assert.match(r.stdout, /\| traditional staged \| [\d.]+ \|/)
  })
}

test('bench --local with 100 objects of 1 MB finishes every mode (traditional ones once deadlocked here), each with its own memory figure', { timeout: 600_000 }, async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'lakesync-bench-out-'))
  const r = await runCli(['bench', '--local', '--objects', '100', '--size', '1MB', '--rounds', '1', '--out', out], { pathWithTools: true, env: { LAKESYNC_STALL_SECONDS: '60' } })
  assert.equal(r.code, 0, r.stderr)
  const report = JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as BenchReport
  for (const m of report.modes) assert.equal(m.failures, 0, m.mode)
  const stream = report.modes.find((m) => m.mode === 'traditional stream')!
  assert.equal(stream.bytesThroughHost, 100 * 1_000_000)
  // Memory per mode, not the bench process's high-water mark repeated for every mode.
  const lakesync = report.modes.filter((m) => LAKESYNC_MODES.includes(m.mode)).map((m) => m.peakRssBytes)
  // The bench process alone holds well over 150 MB (the SDK, a local server's seeding, reports).
  assert.ok(Math.min(...lakesync) < 150e6, `RSS added per mode: ${lakesync.join(', ')}`)
  assert.match(await readFile(path.join(out, 'report.md'), 'utf8'), /RSS added: the peak resident memory/)
})
