/**
 * `createRequestListener(root, options)`: `SimpleHTTPRequestHandler`'s behaviour (CPython's
 * headers, listings and error pages) as a `(req, res, next?)` function for `node:http` and its
 * HTTP/2 compatibility API. `serveStatic()` is the serve-static-flavoured sibling.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { DEFAULT_ERROR_CONTENT_TYPE, DEFAULT_ERROR_MESSAGE, RESPONSES, htmlEscape, type AccessGuard, type GuardedRequest, type Refusal } from '@simplehttp/handler'
import { StaticError } from './errors.js'
import type { RequestHeaders } from './internal/conditional.js'
import { sendBody } from './internal/node-response.js'
import { StaticCore, type StaticPlan } from './internal/core.js'
import { serveLiveReload } from './live-reload.js'
import { resolveDirectory, resolveOptions, type StaticOptions } from './options.js'
import type { NextFunction, StaticMiddleware } from './serve-static.js'

/**
 * Serve files under `root` from `node:http`, Express or Connect, with the behaviour of
 * `SimpleHTTPRequestHandler` (listings, CPython's headers, ranges, ETags, containment).
 *
 * Only GET and HEAD are handled. Anything it would answer with 404 or 400 (and other methods)
 * goes to `next()` when there is one, so later routes can answer; without `next` it answers
 * itself (405 with `Allow: GET, HEAD` for other methods). Unexpected errors go to `next(error)`,
 * or become a 500.
 *
 * @example
 * import http from 'node:http'
 * http.createServer(createRequestListener('public')).listen(8000)
 *
 * @example
 * http2.createSecureServer({ key, cert }, createRequestListener('public', { precompressed: true }))
 */
export function createRequestListener(root: string, options: RequestListenerOptions = {}): StaticMiddleware {
  const directory = resolveDirectory(root)
  if (directory === undefined) throw new StaticError('SH_ERR_STATIC_INVALID_OPTION', 'invalid option root.\nExpected a non-empty path string, but got: undefined')
  const core = new StaticCore(directory, resolveOptions(options))
  const live = core.options.liveReload
  const guard = options.accessGuard
  const listener: StaticMiddleware = function staticRequestListener(req, res, next) {
    if (live !== undefined && serveLiveReload(live, req, res)) return
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') {
      if (next !== undefined) {
        next()
        return
      }
      sendErrorPage(res, method ?? 'GET', 405, undefined, [['Allow', 'GET, HEAD']])
      return
    }
    serve(core, req, res, method, next).catch((error: unknown) => {
      fail(res, error, next)
    })
  }
  if (guard === undefined) return listener
  return function guardedRequestListener(req, res, next) {
    const verdict = guard.check(guardedRequest(req))
    if (verdict instanceof Promise) {
      verdict.then(
        (refusal) => {
          if (refusal === undefined) listener(req, res, next)
          else refuse(req, res, refusal)
        },
        (error: unknown) => {
          fail(res, error, next)
        },
      )
      return
    }
    if (verdict === undefined) listener(req, res, next)
    else refuse(req, res, verdict)
  }
}

/** {@link createRequestListener}'s options: the static ones, and an access guard. */
export interface RequestListenerOptions extends StaticOptions {
  /**
   * Checked before anything is served, live-reload paths included (the Host check against DNS
   * rebinding, for one); a refusal is answered with its error page, never passed to `next()`.
   * On HTTP/2, `:authority` is the Host. Default none.
   */
  readonly accessGuard?: AccessGuard | undefined
}

/** The request as the guard reads it; on HTTP/2 the `:authority` pseudo-header is the Host. */
function guardedRequest(req: IncomingMessage): GuardedRequest {
  const headers = req.headers
  const socket = req.socket as IncomingMessage['socket'] | undefined
  return {
    command: req.method ?? 'GET',
    headers: {
      get(name) {
        const value = name === 'host' ? (headers[':authority'] ?? headers.host) : headers[name]
        return Array.isArray(value) ? value.join(', ') : value
      },
    },
    clientAddress: [socket?.remoteAddress ?? '', socket?.remotePort ?? 0],
    connection: socket ?? {},
  }
}

