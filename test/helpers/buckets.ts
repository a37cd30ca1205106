import { createHash } from 'node:crypto'
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { forEachPool } from '../../src/util/pool.ts'

/** Every key under a prefix (relative to it) with the SHA-256 of its bytes, read back with GET. */
export async function snapshot(client: S3Client, bucket: string, prefix = ''): Promise<Map<string, string>> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }))
    for (const o of page.Contents ?? []) keys.push(o.Key!)
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  const out = new Map<string, string>()
  await forEachPool(keys, 32, async (key) => {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    const body = await r.Body!.transformToByteArray()
    out.set(key.slice(prefix.length), createHash('sha256').update(body).digest('hex'))
  })
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)))
}

export async function put(client: S3Client, bucket: string, key: string, body: string | Uint8Array) {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
}

/** How many keys a prefix holds now (listing only): what landed while a run copies. */
export async function countKeys(server: { client(): S3Client }, bucket: string, prefix: string): Promise<number> {
  const c = server.client()
  try {
    let n = 0
    let token: string | undefined
    do {
      const page = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
      n += page.KeyCount ?? 0
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    return n
  } finally {
    c.destroy()
  }
}
