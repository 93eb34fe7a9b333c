// Raw HTTP/1.x over node:net: write exact bytes, read exactly what comes back, parse it leniently.
// Nothing here trusts the server: every read is bounded in time and size.
import { Buffer } from 'node:buffer'
import net from 'node:net'
import { clearTimeout, setImmediate, setTimeout } from 'node:timers'
import { setTimeout as sleep } from 'node:timers/promises'

export { sleep }

/** A string is taken byte for byte (latin1), so `\x85` is one byte 0x85 on the wire. */
export function bytes(data) {
  return Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1')
}

/** Lower-case header map from a response's raw header pairs. */
function headerMap(pairs) {
  const map = new Map()
  for (const [name, value] of pairs) {
    const key = name.toLowerCase()
    const list = map.get(key) ?? []
    list.push(value)
    map.set(key, list)
  }
  return map
}

/** Decode a chunked body from `buf` at `pos`; `undefined` when incomplete or malformed. */
function dechunk(buf, pos) {
  const parts = []
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', pos)
    if (lineEnd < 0) return undefined
    const size = Number.parseInt(buf.toString('latin1', pos, lineEnd).split(';')[0] ?? '', 16)
    if (!Number.isFinite(size) || size < 0) return undefined
    pos = lineEnd + 2
    if (size === 0) {
      // Trailer fields, then the empty line.
      for (;;) {
        const end = buf.indexOf('\r\n', pos)
        if (end < 0) return undefined
        const empty = end === pos
        pos = end + 2
        if (empty) return { body: Buffer.concat(parts), end: pos }
      }
    }
    if (pos + size + 2 > buf.length) return undefined
    parts.push(buf.subarray(pos, pos + size))
    pos += size + 2
  }
}

/**
 * Split what a server sent into responses. `methods[i]` is the method of the i-th request (HEAD
 * responses carry no body); interim 1xx responses do not use up a method. Whatever does not start
 * with `HTTP/` where a response should start is returned as `rest`.
 */
export function parseResponses(buf, methods = []) {
  const responses = []
  let pos = 0
  let index = 0
  while (pos < buf.length) {
    if (buf.toString('latin1', pos, pos + 5) !== 'HTTP/') break
    const headEnd = buf.indexOf('\r\n\r\n', pos)
    if (headEnd < 0) {
      responses.push({ partial: true, head: buf.toString('latin1', pos), status: statusOf(buf.toString('latin1', pos, pos + 64)) })
      pos = buf.length
      break
    }
    const head = buf.toString('latin1', pos, headEnd)
    const [statusLine = '', ...lines] = head.split('\r\n')
    const status = statusOf(statusLine)
    const pairs = lines.map((line) => {
      const colon = line.indexOf(':')
      return colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1).trim()]
    })
    const headers = headerMap(pairs)
    const response = { statusLine, status, head, pairs, headers, body: Buffer.alloc(0), partial: false, untilClose: false }
    responses.push(response)
    pos = headEnd + 4
    if (status >= 100 && status < 200 && status !== 101) {
      response.interim = true
      continue
    }
    const method = methods[index] ?? 'GET'
    index += 1
    const te = (headers.get('transfer-encoding') ?? []).join(',').toLowerCase()
    const cl = headers.get('content-length')?.[0]
    if (method === 'HEAD' || status === 204 || status === 304 || (method === 'CONNECT' && status >= 200 && status < 300)) {
      continue
    }
    if (te.includes('chunked')) {
      const decoded = dechunk(buf, pos)
      if (decoded === undefined) {
        response.partial = true
        response.body = buf.subarray(pos)
        pos = buf.length
        break
      }
      response.body = decoded.body
      pos = decoded.end
    } else if (cl !== undefined && /^\d+$/.test(cl)) {
      const length = Number(cl)
      response.body = buf.subarray(pos, Math.min(buf.length, pos + length))
      if (pos + length > buf.length) response.partial = true
      pos = Math.min(buf.length, pos + length)
    } else {
      response.untilClose = true
      response.body = buf.subarray(pos)
      pos = buf.length
    }
  }
  return { responses, rest: buf.subarray(pos) }
}

function statusOf(statusLine) {
  const m = /^HTTP\/\d+\.\d+ (\d{3})/.exec(statusLine)
  return m ? Number(m[1]) : 0
}

/** Final (non-1xx) responses only. */
export function finals(result) {
  return result.responses.filter((r) => r.interim !== true)
}

/**
 * One connection: write `parts` (strings/Buffers, or `{ delay: ms }`), collect the answer.
 * Stops when the server closes, on `timeout`, after `want` complete final responses plus `settle`
 * ms of quiet, after `idle` ms without data once something arrived, or past `maxBytes`.
 * `stopOnData` stops writing as soon as anything arrives (for huge requests the server refuses
 * early); `halfClose` ends our side after writing; `halfCloseAfter` ends it that many ms later.
 */
