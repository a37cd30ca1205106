/** Requests in versitygw's access log (S3 server access log format): operation and key of each line. */
export function parseAccessLog(text: string): { operation: string; bucket: string; key: string }[] {
  const out = []
  for (const line of text.split('\n')) {
    // owner bucket [time +zone] ip requester request-id operation key ...
    const m = /^\S+ (\S+) \[[^\]]*\] \S+ \S+ \S+ (\S+) (\S+) /.exec(line)
    if (m) out.push({ bucket: m[1]!, operation: m[2]!.replace(/^s3_/, ''), key: m[3]! })
  }
  return out
}
