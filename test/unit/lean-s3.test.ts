import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readCopyAnswer } from '../../src/storage/lean-s3.ts'

// The lean path takes only a plain success; everything else goes to the SDK, which reads errors.
test('a CopyObject answer: success with its SHA-256, and every failure declined', () => {
  const sha = Buffer.alloc(32, 7).toString('base64')
  assert.deepEqual(readCopyAnswer(200, `<?xml version="1.0"?><CopyObjectResult><ETag>"e"</ETag><ChecksumSHA256>${sha}</ChecksumSHA256></CopyObjectResult>`), { ok: true, sha256: '07'.repeat(32) })
  assert.deepEqual(readCopyAnswer(200, '<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><ETag>"e"</ETag></CopyObjectResult>'), { ok: true })
  // S3 may answer 200 and then fail the copy in the body.
  assert.deepEqual(readCopyAnswer(200, '<Error><Code>InternalError</Code><Message>x</Message></Error>'), { ok: false, why: 'HTTP 200 without a CopyObjectResult InternalError' })
  assert.deepEqual(readCopyAnswer(503, '<Error><Code>SlowDown</Code></Error>'), { ok: false, why: 'HTTP 503 SlowDown' })
  assert.deepEqual(readCopyAnswer(403, ''), { ok: false, why: 'HTTP 403' })
  assert.equal(readCopyAnswer(200, '').ok, false, 'an empty 200 is not a copy')
})
