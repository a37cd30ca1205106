import net from 'node:net'
import tls from 'node:tls'

/** What one request got: the answer's status and body, or why it has none. */
export type HttpAnswer = { status: number; body: string } | { why: string }

/**
 * Kept-alive HTTP/1.1 connections to one endpoint for the lean path's small requests (a
 * CopyObject with no body, a GET of a sidecar). node:http spends more CPU per request on its
 * request object, agent and response stream than the whole rest of a copy; here a request is
 * one string written to a free socket and its answer is read from the bytes as they come.
 *
 * Only what these requests need: no request bodies, no pipelining, answers delimited by
 * Content-Length, chunked encoding or the server closing. Anything else is an answer with a
 * `why`, which the lean path hands to the SDK.
 */
export class HttpPool {
  private readonly all = new Set<Connection>()
  private readonly free: Connection[] = []
  private readonly waiting: ((c: Connection | undefined) => void)[] = []
  private opened = 0
  private closed = false
  /** The last TLS session the endpoint offered: a new connection resumes it, as https.Agent does, and skips the certificate work. */
  private tlsSession: Buffer | undefined

  /** `tls`: more options for an https endpoint's connections (Node's own CAs are the default). */
  constructor(private readonly url: URL, private readonly o: { maxSockets: number; timeoutMs: number; tls?: tls.ConnectionOptions }) {}

  /** Sends `method path` with `headers` (lower-case names, values already as sent). */
  async request(method: 'GET' | 'PUT', path: string, headers: Record<string, string>, signal: AbortSignal): Promise<HttpAnswer> {
    const head = requestHead(method, path, headers)
    if (!head) return { why: 'a header or the path holds a character other than printable ASCII' }
    const connection = await this.take()
    if (!connection) return { why: 'interrupted' }
    if (signal.aborted) {
      this.give(connection)
      return { why: 'interrupted' }
    }
    const answer = await connection.exchange(head)
    this.give(connection)
    return answer
  }

  /** Closes every connection: requests in flight end with a `why`. */
  destroy(): void {
    this.closed = true
    for (const wake of this.waiting.splice(0)) wake(undefined)
    for (const c of this.all) c.close()
  }

  private take(): Promise<Connection | undefined> {
    if (this.closed) return Promise.resolve(undefined)
    for (let c = this.free.pop(); c; c = this.free.pop()) if (c.reusable) return Promise.resolve(c)
    if (this.opened < this.o.maxSockets) return Promise.resolve(this.open())
    return new Promise((wake) => this.waiting.push(wake))
  }

  private give(connection: Connection): void {
    if (!connection.reusable) return // its place was handed on when it went (gone)
    const next = this.waiting.shift()
    if (next) next(connection)
    else this.free.push(connection)
  }

  /** A connection closed or unusable: its place goes to the next request waiting. */
  private gone(connection: Connection): void {
    this.opened--
    this.all.delete(connection)
    const i = this.free.indexOf(connection)
    if (i >= 0) this.free.splice(i, 1)
    const next = this.closed ? undefined : this.waiting.shift()
    next?.(this.open())
  }

  private open(): Connection {
    const { url } = this
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80)
    const hostname = url.hostname.replace(/^\[|\]$/g, '')
    // Reads land in one buffer per socket and go straight to the answer's reader, past the
    // socket's readable stream (whose 'data' events cost more CPU than reading the answer).
    const onread: net.OnReadOpts = {
      buffer: Buffer.allocUnsafe(16 * 1024),
      callback: (n, buffer) => {
        connection.read(Buffer.from(buffer.subarray(0, n)))
        return true
      },
    }
    const socket = url.protocol === 'https:' ? this.connectTls(hostname, port, onread) : net.connect({ host: hostname, port, onread })
    this.opened++
    const connection: Connection = new Connection(socket, this.o.timeoutMs, () => this.gone(connection))
    this.all.add(connection)
    return connection
  }

  private connectTls(hostname: string, port: number, onread: net.OnReadOpts): tls.TLSSocket {
    const options = { host: hostname, port, servername: net.isIP(hostname) ? undefined : hostname, ALPNProtocols: ['http/1.1'], onread, session: this.tlsSession, ...this.o.tls }
    const socket = tls.connect(options as tls.ConnectionOptions)
    socket.on('session', (session: Buffer) => (this.tlsSession = session))
    return socket
  }
}