export function exchange(port, parts, options = {}) {
  const {
    timeout = 3000,
    want,
    settle = 150,
    idle,
    methods = [],
    maxBytes = 8 * 1024 * 1024,
    stopOnData = false,
    halfClose = false,
    halfCloseAfter,
    host = '127.0.0.1',
  } = options
  const list = Array.isArray(parts) ? parts : [parts]
  return new Promise((resolve) => {
    const started = Date.now()
    const chunks = []
    let received = 0
    let done = false
    let settleTimer
    let idleTimer
    let halfTimer
    const state = { closed: false, timedOut: false, error: undefined, truncated: false, written: 0, firstByteMs: undefined }
    const socket = net.connect({ port, host })
    socket.setNoDelay(true)
    const finish = (why) => {
      if (done) return
      done = true
      clearTimeout(overall)
      clearTimeout(settleTimer)
      clearTimeout(idleTimer)
      clearTimeout(halfTimer)
      socket.destroy()
      const buf = Buffer.concat(chunks)
      const parsed = parseResponses(buf, methods)
      resolve({ ...state, why, buf, ...parsed, elapsed: Date.now() - started })
    }
    const overall = setTimeout(() => {
      state.timedOut = true
      finish('timeout')
    }, timeout)
    socket.on('data', (chunk) => {
      state.firstByteMs ??= Date.now() - started
      chunks.push(chunk)
      received += chunk.length
      if (received > maxBytes) {
        state.truncated = true
        finish('maxBytes')
        return
      }
      if (want !== undefined) {
        const { responses } = parseResponses(Buffer.concat(chunks), methods)
        const complete = responses.filter((r) => r.interim !== true && !r.partial && !r.untilClose).length
        if (complete >= want) {
          clearTimeout(settleTimer)
          settleTimer = setTimeout(() => finish('want'), settle)
        }
      }
      if (idle !== undefined) {
        clearTimeout(idleTimer)
        idleTimer = setTimeout(() => finish('idle'), idle)
      }
    })
    socket.on('end', () => {
      state.closed = true
      finish('closed')
    })
    socket.on('close', () => {
      state.closed = true
      finish('closed')
    })
    socket.on('error', (err) => {
      state.error = err.code ?? err.message
      state.closed = true
      finish('error')
    })
    socket.on('connect', () => {
      void (async () => {
        for (const part of list) {
          if (done) return
          if (stopOnData && received > 0) break
          if (part != null && typeof part === 'object' && !Buffer.isBuffer(part)) {
            await sleep(part.delay)
            continue
          }
          const data = bytes(part)
          if (stopOnData) {
            // Small slices, each flushed before the next and with a turn of the event loop in
            // between, so an early answer is read before a write into the closed socket fails.
            for (let i = 0; i < data.length && !done && received === 0; i += 16 * 1024) {
              const slice = data.subarray(i, i + 16 * 1024)
              state.written += slice.length
              await new Promise((r) => socket.write(slice, () => r(undefined)))
              await new Promise((r) => setImmediate(r))
            }
          } else {
            state.written += data.length
            if (!socket.write(data)) await new Promise((r) => socket.once('drain', r).once('close', r))
          }
        }
        if (done) return
        if (halfClose) socket.end()
        else if (halfCloseAfter !== undefined) halfTimer = setTimeout(() => socket.end(), halfCloseAfter)
      })().catch(() => undefined)
    })
  })
}

/** Hold `n` connections open (optionally sending `initial` on each); `closeAll()` releases them. */
export async function openMany(port, n, { initial, host = '127.0.0.1', timeout = 5000 } = {}) {
  const sockets = []
  const opened = await Promise.all(
    Array.from({ length: n }, () =>
      new Promise((resolve) => {
        const socket = net.connect({ port, host })
        sockets.push(socket)
        const timer = setTimeout(() => resolve(false), timeout)
        socket.on('error', () => {
          clearTimeout(timer)
          resolve(false)
        })
        socket.on('connect', () => {
          clearTimeout(timer)
          if (initial !== undefined) socket.write(bytes(initial))
          resolve(true)
        })
      }),
    ),
  )
  return {
    sockets,
    connected: opened.filter(Boolean).length,
    alive: () => sockets.filter((s) => !s.destroyed && s.readyState === 'open').length,
    closeAll: () => {
      for (const s of sockets) s.destroy()
    },
  }
}

const ESCAPES = new Map([
  [0x0d, '\\r'],
  [0x0a, '\\n'],
  [0x09, '\\t'],
  [0x22, '\\"'],
  [0x5c, '\\\\'],
])

/**
 * A printable, exact form of raw bytes: a double-quoted string where every byte outside printable
 * ASCII is `\xNN` (so NBSP, ESC or NUL stay visible), truncated with the full length noted.
 */
export function show(data, max = 400) {
  const buf = bytes(data)
  let text = ''
  for (const b of buf.subarray(0, max)) {
    text += ESCAPES.get(b) ?? (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)
  }
  return buf.length > max ? `"${text}"… (${buf.length} bytes)` : `"${text}"`
}
