/** ETags of single-part uploads (and of server-side copies of them) are the MD5 of the bytes; multipart ones ("...-N") are not comparable. */
export const singlePart = (etag: string) => /^"?[0-9a-f]{32}"?$/i.test(etag)

/** The same ETag, quoted or not, in either case. */
export const sameEtag = (a: string, b: string) => a === b || a.replace(/"/g, '').toLowerCase() === b.replace(/"/g, '').toLowerCase()