/** The request line and headers, or undefined where a character could end the head early or be sent other than signed. */
function requestHead(method: string, path: string, headers: Record<string, string>): string | undefined {
  if (!/^[\x21-\x7e]+$/.test(path)) return undefined
  let head = `${method} ${path} HTTP/1.1\r\n`
  for (const name in headers) {
    const value = headers[name]!
    if (!/^[\x20-\x7e]*$/.test(value)) return undefined
    head += `${name}: ${value}\r\n`
  }
  return `${head}\r\n`
}

/** The headers that say where an answer ends, each on its own line; the value without its surrounding blanks. */
const FRAMING_HEADERS = /^(content-length|transfer-encoding|connection):[ \t]*([^\r\n]*?)[ \t]*$/gim

/**
 * An answer's head as HTTP/1.1 allows it (RFC 9112), checked in one pass: the status line, then
 * header lines of a token, a colon and a value without control characters, each ended by CRLF.
 * Whatever else (a bare LF, a folded line, a space before the colon, a NUL) is declined at
 * once, as Node's own parser refuses it, instead of waiting for a CRLF CRLF that never comes.
 */
const HEAD = /^HTTP\/1\.[01] [0-9]{3}(?: [^\x00-\x08\x0a-\x1f\x7f]*)?(?:\r\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\x00-\x08\x0a-\x1f\x7f]*)*$/
/** A line ending other than CRLF in what has come of a head (a CR last may be a CRLF's first half). */
const BARE_LINE_END = /\r(?!\n|$)|(?<!\r)\n/
/** Node's default limit on an answer's head. */
const MAX_HEAD = 16 * 1024

/** Answers above this are not the small ones the lean path asks for. */
const MAX_ANSWER = 1 << 20

/** One socket, one request at a time. */
class Connection {
  /** False once the socket closed, failed, or answered in a way that leaves it unusable. */
  reusable = true
  private answer: ResponseReader | undefined
  private settle: ((a: HttpAnswer) => void) | undefined

  constructor(private readonly socket: net.Socket, timeoutMs: number, private readonly onGone: () => void) {
    socket.setNoDelay(true)
    // An idle socket keeps no run alive; a request in flight refs it (exchange).
    socket.unref()
    // Silent past the limit: a request accepted and never answered, or an idle socket to drop.
    socket.setTimeout(timeoutMs, () => this.closeWith({ why: 'no answer in time (TimeoutError)' }))
    // A runtime without `onread` (see open) hands the bytes over as 'data' events instead.
    socket.on('data', (chunk: Buffer) => this.read(chunk))
    socket.on('end', () => this.ended())
    socket.on('error', (e: NodeJS.ErrnoException) => this.closeWith({ why: `request failed (${e.code ?? e.message})` }))
    socket.on('close', () => this.closeWith({ why: 'connection closed' }))
  }

  exchange(head: string): Promise<HttpAnswer> {
    return new Promise((resolve) => {
      this.settle = resolve
      this.answer = new ResponseReader()
      this.socket.ref()
      this.socket.write(head, 'latin1')
    })
  }

  close(): void {
    this.socket.destroy()
    this.markGone()
  }

  private markGone(): void {
    if (!this.reusable) return
    this.reusable = false
    this.onGone()
  }

  read(chunk: Buffer): void {
    const reader = this.answer
    if (!reader) return this.close() // bytes nobody asked for
    const state = reader.push(chunk)
    if (state === 'more') return
    if ('why' in state) return this.closeWith(state)
    this.finish(state)
    if (!reader.keepAlive) this.close()
  }

  private ended(): void {
    this.closeWith(this.answer?.end() ?? { why: 'answer cut off (ECONNRESET)' })
  }

  /** Ends the request in flight (if any) with `answer` and drops the socket. */
  private closeWith(answer: HttpAnswer): void {
    this.finish(answer)
    this.close()
  }

  private finish(answer: HttpAnswer): void {
    const settle = this.settle
    this.settle = undefined
    this.answer = undefined
    if (!this.socket.destroyed) this.socket.unref()
    settle?.(answer)
  }
}

/**
 * An HTTP/1.1 answer read from its bytes: the head, then a body delimited by Content-Length,
 * by chunks, or by the end of the connection. Interim (1xx) answers are skipped.
 */
