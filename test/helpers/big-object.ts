import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'

/** Uploads `size` pseudo-random bytes without holding them; returns their SHA-256. */
export async function putLarge(client: S3Client, bucket: string, key: string, size: number): Promise<string> {
  const hash = createHash('sha256')
  const block = randomBytes(1024 * 1024)
  let sent = 0
  const body = Readable.from((function* () {
    while (sent < size) {
      const n = Math.min(block.length, size - sent)
      // Vary each block so parts differ.
      block.writeUInt32BE(sent / block.length, 0)
      const chunk = Buffer.from(block.subarray(0, n))
      sent += n
      hash.update(chunk)
      yield chunk
    }
  })())
  await new Upload({ client, params: { Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-test', Metadata: { origin: 'lakesync-test' } }, partSize: 16 * 1024 * 1024, queueSize: 2 }).done()
  return hash.digest('hex')
}

/** SHA-256 of an object, streamed. */
export async function sha256Of(client: S3Client, bucket: string, key: string): Promise<string> {
  const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  const hash = createHash('sha256')
  for await (const chunk of r.Body as Readable) hash.update(chunk)
  return hash.digest('hex')
}
