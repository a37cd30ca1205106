/** CopyObject's own limit; larger objects need multipart UploadPartCopy. */
export const COPY_OBJECT_LIMIT = 5 * 1024 ** 3

/** CopySource is "bucket/key" URL-encoded, keeping "/" between segments (RFC 3986 strict). */
export function encodeCopySource(bucket: string, key: string): string {
  const strict = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
  return `${bucket}/${key.split('/').map(strict).join('/')}`
}