export class ResponseReader {
  private buffered: Buffer = Buffer.alloc(0)
  private status = 0
  private framing: { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' } | undefined
  private readonly chunks: Buffer[] = []
  private received = 0
  keepAlive = true

  /** The answer once complete, `more` until then, or why it cannot be read. */
  push(chunk: Buffer): HttpAnswer | 'more' {
    this.received += chunk.length
    if (this.received > MAX_ANSWER) return { why: 'answer larger than expected' }
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk
    for (;;) {
      if (!this.framing) {
        const head = this.readHead()
        if (head !== 'done') return head
        continue
      }
      return this.readBody()
    }
  }

  /** The answer when the server closed the connection after it, else undefined. */
  end(): HttpAnswer | undefined {
    return this.framing?.kind === 'close' ? this.done(this.buffered) : undefined
  }

  private readHead(): HttpAnswer | 'more' | 'done' {
    const end = this.buffered.indexOf('\r\n\r\n')
    const head = this.buffered.toString('latin1', 0, end < 0 ? Math.min(this.buffered.length, MAX_HEAD + 1) : end)
    // Where the head cannot become one: wait no longer for its end.
    if (BARE_LINE_END.test(end < 0 ? head.replace(/\r\n\r?$/, '') : head)) return { why: 'answer with a line ending other than CRLF in its head' }
    if (end < 0) return head.length > MAX_HEAD ? { why: 'answer with a head larger than 16 KB' } : 'more'
    this.buffered = this.buffered.subarray(end + 4)
    if (!HEAD.test(head)) return { why: /^HTTP\/1\.[01] /.test(head) ? 'answer with a malformed head' : 'not an HTTP/1.1 answer' }
    this.status = Number(head.slice(9, 12))
    if (this.status === 101) return { why: 'answer switching protocols (101)' }
    if (this.status < 200) return 'done' // an interim answer; the real one follows (framing still unset)
    // Only the headers that frame the answer are read, in one pass.
    const headers = new Map<string, string>()
    for (const [, name, value] of head.matchAll(FRAMING_HEADERS)) {
      const key = name!.toLowerCase()
      // Two lengths (or a length beside chunks) leave the end of the answer to a guess: Node refuses them, and so does this.
      if (headers.has(key) && key !== 'connection') return { why: `answer with two ${name} headers` }
      headers.set(key, value!)
    }
    const connection = headers.get('connection')?.toLowerCase()
    this.keepAlive = head[7] === '1' ? connection !== 'close' : connection === 'keep-alive'
    const length = headers.get('content-length')
    const encoding = headers.get('transfer-encoding')
    if (encoding !== undefined && (encoding.toLowerCase() !== 'chunked' || length !== undefined)) return { why: `answer with Transfer-Encoding ${encoding}${length !== undefined ? ' and a Content-Length' : ''}` }
    if (this.status === 204 || this.status === 304) this.framing = { kind: 'length', length: 0 }
    else if (encoding !== undefined) this.framing = { kind: 'chunked' }
    else if (length !== undefined) {
      if (!/^\d{1,9}$/.test(length)) return { why: `answer with Content-Length ${length}` }
      this.framing = { kind: 'length', length: Number(length) }
    } else {
      this.framing = { kind: 'close' }
      this.keepAlive = false
    }
    return 'done'
  }

  private readBody(): HttpAnswer | 'more' {
    const framing = this.framing!
    if (framing.kind === 'close') return 'more'
    if (framing.kind === 'length') {
      if (this.buffered.length < framing.length) return 'more'
      // Bytes past the answer's end: which answer they belong to is a guess (as in request smuggling), so none is taken.
      if (this.buffered.length > framing.length) return { why: 'answer followed by bytes nobody asked for' }
      return this.done(this.buffered.subarray(0, framing.length))
    }
    for (;;) {
      const lineEnd = this.buffered.indexOf('\r\n')
      if (lineEnd < 0) return 'more'
      const size = /^([0-9a-fA-F]{1,8})(?:;.*)?$/.exec(this.buffered.toString('latin1', 0, lineEnd))
      if (!size) return { why: 'answer with a broken chunk' }
      const length = parseInt(size[1]!, 16)
      if (length === 0) {
        // The last chunk, then trailers (ignored) up to an empty line.
        const trailersEnd = this.buffered.indexOf('\r\n\r\n', lineEnd)
        if (trailersEnd < 0) return 'more'
        if (this.buffered.length > trailersEnd + 4) return { why: 'answer followed by bytes nobody asked for' }
        return this.done(Buffer.alloc(0))
      }
      if (this.buffered.length < lineEnd + 2 + length + 2) return 'more'
      if (this.buffered[lineEnd + 2 + length] !== 13 || this.buffered[lineEnd + 3 + length] !== 10) return { why: 'answer with a broken chunk' }
      this.chunks.push(this.buffered.subarray(lineEnd + 2, lineEnd + 2 + length))
      this.buffered = this.buffered.subarray(lineEnd + 2 + length + 2)
    }
  }

  private done(last: Buffer): HttpAnswer {
    this.chunks.push(last)
    return { status: this.status, body: Buffer.concat(this.chunks).toString('utf8') }
  }
}