function refuse(req: IncomingMessage, res: ServerResponse, refusal: Refusal): void {
  sendErrorPage(res, req.method ?? 'GET', refusal.status, refusal.message, refusal.headers, refusal.explain)
}

/** `req.headers` (lower-case keys; arrays only for `set-cookie`) as the core reads headers. */
function headerReader(req: IncomingMessage): RequestHeaders {
  const headers = req.headers
  return {
    get(name) {
      const value = headers[name]
      return Array.isArray(value) ? value.join(', ') : value
    },
  }
}

async function serve(
  core: StaticCore,
  req: IncomingMessage,
  res: ServerResponse,
  method: 'GET' | 'HEAD',
  next: NextFunction | undefined,
): Promise<void> {
  const target = req.url ?? '/'
  // Express and Connect strip a mount path from req.url and keep the full one in originalUrl.
  const original = (req as { originalUrl?: unknown }).originalUrl
  const publicTarget = typeof original === 'string' ? original : target
  const headers = headerReader(req)
  let plan = await core.plan({ method, target, publicTarget, headers })
  if (plan.kind === 'listing') plan = await core.listDirectory(plan.path, publicTarget, headers)
  await send(plan, res, method, next)
}

async function send(plan: StaticPlan, res: ServerResponse, method: string, next: NextFunction | undefined): Promise<void> {
  if (plan.kind === 'listing') throw new Error('a listing plan is answered by listDirectory()')
  if (plan.kind === 'refuse') {
    if (next !== undefined && plan.status !== 412) {
      next()
      return
    }
    sendErrorPage(res, method, plan.status, plan.message, [], plan.explain)
    return
  }
  const body = plan.body
  try {
    if (res.headersSent) {
      // Someone answered already; there is nothing left to do but not make it worse.
      return
    }
    res.statusCode = plan.status
    const seen = new Set<string>()
    for (const [name, value] of plan.headers) {
      const key = name.toLowerCase()
      if (seen.has(key)) res.appendHeader(name, value)
      else res.setHeader(name, value)
      seen.add(key)
    }
    if (body === undefined || method === 'HEAD') {
      res.end()
      return
    }
    const whole = body.buffer
    if (whole !== undefined) {
      // Small bodies leave with the head in one write.
      res.end(whole)
      return
    }
    await sendBody(res, body)
  } finally {
    await body?.close()
  }
}

/** CPython's error page (`send_error`), on a `ServerResponse`: the message is the reason phrase. */
function sendErrorPage(
  res: ServerResponse,
  method: string,
  status: number,
  message: string | undefined,
  headers: readonly (readonly [string, string])[],
  explain?: string,
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const [phrase, description] = RESPONSES[status] ?? ['???', '???']
  const reason = message ?? phrase
  const page = DEFAULT_ERROR_MESSAGE.replace('%(code)d', String(status))
    .replace('%(message)s', htmlEscape(reason, false))
    .replace('%(code)s', String(status))
    .replace('%(explain)s', htmlEscape(explain ?? description, false))
  const body = Buffer.from(page, 'utf8')
  res.statusCode = status
  // HTTP/2 has no reason phrase (RFC 9113 §8.3.2); Node's compatibility response warns if set.
  if (!('stream' in res)) res.statusMessage = reason
  for (const [name, value] of headers) res.setHeader(name, value)
  res.setHeader('Content-Type', DEFAULT_ERROR_CONTENT_TYPE)
  res.setHeader('Content-Length', String(body.length))
  res.end(method === 'HEAD' ? undefined : body)
}

function fail(res: ServerResponse, error: unknown, next: NextFunction | undefined): void {
  if (next !== undefined && !res.headersSent) {
    next(error)
    return
  }
  if (res.headersSent) {
    res.destroy()
    return
  }
  sendErrorPage(res, 'GET', 500, undefined, [])
}
