// Seeds buckets with Binance-layout data for tests, the demo and benchmarks.
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { forEachPool } from '../../src/util/pool.ts'

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test/fixtures/binance')

export interface SeedObject {
  key: string
  body: Uint8Array
}

/** The real archive samples under test/fixtures/binance, keyed as in the archive. */
export async function realSamples(): Promise<SeedObject[]> {
  const out: SeedObject[] = []
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) await walk(p)
      else if (e.name !== 'README.md') out.push({ key: path.relative(FIXTURES, p).split(path.sep).join('/'), body: await readFile(p) })
    }
  }
  await walk(path.join(FIXTURES, 'data'))
  return out.sort((a, b) => (a.key < b.key ? -1 : 1))
}

/** A zip-like file and its `.CHECKSUM` sidecar ("<sha256>  <name>\n"), as the archive publishes them. */
export function withSidecar(key: string, body: Uint8Array): SeedObject[] {
  const sha = createHash('sha256').update(body).digest('hex')
  return [{ key, body }, { key: `${key}.CHECKSUM`, body: Buffer.from(`${sha}  ${path.posix.basename(key)}\n`) }]
}

/** Generated daily klines: symbols × intervals × days, each zip 1–`maxKb` KB, plus sidecars. */
export function generatedKlines(o: { symbols: string[]; intervals: string[]; days: number; start?: string; minBytes?: number; maxBytes?: number; seed?: string }): SeedObject[] {
  const out: SeedObject[] = []
  const start = Date.parse(o.start ?? '2024-01-01T00:00:00Z')
  const min = o.minBytes ?? 1000
  const max = o.maxBytes ?? 4000
  for (const symbol of o.symbols) for (const interval of o.intervals) for (let d = 0; d < o.days; d++) {
    const date = new Date(start + d * 86_400_000).toISOString().slice(0, 10)
    const key = `data/spot/daily/klines/${symbol}/${interval}/${symbol}-${interval}-${date}.zip`
    const h = createHash('sha256').update(`${o.seed ?? ''}${key}`).digest()
    const size = min + (h.readUInt32BE(0) % Math.max(1, max - min))
    out.push(...withSidecar(key, Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(size - 4)])))
  }
  return out
}

export async function putAll(client: S3Client, bucket: string, objects: Iterable<SeedObject>, concurrency = 32): Promise<void> {
  await forEachPool(objects, concurrency, async (o) => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body, ContentType: o.key.endsWith('.zip') ? 'application/zip' : 'text/plain' }))
  })
}
