// Runs the cases against one target: a context per case, the marker scan over everything that came
// back, and the liveness probe after every case (restarting the server if it died or hangs).
import { Buffer } from 'node:buffer'
import net from 'node:net'
import { clearTimeout, setTimeout } from 'node:timers'
import { exchange, finals, show, sleep } from './http.mjs'

/** Markers that must never come back from any request, whatever the case. */
const FORBIDDEN = ['secret', 'sibling', 'outdir', 'outName', 'outsideCgi', 'dotenv', 'gitcfg', 'noexecSrc', 'echoSrc', 'smuggle', 'passwd']

export class Failure extends Error {}

/** Throw a case failure unless `cond`. */
export function check(cond, message) {
  if (!cond) throw new Failure(message)
}

/** One-line summary of an exchange: statuses, how it ended. */
export function summary(res) {
  const statuses = res.responses.map((r) => (r.partial ? `${r.status}(partial)` : String(r.status))).join(',') || 'none'
  const extra = res.rest.length > 0 ? ` +${res.rest.length} unparsed bytes${res.parseError ? ` (${res.parseError})` : ''}` : ''
  const end = res.timedOut ? 'timed out' : res.error !== undefined ? `error ${res.error}` : res.closed ? 'closed' : `stopped (${res.why})`
  return `responses [${statuses}]${extra}, ${end} after ${res.elapsed} ms`
}

/** A local listener a proxying server would connect to; records every connection. */
export async function startListener(marker) {
  const seen = { connections: 0, bytes: 0 }
  const server = net.createServer((socket) => {
    seen.connections += 1
    socket.on('data', (d) => {
      seen.bytes += d.length
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${marker.length}\r\nConnection: close\r\n\r\n${marker}`)
    })
    socket.on('error', () => undefined)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: server.address().port,
    seen,
    marker,
    reset: () => {
      seen.connections = 0
      seen.bytes = 0
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

function makeContext(target, listener, records) {
  const fx = target.fixture
  const logStart = target.stderrLength
  const ctx = {
    kind: target.kind,
    fx,
    m: fx.markers,
    listener,
    get port() {
      return target.port
    },
    /** Build a request: `headers` is a list of raw lines (no CRLF) or [name, value] pairs. */
    req(method, requestTarget, { headers = [], version = 'HTTP/1.1', close = true, body = '', host = true } = {}) {
      const lines = [`${method} ${requestTarget} ${version}`]
      if (host) lines.push(`Host: 127.0.0.1:${target.port}`)
      for (const h of headers) lines.push(Array.isArray(h) ? `${h[0]}: ${h[1]}` : h)
      if (close) lines.push('Connection: close')
      return `${lines.join('\r\n')}\r\n\r\n${body}`
    },
    /** Send raw parts on a new connection (see exchange()); recorded for the failure report. */
    async send(parts, options = {}) {
      const res = await exchange(target.port, parts, options)
      const list = Array.isArray(parts) ? parts : [parts]
      const request = list.map((p) => (p != null && typeof p === 'object' && !Buffer.isBuffer(p) ? `<${p.delay} ms pause>` : p))
      records.push({ request, res })
      return res
    },
    /** A request built by req() and sent, waiting for one response by default. */
    async request(method, requestTarget, options = {}) {
      const { timeout = 3000, ...rest } = options
      return ctx.send(ctx.req(method, requestTarget, rest), { timeout, methods: [method] })
    },
    /** The server's stderr since the case began, decoded as UTF-8 (what a terminal shows). */
    log() {
      return target.stderr(logStart).toString('utf8')
    },
    logBytes() {
      return target.stderr(logStart)
    },
    /** Give the server time to write its log lines. */
    async settleLog(ms = 100) {
      await sleep(ms)
    },
    rss: () => target.rss(),
    probe: (timeout) => target.probe(timeout),
    /** The first final response, or a failure naming what happened instead. */
    first(res, what = 'a response') {
      const r = finals(res)[0]
      check(r !== undefined && r.status > 0, `expected ${what}, got ${summary(res)}`)
      return r
    },
  }
  return ctx
}

/** Run `cases` against `target`; returns one result row per case. */
export async function runSuite(target, cases, { onResult } = {}) {
  const results = []
  const listener = await startListener(`LISTENER-${target.fixture.id}`)
  if (!target.running) await target.start()
  for (const c of cases) {
    const records = []
    listener.reset()
    const ctx = makeContext(target, listener, records)
    const started = Date.now()
    let pass = true
    let detail = ''
    let timer
    try {
      const limit = c.timeout ?? 15_000
      const out = await Promise.race([
        c.run(ctx),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Failure(`case did not finish within ${limit} ms`)), limit)
        }),
      ])
      detail = typeof out === 'string' ? out : ''
    } catch (err) {
      pass = false
      detail = err instanceof Failure ? err.message : `harness error: ${err?.stack ?? err}`
    } finally {
      clearTimeout(timer)
    }
    // Nothing outside the root, no script source, no smuggled answer, in any byte that came back.
    const leaked = new Set()
    for (const { res } of records) {
      const text = res.buf.toString('latin1')
      for (const key of FORBIDDEN) if (text.includes(target.fixture.markers[key])) leaked.add(key)
    }
    if (leaked.size > 0) {
      const what = [...leaked].map((key) => `${key} (${target.fixture.markers[key]})`).join(', ')
      // A case that passed its own checks only has a success note to drop.
      detail = `response contains the marker of ${what}${pass ? '' : `; ${detail}`}`
      pass = false
    }
    // Alive, and still serving a normal GET correctly on a new connection.
    const problem = await liveness(target)
    if (problem !== undefined) {
      pass = false
      detail = `${problem}; ${detail}`
    }
    const row = { family: c.family, name: c.name, pass, detail: detail.trim(), ms: Date.now() - started, records }
    results.push(row)
    onResult?.(row)
  }
  await listener.close()
  return results
}

async function liveness(target) {
  if (!target.running) {
    const exit = target.exit
    const tail = target.stderr().toString('latin1').slice(-300)
    await target.start()
    return `SERVER DIED (exit code ${exit?.code}, signal ${exit?.signal}; stderr tail ${JSON.stringify(tail)}); restarted`
  }
  const probe = await target.probe()
  if (probe.ok) return undefined
  // One retry: a server that answers the second time is slow, not dead.
  const again = await target.probe()
  if (again.ok) return `liveness: ${probe.detail} (a retry succeeded)`
  await target.stop()
  await target.start()
  return `SERVER UNRESPONSIVE after the case: ${probe.detail}; restarted`
}

/** For the failure report: every exchange of a case, request and response. */
export function describeRecords(records, max = 6) {
  return records.slice(0, max).map(({ request, res }) => {
    const req = request.map((p) => (typeof p === 'string' && p.startsWith('<') && p.endsWith('pause>') ? p : show(p, 300))).join(' + ')
    return `    request:  ${req}\n    response: ${summary(res)}: ${show(res.buf, 500)}`
  })
}
