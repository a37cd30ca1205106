import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { CopyObjectCommand } from '@aws-sdk/client-s3'
import { createS3Client } from '../../src/storage/client.ts'
import { describeS3Error } from '../../src/storage/errors.ts'

test('a copy answered 200 with an error in its body is described as that, not as the 503 the SDK turns it into', async () => {
  const server = createServer((req, res) => {
    req.resume()
    const failInBody = req.url!.includes('in-body')
    res.writeHead(failInBody ? 200 : 503, { 'content-type': 'application/xml' })
    res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const client = createS3Client({ endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, { maxAttempts: 1 })
  const copy = (key: string) => client.send(new CopyObjectCommand({ Bucket: 'b', Key: key, CopySource: 'src/k' })).then(() => undefined, (e) => describeS3Error(e))
  try {
    assert.equal(await copy('in-body'), 'We encountered an internal error. Please try again. (InternalError, HTTP 200 with an error in its body)')
    assert.equal(await copy('real-503'), 'We encountered an internal error. Please try again. (InternalError, HTTP 503)')
  } finally {
    client.destroy()
    server.close()
  }
})
