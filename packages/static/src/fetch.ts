/**
 * `createFetchHandler(root, options)`: the same core as `SimpleHTTPRequestHandler`, for runtimes
 * and routers built on the web-standard `Request`/`Response` (Bun, Deno, Hono, `@hono/node-server`).
 * @module
 */
import path from 'node:path'
import { DEFAULT_ERROR_CONTENT_TYPE, DEFAULT_ERROR_MESSAGE, RESPONSES, htmlEscape } from '@simplehttp/handler'
import { StaticError } from './errors.js'
import type { BodyWriter, ResponseBody } from './response-body.js'
import type { RequestHeaders } from './internal/conditional.js'
import { StaticCore, type StaticPlan } from './internal/core.js'
import { resolveOptions, type StaticOptions } from './options.js'

/**
 * What `createFetchHandler()` takes: the handler class's options (but `liveReload`, whose event
 * stream needs a socket of its own), plus two for routers.
 */
export interface FetchHandlerOptions extends Omit<StaticOptions, 'liveReload'> {
  /**
   * Resolve to `undefined` instead of a 404 (and instead of a 405 for other methods), so a
   * router can try its next route. Default `false`.
   */
  readonly fallthrough?: boolean
  /**
   * A path prefix the files are served under (`'/static'`): it is taken off the URL path before
   * the file is looked up, and requests outside it are not found. Default: none.
   */
  readonly prefix?: string
}

/** What `createFetchHandler()` returns. */
export type FetchHandler = (request: Request) => Promise<Response | undefined>

/**
 * Serve files under `root` to web-standard `Request`s: ranges and multipart ranges, strong
 * ETags with 304/412, precompressed siblings, CPython's listings and error pages, nothing
 * outside the root. Bodies of files not in the memory cache stream from the open file.
 *
 * @example
 * const handle = createFetchHandler('public')
 * Bun.serve({ fetch: async (request) => (await handle(request)) ?? new Response('no', { status: 404 }) })
 */
export function createFetchHandler(root: string, options: FetchHandlerOptions = {}): FetchHandler {
  if (!root) throw new TypeError('root path required')
  if (typeof root !== 'string') throw new TypeError('root path must be a string')
  const fallthrough = options.fallthrough === true
  const prefix = normalizePrefix(options.prefix)
  if ((options as { liveReload?: unknown }).liveReload !== undefined) {
    throw new StaticError('SH_ERR_STATIC_INVALID_OPTION', 'invalid option liveReload.\nExpected no liveReload (createFetchHandler does not serve its event stream), but got: a LiveReload')
  }
  const core = new StaticCore(path.resolve(root), resolveOptions(options))
  return async function fetchHandler(request) {
    const method = request.method
    if (method !== 'GET' && method !== 'HEAD') {
      if (fallthrough) return undefined
      return errorResponse(method, 405, undefined, undefined, [['Allow', 'GET, HEAD']])
    }
    const publicTarget = originForm(request.url)
    let target = publicTarget
    if (prefix !== undefined) {
      const rest = underPrefix(publicTarget, prefix)
      if (rest === undefined) return fallthrough ? undefined : errorResponse(method, 404, 'File not found', undefined)
      target = rest
    }
    const headers = request.headers
    const reader: RequestHeaders = { get: (name) => headers.get(name) ?? undefined }
    let plan = await core.plan({ method, target, publicTarget, headers: reader })
    if (plan.kind === 'listing') plan = await core.listDirectory(plan.path, publicTarget, reader)
    return toResponse(plan, method, fallthrough)
  }
}

function normalizePrefix(value: unknown): string | undefined {
  if (value === undefined || value === '' || value === '/') return undefined
  if (typeof value !== 'string' || !value.startsWith('/') || value.includes('?') || value.includes('#')) {
    throw new StaticError('SH_ERR_STATIC_INVALID_OPTION', `invalid option prefix.\nExpected a path starting with "/", but got: ${typeof value === 'string' ? JSON.stringify(value) : typeof value}`)
  }
  return value.endsWith('/') ? value.slice(0, -1) : value
}

