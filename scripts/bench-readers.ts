// CPU of the two hand-written readers on the copy path, this checkout against another revision,
// interleaved in one process: a 1,000-key ListObjectsV2 page (url-encoded keys, as lakesync asks)
// and a CopyObject answer as S3 sends it. `npx tsx scripts/bench-readers.ts [--against REV]`
// (default REV: HEAD~1). Both files import only Node's own modules, so the other revision's
// copies run as they are from a temporary folder.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { parseListBucketResult } from '../src/storage/list-xml.ts'
import { ResponseReader } from '../src/storage/http-pool.ts'

const { values } = parseArgs({ options: { against: { type: 'string', default: 'HEAD~1' }, rounds: { type: 'string', default: '7' } } })
const dir = mkdtempSync(path.join(tmpdir(), 'lakesync-bench-readers-'))
const other = async (file: string) => {
  writeFileSync(path.join(dir, path.basename(file)), execFileSync('git', ['show', `${values.against}:${file}`]))
  return import(path.join(dir, path.basename(file)))
}
const old = { list: (await other('src/storage/list-xml.ts')).parseListBucketResult as typeof parseListBucketResult, Reader: (await other('src/storage/http-pool.ts')).ResponseReader as typeof ResponseReader }
rmSync(dir, { recursive: true, force: true })

const keys = Array.from({ length: 1000 }, (_, i) => `data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-${String((i % 28) + 1).padStart(2, '0')}-${i}.zip`)
const page = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><KeyCount>1000</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>` + keys.map((k) => `<Contents><Key>${encodeURIComponent(k).replace(/%2F/g, '/')}</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents>`).join('') + '</ListBucketResult>')
const body = '<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2026-12-04T22:00:00.000Z</LastModified><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag></CopyObjectResult>'
const answer = Buffer.from(`HTTP/1.1 200 OK\r\nx-amz-id-2: ${'a'.repeat(76)}=\r\nx-amz-request-id: 0123456789ABCDEF\r\nDate: Fri, 04 Dec 2026 22:00:00 GMT\r\nContent-Type: application/xml\r\nContent-Length: ${body.length}\r\nServer: AmazonS3\r\n\r\n${body}`)

/** CPU µs per call, over `n` calls. */
const cpu = (fn: () => unknown, n: number) => {
  const start = process.cpuUsage()
  for (let i = 0; i < n; i++) fn()
  const used = process.cpuUsage(start)
  return (used.user + used.system) / n
}
const runs: Record<string, number[]> = {}
const add = (name: string, us: number) => (runs[name] ??= []).push(us)
for (let round = 0; round < Number(values.rounds); round++) {
  add(`list page, ${values.against}`, cpu(() => old.list(page), 300))
  add('list page, this checkout', cpu(() => parseListBucketResult(page), 300))
  add(`copy answer, ${values.against}`, cpu(() => new old.Reader().push(answer), 20_000))
  add('copy answer, this checkout', cpu(() => new ResponseReader().push(answer), 20_000))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
for (const [name, xs] of Object.entries(runs)) console.log(`${name.padEnd(34)} ${median(xs).toFixed(2).padStart(9)} µs CPU (median of ${xs.length} interleaved rounds)`)
