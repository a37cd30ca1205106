// CPU of reading a 1,000-key ListObjectsV2 page with keys as they are and url-encoded (EncodingType=url,
// which lakesync asks for so a CR in a key survives): `npx tsx scripts/bench-list-decode.ts`.
import { parseListBucketResult } from '../src/storage/list-xml.ts'
const keys = Array.from({ length: 1000 }, (_, i) => `data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-01-${String(i % 28 + 1).padStart(2, '0')}-${i}.zip`)
const page = (enc: boolean) => `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name>${enc ? '<EncodingType>url</EncodingType>' : ''}<KeyCount>1000</KeyCount><IsTruncated>false</IsTruncated>` + keys.map((k) => `<Contents><Key>${enc ? encodeURIComponent(k).replace(/%2F/g, '/') : k}</Key><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>1234</Size></Contents>`).join('') + '</ListBucketResult>'
for (const enc of [false, true, false, true]) {
  const xml = page(enc)
  const t = performance.now()
  for (let i = 0; i < 1000; i++) parseListBucketResult(xml)
  console.log(enc ? 'url-encoded' : 'plain      ', ((performance.now() - t) / 1000).toFixed(3), 'ms per 1,000-key page')
}
