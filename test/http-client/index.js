// @simplehttp/test-client: the raw-socket client of every package's tests. Exact bytes go out;
// what comes back is read with @simplehttp/parser's ResponseParser, so every test frames
// responses the same, correct way (HEAD, 1xx, 204/304, chunked, close-delimited, upgrades).
// Plain JavaScript with index.d.ts beside it, so test/attacks (plain node) needs no build.
import { Buffer } from 'node:buffer'
import net from 'node:net'
import { ResponseParser } from '@simplehttp/parser'

/** A string is taken byte for byte (latin-1), so `\x85` is the one byte 0x85 on the wire. */
export function bytes(data) {
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.isBuffer(data) ? data : Buffer.from(data)
}

function toResponse(head, headText, body, trailers) {
  const headers = []
  const raw = head.headers.raw
  for (let i = 0; i < raw.length; i += 2) headers.push([raw[i], raw[i + 1]])
  return {
    version: head.version,
    status: head.status,
    reason: head.reason,
    statusLine: head.statusLine,
    head: headText,
    headers,
    headerList: head.headers,
    header: (name) => head.headers.getAll(name)[0],
    body,
    trailers,
    framing: head.framing,
    keepAlive: head.keepAlive,
    upgrade: head.upgrade,
    interim: head.status < 200 && head.status !== 101,
    method: head.method,
  }
}

/**
 * Read as many complete responses as `data` holds. `methods[i]` is the method of the i-th
 * request (a response to HEAD has no body; interim 1xx responses do not use one up). With
 * `closed`, the end of `data` is the close, which ends a close-delimited body.
 */
export function readResponses(data, options = {}) {
  const { methods = [], closed = false } = options
  const input = bytes(data)
  const responses = []
  let current
  let body = []
  let sawHead = false
  let ended = false
  const parser = new ResponseParser({
    onHead(head) {
      current = head
      body = []
      sawHead = true
      parser.pause()
    },
    onBody(chunk) {
      body.push(Buffer.from(chunk))
    },
    onEnd(trailers) {
      ended = true
      parser.pause()
      responses.push(toResponse(current, current.headText, Buffer.concat(body), trailers))
      current = undefined
    },
  })
  for (const method of methods) parser.expect({ method })
  let pos = 0
  let messageStart = 0
  while (pos < input.length && !parser.finished) {
    sawHead = false
    ended = false
    const consumed = parser.execute(input.subarray(pos))
    if (sawHead) {
      // execute stopped right after the head (pause in onHead), or after a bodiless response.
      const headText = input.toString('latin1', messageStart, pos + consumed)
      if (ended) responses[responses.length - 1].head = headText
      else current.headText = headText
    }
    pos += consumed
    if (ended) messageStart = pos
    if (consumed === 0) break
  }
  if (closed && parser.error === undefined && current !== undefined && current.framing === 'close') {
    parser.finish()
    messageStart = input.length
  }
  const partial =
    current === undefined ? undefined : { ...toResponse(current, current.headText ?? '', Buffer.concat(body), undefined), partial: true }
  return {
    responses,
    partial,
    error: parser.error,
    upgraded: parser.error === undefined && responses.at(-1)?.upgrade === true,
    rest: input.subarray(messageStart),
  }
}

/** Final (non-1xx) responses only. */
export function finals(responses) {
  return responses.filter((r) => !r.interim)
}

/** A raw TCP client: exact bytes out, bytes in, responses read on request. */
export class RawClient {
  /** Bytes received so far. */
  received = 0
  closed = false
  #chunks = []
  #listeners = new Set()

