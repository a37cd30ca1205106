// The binary's s5cmd cache: it runs only a file it wrote and hashed in a folder no one else can
// write, never writes through a link planted at its names, and keeps only the current copy.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { chmod, lstat, mkdir, readFile, readdir, symlink, utimes, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { embeddedPath, installEmbeddedS5cmd } from '../../src/engines/embedded-s5cmd.ts'
import { inTempDir } from '../helpers/temp-dir.ts'

const bytes = new TextEncoder().encode('#!/bin/sh\necho s5cmd\n')
const meta = { version: 'v2.3.0-test', sha256: createHash('sha256').update(bytes).digest('hex') }
const asset = () => bytes

const inTemp = (fn: (dir: string) => Promise<void>) => inTempDir('lakesync-cache-', fn)

test('a cache dir others may write, or that is a link, is refused with the reason; nothing is written there', () => inTemp(async (dir) => {
  const open = path.join(dir, 'open')
  await mkdir(open)
  await chmod(open, 0o777)
  const refused = await installEmbeddedS5cmd(meta, { LAKESYNC_CACHE_DIR: open }, asset)
  assert.deepEqual(refused, { unusable: `the cache dir ${open} may be written by others (mode 777), so the s5cmd there could be swapped; set LAKESYNC_CACHE_DIR to a folder of your own that only you can write` })
  assert.deepEqual(await readdir(open), [])
  await symlink(open, path.join(dir, 'link'))
  const linked = await installEmbeddedS5cmd(meta, { LAKESYNC_CACHE_DIR: path.join(dir, 'link') }, asset)
  assert.match('unusable' in linked ? linked.unusable : '', /is a symbolic link/)
}))

test('links planted at the temporary names and at the entry are never written through; the entry becomes a file of its own', () => inTemp(async (dir) => {
  const cache = path.join(dir, 'cache')
  await mkdir(cache, { mode: 0o700 })
  const victim = path.join(dir, 'victim')
  await writeFile(victim, 'precious')
  const env = { LAKESYNC_CACHE_DIR: cache }
  const target = embeddedPath(meta, env)
  // The entry itself a link to the victim (as if an earlier, unsafe cache had been poisoned).
  await symlink(victim, target)
  for (let pid = process.pid - 2; pid <= process.pid + 2; pid++) await symlink(victim, `${target}.${pid}.tmp`).catch(() => {})
  const installed = await installEmbeddedS5cmd(meta, env, asset)
  assert.deepEqual(installed, { path: target, replaced: true })
  assert.equal(await readFile(victim, 'utf8'), 'precious', 'the victim is untouched')
  const info = await lstat(target)
  assert.ok(info.isFile() && !info.isSymbolicLink(), 'a regular file')
  assert.equal(info.mode & 0o777, 0o755)
  assert.deepEqual(await readFile(target), Buffer.from(bytes))
}))

test('copies of other versions and temporaries a killed run left are removed; the current copy is reused', () => inTemp(async (dir) => {
  const env = { LAKESYNC_CACHE_DIR: dir }
  await chmod(dir, 0o700)
  const target = embeddedPath(meta, env)
  await writeFile(path.join(dir, 's5cmd-v2.2.0-0123456789ab'), 'old')
  await writeFile(`${target}.1234.abc.tmp`, 'half')
  const long = new Date(Date.now() - 3600_000)
  await utimes(`${target}.1234.abc.tmp`, long, long)
  await writeFile(path.join(dir, 'notes.txt'), 'not ours')
  assert.deepEqual(await installEmbeddedS5cmd(meta, env, asset), { path: target, replaced: false })
  assert.deepEqual((await readdir(dir)).sort(), ['notes.txt', path.basename(target)])
  const written = (await lstat(target)).mtimeMs
  assert.deepEqual(await installEmbeddedS5cmd(meta, env, asset), { path: target, replaced: false })
  assert.equal((await lstat(target)).mtimeMs, written, 'reused, not written again')
}))
