/**
 * `serveStatic(root, options)`: a drop-in for Express's `express.static()` / serve-static 2.x
 * (its options, defaults, errors and headers) on the same core as `SimpleHTTPRequestHandler`.
 * @module
 */
import { statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import path from 'node:path'
import { StaticError } from './errors.js'
import type { RequestHeaders } from './internal/conditional.js'
import { sendBody } from './internal/node-response.js'
import { StaticCore, type StaticHooks, type StaticPlan } from './internal/core.js'
import { serveLiveReload } from './live-reload.js'
import type { HeaderPair } from './options.js'
import { resolveServeStaticOptions, type ResolvedServeStaticOptions, type ServeStaticOptions } from './serve-static-options.js'

/** Express/Connect's `next`: no argument to pass the request on, an error to report one. */
export type NextFunction = (error?: unknown) => void

/** What `serveStatic()` returns: Express/Connect middleware, and a `node:http` request listener. */
export type StaticMiddleware = (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => void

/** What `serveStatic()` hands to `next(err)`: serve-static's `http-errors` shape on a {@link StaticError}. */
export interface NotServedError extends StaticError {
  readonly code: 'SH_ERR_STATIC_NOT_SERVED'
  /** 400, 403, 404, 412 or 416. */
  readonly status: number
  /** The same as `status`. */
  readonly statusCode: number
  /** Always `true`: the message is safe to show. */
  readonly expose: true
  /** Headers the error response should carry (`Content-Range` on a 416). */
  readonly headers: Readonly<Record<string, string>> | undefined
}

/**
 * Serve files under `root` from Express, Connect or `node:http`, with serve-static's options
 * and behaviour: `Cache-Control`, `charset=utf-8` on text types, fallthrough to `next()`, the
 * trailing-slash redirect. Underneath it is the handler class's core: strong ETags, multipart
 * ranges, precompressed siblings, no file outside the root.
 *
 * Without a `next` (a bare `node:http` listener) it answers what it cannot serve itself, with
 * the status serve-static would have passed on.
 *
 * @example
 * app.use('/static', serveStatic('public', { maxAge: '1d', extensions: ['html'] }))
 *
 * @example
 * http.createServer(serveStatic('public')).listen(8000)
 */
export function serveStatic(root: string, options?: ServeStaticOptions): StaticMiddleware {
  if (!root) throw new TypeError('root path required')
  if (typeof root !== 'string') throw new TypeError('root path must be a string')
  const settings = resolveServeStaticOptions(options)
  const core = new StaticCore(path.resolve(root), settings.core)
  const guessType = contentTypes()
  const hooks: StaticHooks = { guessType }
  const hidden = hiddenHeaders(settings)
  const hiddenWhenKept = new Set([...(hidden ?? []), ...UNCACHEABLE_WHEN_KEPT])
  const live = settings.core.liveReload
  return function serveStaticMiddleware(req, res, next) {
    if (live !== undefined && serveLiveReload(live, req, res)) return
    const method = req.method
    if (method !== 'GET' && method !== 'HEAD') {
      if (settings.fallthrough && next !== undefined) {
        next()
        return
      }
      res.statusCode = 405
      res.setHeader('Allow', 'GET, HEAD')
      res.setHeader('Content-Length', '0')
      res.end()
      return
    }
    // A status set earlier (a 404 page served through us) is kept, and then nothing is a 304.
    const earlier = res.statusCode
    const kept = earlier < 200 || earlier >= 300 ? earlier : undefined
    const target = req.url ?? '/'
    // Express and Connect strip a mount path from req.url and keep the full one in originalUrl.
    const original = (req as { originalUrl?: unknown }).originalUrl
    const publicTarget = typeof original === 'string' ? original : target
    const headers = new NodeHeaders(req, kept === undefined ? hidden : hiddenWhenKept)
    const reply: Reply = { req, res, next, method, settings, kept, file: undefined, core, hooks, target, publicTarget }
    // setHeaders(res, path, stat) is told the file chosen: only then is the core asked for it.
    if (settings.setHeaders !== undefined) reply.hooks = { guessType, onFile: (p) => (reply.file = p) }
    const requestHooks = reply.hooks
    let plan: StaticPlan | Promise<StaticPlan>
    let pending: Promise<void> | undefined
    try {
      plan = core.plan({ method, target, publicTarget, headers }, requestHooks)
      // Most answers (a 304, a HEAD, a small file from memory, an error) are planned and sent
      // without a promise: each one here would be a trip through the microtask queue.
      pending = plan instanceof Promise ? plan.then((p) => answer(p, reply)) : answer(plan, reply)
    } catch (error) {
      fail(res, error, next)
      return
    }
    pending?.catch((error: unknown) => {
      fail(res, error, next)
    })
  }
}

/** One request in flight. */
interface Reply {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly next: NextFunction | undefined
  readonly method: 'GET' | 'HEAD'
  readonly settings: ResolvedServeStaticOptions
  readonly kept: number | undefined
  /** The file chosen (told only when `setHeaders` needs it). */
  file: string | undefined
  readonly core: StaticCore
  hooks: StaticHooks
  readonly target: string
  readonly publicTarget: string
}

let mimeContentType: ((extension: string) => string | false) | undefined

/** `mime-types`' `contentType`, loaded on first use: importing the package must not load mime-db (cold start). */
function contentTypeOf(extension: string): string | false {
  mimeContentType ??= (createRequire(import.meta.url)('mime-types') as { contentType: (extension: string) => string | false }).contentType
  return mimeContentType(extension)
}

/** send's type lookup (`mime-types`' `contentType`, so text types say `charset=utf-8`), per extension. */
function contentTypes(): (p: string) => string {
  const known = new Map<string, string>()
  return (p) => {
    const ext = path.extname(p)
    let type = known.get(ext)
    if (type === undefined) {
      type = (ext === '' ? false : contentTypeOf(ext)) || 'application/octet-stream'
      if (known.size < 1024) known.set(ext, type)
    }
    return type
  }
}

/**
 * Under a status kept from earlier middleware nothing is a 304 (send answers 304 only to a
 * 2xx). A Range still gets its 206, and If-Match its 412, as in send.
 */
const UNCACHEABLE_WHEN_KEPT: readonly string[] = ['if-none-match', 'if-modified-since']

/** Request headers the core must not see because an option turned their feature off. */
function hiddenHeaders(settings: ResolvedServeStaticOptions): ReadonlySet<string> | undefined {
  const hidden = new Set<string>()
  if (!settings.acceptRanges) hidden.add('range').add('if-range')
  if (!settings.etag) hidden.add('if-none-match').add('if-match')
  if (!settings.lastModified) hidden.add('if-modified-since').add('if-unmodified-since')
  return hidden.size === 0 ? undefined : hidden
}

/** `req.headers` (lower-case keys; arrays only for `set-cookie`) as the core reads headers. */
class NodeHeaders implements RequestHeaders {
  readonly #headers: IncomingMessage['headers']
  readonly #hidden: ReadonlySet<string> | undefined

  constructor(req: IncomingMessage, hidden: ReadonlySet<string> | undefined) {
    this.#headers = req.headers
    this.#hidden = hidden
  }

  get(name: string): string | undefined {
    if (this.#hidden?.has(name)) return undefined
    const value = this.#headers[name]
    return Array.isArray(value) ? value.join(', ') : value
  }
}

function headerReader(req: IncomingMessage, hidden: ReadonlySet<string> | undefined): RequestHeaders {
  return new NodeHeaders(req, hidden)
}

/** Send what the plan says. A promise only when something is left to wait for (a listing, a stream). */
function answer(plan: StaticPlan, reply: Reply): Promise<void> | undefined {
  const { settings } = reply
  if (plan.kind === 'listing') {
    // serve-static has no listings: a directory URL without an index page is not found, unless
    // our `listing` option asks for one.
    if (settings.core.listing === 'off') {
      notServed(reply, 404, !settings.fallthrough)
      return undefined
    }
    return answerListing(plan.path, reply)
  }
  if (plan.kind === 'refuse') {
    let status: number = plan.status
    if (plan.reason === 'traversal') status = 403
    else if (plan.reason === 'dotfile' && settings.dotfiles === 'deny') status = 403
    // A 412 comes after the file was found, and serve-static forwards every error from then on.
    if (status === 412) return notServedAfterFile(reply, 412, undefined)
    // A folder too large to archive, or too many downloads at once: this server's answer, not
    // "not here" for the next middleware.
    if (plan.reason === 'archive-too-large' || plan.reason === 'archives-busy') notServed(reply, status, true)
    else notServed(reply, status, !settings.fallthrough)
    return undefined
  }
  if (plan.status === 301) {
    if (!settings.redirect) notServed(reply, 404, !settings.fallthrough)
    else sendRedirect(reply, plan.headers)
    return undefined
  }
  if (plan.status === 416) {
    const range = plan.headers.find(([name]) => name === 'Content-Range')
    return notServedAfterFile(reply, 416, range === undefined ? undefined : { 'Content-Range': range[1] })
  }
  return sendFile(reply, plan)
}

async function answerListing(dirPath: string, reply: Reply): Promise<void> {
  const listed = await reply.core.listDirectory(dirPath, reply.publicTarget, headerReader(reply.req, undefined))
  if (listed.kind === 'listing') throw new Error('listDirectory() returned a listing plan')
  await answer(listed, reply)
}

/** What the core must not see to plan the plain 200 head of a file that got a 412 or 416. */
const HIDDEN_FOR_HEAD: ReadonlySet<string> = new Set([
  'if-match', 'if-unmodified-since', 'if-none-match', 'if-modified-since', 'range', 'if-range',
])

/**
 * A 412 or 416: send had set the file's headers (and run `setHeaders`) before it found out, and
 * they stay on the response `next(err)` gets. Plan the file's plain head to set the same ones.
 */
async function notServedAfterFile(reply: Reply, status: 412 | 416, headers: Record<string, string> | undefined): Promise<void> {
  const { res, settings } = reply
  if (reply.next !== undefined && !res.headersSent) {
    const request = { method: 'HEAD' as const, target: reply.target, publicTarget: reply.publicTarget, headers: headerReader(reply.req, HIDDEN_FOR_HEAD) }
    const head = await reply.core.plan(request, reply.hooks)
    if (head.kind === 'send' && head.status === 200) {
      const file = reply.file
      if (settings.setHeaders !== undefined && file !== undefined) settings.setHeaders(res, file, statSync(file))
      setFileHeaders(reply, head.headers, 200, true)
    }
  }
  notServed(reply, status, true, headers)
}

/**
 * The plan's headers on `res`, the way send sets them: what `setHeaders` (or earlier
 * middleware) set is kept, and options that are off leave theirs out. `validatorsOnly` sets
 * just the headers send sets before a 412 or 416.
 */
function setFileHeaders(reply: Reply, headers: readonly HeaderPair[], status: number, validatorsOnly: boolean): void {
  const { res, settings } = reply
  const keepTheirs = status !== 206
  // Names set by this loop, for headers the plan repeats (extra headers); made only when needed.
  let seen: Set<string> | undefined
  for (const [name, value] of headers) {
    switch (name) {
      case 'Content-type':
        if (!(keepTheirs && res.hasHeader('content-type'))) res.setHeader('Content-Type', value)
        continue
      case 'Last-Modified':
        if (settings.lastModified && !res.hasHeader(name)) res.setHeader(name, value)
        continue
      case 'ETag':
        if (settings.etag && !res.hasHeader(name)) res.setHeader(name, value)
        continue
      case 'Accept-Ranges':
        if (settings.acceptRanges && !res.hasHeader(name)) res.setHeader(name, value)
        continue
    }
    if (validatorsOnly) continue
    const key = name.toLowerCase()
    // RFC 9113 §8.2.2: HTTP/2 has no connection-specific fields (the stream's end ends the body).
    if (key === 'connection' && 'stream' in res) continue
    seen ??= new Set()
    if (seen.has(key)) res.appendHeader(name, value)
    else res.setHeader(name, value)
    seen.add(key)
  }
  if (settings.cacheControl !== undefined && !res.hasHeader('cache-control')) res.setHeader('Cache-Control', settings.cacheControl)
}

/** Pass the request on (`next()`), report it (`next(err)`), or without `next` answer the error. */
function notServed(reply: Reply, status: number, forward: boolean, headers?: Record<string, string>): void {
  const { next, res } = reply
  if (next !== undefined) {
    next(forward ? notServedError(status, headers) : undefined)
    return
  }
  sendErrorDocument(res, reply.method, status, headers)
}

function notServedError(status: number, headers: Record<string, string> | undefined): NotServedError {
  const error = new StaticError('SH_ERR_STATIC_NOT_SERVED', STATUS_CODES[status] ?? String(status))
  return Object.assign(error, { status, statusCode: status, expose: true as const, headers }) as NotServedError
}

/** send's minimal HTML page (`title`, then `body` in a `<pre>`). */
function htmlDocument(title: string, body: string): Buffer {
  return Buffer.from(
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n</head>\n<body>\n<pre>${body}</pre>\n</body>\n</html>\n`,
    'utf8',
  )
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string)
}

/** Characters a URL may hold as they are, and `%` only before two hex digits (the `encodeurl` package's set). */
const NOT_URL_SAFE = /(?:[^\x21\x23-\x3B\x3D\x3F-\x5F\x61-\x7A\x7C\x7E]|%(?:[^0-9A-Fa-f]|[0-9A-Fa-f][^0-9A-Fa-f]|$))+/g

/**
 * Percent-encode what may not stand in a URL, leaving escapes already there alone, as serve-static
 * does to its redirect: a query's `"`, `<` and `>` reach the `Location` header (and the page) encoded.
 */
function encodeUrl(url: string): string {
  return url.replace(NOT_URL_SAFE, (run) => {
    try {
      return encodeURI(run)
    } catch {
      // A lone surrogate: encode it as U+FFFD, as encodeurl does.
      return encodeURI(run.replace(/[\uD800-\uDFFF]/g, '\uFFFD'))
    }
  })
}

/** The trailing-slash redirect as serve-static sends it: 301, a small page, no sniffing, no scripts. */
function sendRedirect(reply: Reply, headers: readonly HeaderPair[]): void {
  const { res, method } = reply
  if (res.headersSent) return
  let location = '/'
  for (const [name, value] of headers) if (name === 'Location') location = encodeUrl(value)
  const page = htmlDocument('Redirecting', `Redirecting to ${escapeHtml(location)}`)
  res.statusCode = 301
  res.setHeader('Content-Type', 'text/html; charset=UTF-8')
  res.setHeader('Content-Length', String(page.length))
  res.setHeader('Content-Security-Policy', "default-src 'none'")
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Location', location)
  for (const [name, value] of headers) {
    if (name !== 'Location' && name !== 'Content-Length') res.appendHeader(name, value)
  }
  res.end(method === 'HEAD' ? undefined : page)
}

/** send's error page, for when there is no `next` to hand the status to. */
function sendErrorDocument(res: ServerResponse, method: string, status: number, headers?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const page = htmlDocument('Error', escapeHtml(STATUS_CODES[status] ?? String(status)))
  for (const name of res.getHeaderNames()) res.removeHeader(name)
  if (headers !== undefined) for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
  res.statusCode = status
  res.setHeader('Content-Type', 'text/html; charset=UTF-8')
  res.setHeader('Content-Length', String(page.length))
  res.setHeader('Content-Security-Policy', "default-src 'none'")
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.end(method === 'HEAD' ? undefined : page)
}

/** Headers a 304 must not carry (RFC 9110 §15.4.5), in case `setHeaders` set them. */
const CONTENT_HEADERS = ['Content-Type', 'Content-Length', 'Content-Encoding', 'Content-Range', 'Content-Language']

/** The file's answer; synchronous unless a body has to be streamed. */
function sendFile(reply: Reply, plan: Extract<StaticPlan, { kind: 'send' }>): Promise<void> | undefined {
  const { res, method, settings } = reply
  const body = plan.body
  let streaming: Promise<void> | undefined
  try {
    if (res.headersSent) {
      // Someone answered already; there is nothing left to do but not make it worse.
      return undefined
    }
    const setHeaders = settings.setHeaders
    if (setHeaders !== undefined) {
      const file = reply.file
      if (file !== undefined) setHeaders(res, file, statSync(file))
    }
    const status = plan.status === 200 && reply.kept !== undefined ? reply.kept : plan.status
    res.statusCode = status
    // Headers set by setHeaders (or earlier middleware) win over the defaults, as in send.
    setFileHeaders(reply, plan.headers, status, false)
    if (status === 304 && setHeaders !== undefined) for (const name of CONTENT_HEADERS) res.removeHeader(name)
    if (body === undefined || method === 'HEAD') {
      res.end()
      return undefined
    }
    const whole = body.buffer
    if (whole !== undefined) {
      // Small bodies leave with the head in one write.
      res.end(whole)
      return undefined
    }
    streaming = sendBody(res, body)
  } finally {
    // A body in memory (or none) is released at once; a stream once it is sent.
    if (streaming === undefined) void body?.close()
  }
  return streaming.finally(() => body.close())
}

/** Unexpected errors: `next(error)` as Express expects, else a 500 (or a cut connection mid-body). */
function fail(res: ServerResponse, error: unknown, next: NextFunction | undefined): void {
  if (next !== undefined && !res.headersSent) {
    next(error)
    return
  }
  if (res.headersSent) {
    res.destroy()
    return
  }
  sendErrorDocument(res, 'GET', 500)
}