  constructor(socket) {
    this.socket = socket
    socket.on('data', (chunk) => {
      this.#chunks.push(chunk)
      this.received += chunk.length
      this.#changed()
    })
    // A reset from the server is a way of closing, as far as tests care.
    socket.on('error', () => undefined)
    this.whenClosed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true
        this.#changed()
        resolve()
      })
    })
  }

  /** Connect to `host` (127.0.0.1) on `port`. */
  static async connect(port, host = '127.0.0.1', options = {}) {
    const socket = net.connect({ port, host, ...options })
    socket.setNoDelay(true)
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new this(socket)
  }

  /** Write exact bytes (strings are latin-1). */
  send(data) {
    return new Promise((resolve, reject) => {
      this.socket.write(bytes(data), (error) => {
        if (error) reject(error)
        else resolve()
      })
    })
  }

  /** Half-close: end our side (FIN) and keep reading. */
  halfClose() {
    return new Promise((resolve) => {
      this.socket.end(resolve)
    })
  }

  /** The bytes received. */
  get data() {
    // Joined on demand and kept joined: concatenating per chunk is quadratic for big bodies.
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks)]
    return this.#chunks[0]
  }

  /** The bytes received, as latin-1 text. */
  get text() {
    return this.data.toString('latin1')
  }

  /** Wait until `ready()` holds; fail if the connection closes first. */
  waitFor(ready, what = 'the expected data') {
    return new Promise((resolve, reject) => {
      const check = () => {
        let ok
        try {
          ok = ready()
        } catch (error) {
          this.#listeners.delete(check)
          reject(error)
          return
        }
        if (ok) {
          this.#listeners.delete(check)
          resolve()
        } else if (this.closed) {
          this.#listeners.delete(check)
          reject(new Error(`connection closed before ${what}; received ${JSON.stringify(this.text.slice(0, 2000))}`))
        }
      }
      this.#listeners.add(check)
      check()
    })
  }

  /**
   * Wait for `count` complete responses (interim 1xx ones count) and return them; `methods[i]`
   * is the method of the i-th request.
   */
  async responses(count, methods = []) {
    let parsed = []
    await this.waitFor(() => {
      const result = readResponses(this.data, { methods, closed: this.closed })
      if (result.error !== undefined && result.responses.length < count) {
        throw new Error(`the server's response does not parse: ${result.error.code} ${result.error.message}`)
      }
      parsed = result.responses
      return parsed.length >= count
    }, `${count} responses`)
    return parsed.slice(0, count)
  }

  /** Wait for the next response after `skip` earlier ones (a keep-alive helper). */
  async response(methods = [], skip = 0) {
    const all = await this.responses(skip + 1, methods)
    return all[skip]
  }

  /** Wait until the server closes the connection; returns everything received. */
  async untilClosed() {
    await this.whenClosed
    return this.data
  }

  /** Close our socket now. */
  destroy() {
    this.socket.destroy()
  }

  #changed() {
    for (const listener of [...this.#listeners]) listener()
  }
}

/** Connect, send `data`, and collect until the server closes. */
export async function exchange(port, data, host = '127.0.0.1') {
  const client = await RawClient.connect(port, host)
  await client.send(data)
  await client.untilClosed()
  return client
}

const escapeHTML = (text) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

/** CPython 3.14's error page (`http.server.DEFAULT_ERROR_MESSAGE`), written out independently of src/. */
export function cpythonErrorPage(code, message, explain) {
  return [
    '<!DOCTYPE HTML>',
    '<html lang="en">',
    '    <head>',
    '        <meta charset="utf-8">',
    '        <style type="text/css">',
    '            :root {',
    '                color-scheme: light dark;',
    '            }',
    '        </style>',
    '        <title>Error response</title>',
    '    </head>',
    '    <body>',
    '        <h1>Error response</h1>',
    `        <p>Error code: ${code}</p>`,
    `        <p>Message: ${escapeHTML(message)}.</p>`,
    `        <p>Error code explanation: ${code} - ${escapeHTML(explain)}.</p>`,
    '    </body>',
    '</html>',
    '',
  ].join('\n')
}

/**
 * Whether `response` is CPython's error page for `code` (and, when given, `message`): the
 * status, `Content-Type: text/html;charset=utf-8`, a Content-Length that fits, and the page.
 */
export function isCPythonErrorPage(response, code, message) {
  if (response.status !== code) return false
  if (response.header('content-type') !== 'text/html;charset=utf-8') return false
  const body = response.body.toString('utf8')
  if (!body.startsWith('<!DOCTYPE HTML>') || !body.includes(`<p>Error code: ${code}</p>`)) return false
  return message === undefined || body.includes(`<p>Message: ${escapeHTML(message)}.</p>`)
}