/** `https://host/a/b?q` → `/a/b?q` (a `Request`'s URL is always absolute). */
function originForm(url: string): string {
  const scheme = url.indexOf('://')
  const slash = scheme === -1 ? url.indexOf('/') : url.indexOf('/', scheme + 3)
  if (slash === -1) return '/'
  const hash = url.indexOf('#', slash)
  return hash === -1 ? url.slice(slash) : url.slice(slash, hash)
}

/** The target without `prefix`, or `undefined` when it is not under it (`/staticx` is not under `/static`). */
function underPrefix(target: string, prefix: string): string | undefined {
  if (!target.startsWith(prefix)) return undefined
  const rest = target.slice(prefix.length)
  if (rest === '') return '/'
  const c = rest.charCodeAt(0)
  if (c === 0x2f /* / */) return rest
  if (c === 0x3f /* ? */) return '/' + rest
  return undefined
}

function toResponse(plan: StaticPlan, method: 'GET' | 'HEAD', fallthrough: boolean): Response | undefined {
  if (plan.kind === 'listing') throw new Error('a listing plan is answered by listDirectory()')
  if (plan.kind === 'refuse') {
    if (fallthrough && plan.status === 404) return undefined
    return errorResponse(method, plan.status, plan.message, plan.explain)
  }
  const headers = new Headers()
  for (const [name, value] of plan.headers) headers.append(name, value)
  const body = plan.body
  const status = plan.status
  if (body === undefined || method === 'HEAD') {
    void body?.close()
    return new Response(null, { status, headers })
  }
  const whole = body.buffer
  if (whole !== undefined) {
    void body.close()
    return new Response(whole, { status, headers })
  }
  return new Response(streamOf(body), { status, headers })
}

/**
 * The body as a `ReadableStream` that reads the file a chunk at a time as the consumer pulls:
 * at most one chunk waits in the stream, and cancelling stops the reads and releases the file.
 */
function streamOf(body: ResponseBody): ReadableStream<Uint8Array> {
  let resume: (() => void) | undefined
  let cancelled = false
  const wake = (): void => {
    const waiting = resume
    resume = undefined
    waiting?.()
  }
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const out: BodyWriter = {
          write(chunk) {
            if (cancelled) return Promise.reject(cancelledError())
            controller.enqueue(chunk)
            if ((controller.desiredSize ?? 0) > 0) return undefined
            return new Promise<void>((resolve) => {
              resume = resolve
            })
          },
        }
        body
          .writeTo(out)
          .then(
            () => {
              if (!cancelled) controller.close()
            },
            (error: unknown) => {
              // A file that shrank mid-body: the announced length cannot be met, so the stream errors.
              if (!cancelled) controller.error(error)
            },
          )
          .finally(() => void body.close())
      },
      pull: wake,
      cancel() {
        cancelled = true
        wake()
      },
    },
    { highWaterMark: 1 },
  )
}

function cancelledError(): StaticError {
  return new StaticError('SH_ERR_STATIC_RESPONSE_CLOSED', 'the response body was cancelled before it was sent')
}

/** CPython's error page (`send_error`) as a `Response`: the message is the reason phrase. */
function errorResponse(
  method: string,
  status: number,
  message: string | undefined,
  explain: string | undefined,
  extra: readonly (readonly [string, string])[] = [],
): Response {
  const [phrase, description] = RESPONSES[status] ?? ['???', '???']
  const reason = message ?? phrase
  const page = DEFAULT_ERROR_MESSAGE.replace('%(code)d', String(status))
    .replace('%(message)s', htmlEscape(reason, false))
    .replace('%(code)s', String(status))
    .replace('%(explain)s', htmlEscape(explain ?? description, false))
  const body = Buffer.from(page, 'utf8')
  const headers = new Headers(extra.map(([n, v]) => [n, v]))
  headers.set('Content-Type', DEFAULT_ERROR_CONTENT_TYPE)
  headers.set('Content-Length', String(body.length))
  return new Response(method === 'HEAD' ? null : body, { status, statusText: reason, headers })
}
