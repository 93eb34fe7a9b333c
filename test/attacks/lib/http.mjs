// Raw HTTP/1.x for the attacks: write exact bytes, read exactly what comes back. The socket and the
// response reading are the shared test client's (@simplehttp/test-client), so a HEAD, 1xx, chunked
// or close-delimited answer is framed as everywhere else; this file adds the attack suite's bounds.
// Nothing here trusts the server: every read is bounded in time and size.
import { Buffer } from 'node:buffer'
import { RawClient, bytes, readResponses } from '@simplehttp/test-client'
import { clearTimeout, setImmediate, setTimeout } from 'node:timers'
import { setTimeout as sleep } from 'node:timers/promises'

export { sleep }

/** A string is taken byte for byte (latin1), so `\x85` is one byte 0x85 on the wire. */
export { bytes }

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

/** The shape the cases read: the shared client's response plus a lower-case header map. */
function toAttackResponse(response, partial) {
  return {
    statusLine: response.statusLine,
    status: response.status,
    head: response.head,
    pairs: response.headers,
    headers: headerMap(response.headers),
    body: response.body,
    partial,
    untilClose: response.framing === 'close',
    interim: response.interim,
  }
}

/**
 * Split what a server sent into responses, read by the shared test client (@simplehttp/test-client,
 * i.e. @simplehttp/parser's ResponseParser). `methods[i]` is the method of the i-th request (HEAD
 * responses carry no body); interim 1xx responses do not use up a method. `closed` means the
 * connection is over, which ends a close-delimited body. A response whose head arrived but whose
 * body did not end is the last one, `partial`; bytes that are not (or no longer) a valid response
 * are returned as `rest`, with the parser's reason in `parseError`.
 */
export function parseResponses(buf, methods = [], closed = false) {
  const result = readResponses(buf, { methods, closed })
  const responses = result.responses.map((response) => toAttackResponse(response, false))
  let rest = result.rest
  if (result.partial !== undefined) {
    responses.push(toAttackResponse(result.partial, true))
    rest = Buffer.alloc(0)
  }
  return { responses, rest, parseError: result.error === undefined ? undefined : `${result.error.code}: ${result.error.message}` }
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
 * The socket is the shared test client's `RawClient`; this adds the attack suite's bounds.
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
    let client
    let done = false
    let settleTimer
    let idleTimer
    let halfTimer
    const state = { closed: false, timedOut: false, error: undefined, truncated: false, written: 0, firstByteMs: undefined }
    const received = () => client?.received ?? 0
    const finish = (why) => {
      if (done) return
      done = true
      clearTimeout(overall)
      clearTimeout(settleTimer)
      clearTimeout(idleTimer)
      clearTimeout(halfTimer)
      client?.destroy()
      const buf = client?.data ?? Buffer.alloc(0)
      // The exchange is over either way, so the end of the bytes ends a close-delimited body.
      const parsed = parseResponses(buf, methods, true)
      resolve({ ...state, why, buf, ...parsed, elapsed: Date.now() - started })
    }
    const overall = setTimeout(() => {
      state.timedOut = true
      finish('timeout')
    }, timeout)
    const onData = () => {
      state.firstByteMs ??= Date.now() - started
      if (received() > maxBytes) {
        state.truncated = true
        finish('maxBytes')
        return
      }
      if (want !== undefined) {
        const { responses } = parseResponses(client.data, methods)
        const complete = responses.filter((r) => r.interim !== true && !r.partial).length
        if (complete >= want) {
          clearTimeout(settleTimer)
          settleTimer = setTimeout(() => finish('want'), settle)
        }
      }
      if (idle !== undefined) {
        clearTimeout(idleTimer)
        idleTimer = setTimeout(() => finish('idle'), idle)
      }
    }
    const write = async (socket) => {
      for (const part of list) {
        if (done) return
        if (stopOnData && received() > 0) break
        if (part != null && typeof part === 'object' && !Buffer.isBuffer(part)) {
          await sleep(part.delay)
          continue
        }
        const data = bytes(part)
        if (stopOnData) {
          // Small slices, each flushed before the next and with a turn of the event loop in
          // between, so an early answer is read before a write into the closed socket fails.
          for (let i = 0; i < data.length && !done && received() === 0; i += 16 * 1024) {
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
    }
    RawClient.connect(port, host).then(
      (connected) => {
        client = connected
        if (done) {
          client.destroy()
          return
        }
        const { socket } = client
        // RawClient's own listener runs first, so client.data already holds the chunk.
        socket.on('data', onData)
        if (client.received > 0) onData()
        socket.on('end', () => {
          state.closed = true
          finish('closed')
        })
        socket.on('error', (err) => {
          state.error = err.code ?? err.message
          state.closed = true
          finish('error')
        })
        void client.whenClosed.then(() => {
          state.closed = true
          finish('closed')
        })
        write(socket).catch(() => undefined)
      },
      (err) => {
        state.error = err.code ?? err.message
        state.closed = true
        finish('error')
      },
    )
  })
}

/**
 * Hold `n` connections open (optionally sending `initial` on each); `closeAll()` releases them.
 * They read nothing (paused, so the kernel's buffers fill and the server feels it) until a case
 * resumes one: `clients[i].socket.resume()`.
 */
export async function openMany(port, n, { initial, host = '127.0.0.1', timeout = 5000 } = {}) {
  const clients = await Promise.all(
    Array.from({ length: n }, async () => {
      let timer
      const gaveUp = new Promise((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeout)
      })
      const connecting = RawClient.connect(port, host).then(
        (client) => {
          client.socket.pause()
          return client
        },
        () => undefined,
      )
      const client = await Promise.race([connecting, gaveUp])
      clearTimeout(timer)
      // A connection that arrives after we gave up is closed, not leaked.
      if (client === undefined) void connecting.then((late) => late?.destroy())
      else if (initial !== undefined) client.socket.write(bytes(initial))
      return client
    }),
  )
  const connected = clients.filter((client) => client !== undefined)
  const sockets = connected.map((client) => client.socket)
  return {
    clients: connected,
    sockets,
    connected: connected.length,
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
