/**
 * The `simplehttp` app: nothing but wiring. `@simplehttp/cli` parses the command line and runs
 * `@simplehttp/server` with the handler class chosen here. Flags are declared once, in the CLI's
 * option table, with the option each one sets; this file only picks the class, hands each
 * class the options the table routes to it, and builds the few objects a flag stands for (the
 * live-reload watcher, the HTTP/2 listener).
 * @module
 */
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import { createRequire } from 'node:module'
import { optionsFor, run, type HTTP2RequestListener, type HandlerClass, type HandlerSettings } from '@simplehttp/cli'
import { HTTPServer } from '@simplehttp/server'
import { LiveReload, SimpleHTTPRequestHandler, createRequestListener, type RequestListenerOptions } from '@simplehttp/static'

/** The app's version, from its package.json, read only when `--version` asks (start-up time, issue 13). */
function appVersion(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version
}

/** One watcher per directory for the life of the process (`--watch`). */
const watchers = new Map<string, LiveReload>()

/** The static options for these settings, with the live-reload watcher when `--watch` asks for one. */
function staticOptions(settings: HandlerSettings): ReturnType<typeof optionsFor<'handler'>> & { liveReload?: LiveReload } {
  const options = optionsFor(settings, 'handler')
  if (!settings.watch) return options
  let live = watchers.get(settings.directory)
  if (live === undefined) {
    live = new LiveReload(settings.directory, { dotfiles: settings.dotfiles }).start()
    watchers.set(settings.directory, live)
  }
  return { ...options, liveReload: live }
}

/**
 * `SimpleHTTPRequestHandler`; `CGIHTTPRequestHandler` with `--cgi`; `DAVRequestHandler` with
 * `--upload`, `--delete` or `--webdav` (the CLI refuses `--cgi` with those), configured from the
 * flags. The CGI and dav packages (and their dependencies) are loaded only when a flag asks for
 * them: start-up time goes to what the first request needs.
 */
export async function handlerFor(settings: HandlerSettings): Promise<HandlerClass> {
  if (settings.cgi) {
    const { CGIHTTPRequestHandler } = await import('@simplehttp/cgi')
    return CGIHTTPRequestHandler.withOptions(staticOptions(settings)).withCGIOptions(optionsFor(settings, 'cgi'))
  }
  if (settings.upload || settings.delete || settings.webdav) {
    const { DAVRequestHandler } = await import('@simplehttp/dav')
    return DAVRequestHandler.withOptions({ ...staticOptions(settings), ...optionsFor(settings, 'dav') })
  }
  return SimpleHTTPRequestHandler.withOptions(staticOptions(settings))
}

/**
 * `--http2`: the same files, listings and headers as the handler class, answered through
 * `createRequestListener()` on Node's HTTP/2 compatibility API. CGI stays HTTP/1.1-only.
 */
export function http2For(settings: HandlerSettings, accessGuard?: RequestListenerOptions['accessGuard']): HTTP2RequestListener {
  const serve = createRequestListener(settings.directory, { ...staticOptions(settings), accessGuard })
  // The handler class's serverVersion and sysVersion, as its Server header spells them.
  const serverHeader = `SimpleHTTP/0.6 Node.js/${process.versions.node}`
  return (request, response) => {
    response.setHeader('Server', serverHeader)
    // The same access log line as HTTP/1.1 requests get from the handler class (unless -q).
    if (!settings.quiet) {
      response.once('finish', () => {
        logHTTP2Request(request, response)
      })
    }
    serve(request as never, response as never)
  }
}

/** CPython's `log_request` line for an HTTP/2 request, control characters escaped as CPython does. */
function logHTTP2Request(request: Http2ServerRequest, response: Http2ServerResponse): void {
  const requestLine = `${request.method} ${request.url} HTTP/2.0`.replace(
    // eslint-disable-next-line no-control-regex -- exactly the characters CPython escapes in log lines
    /[\x00-\x1f\x7f-\x9f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
  const address = request.socket.remoteAddress ?? '-'
  const when = SimpleHTTPRequestHandler.prototype.logDateTimeString()
  process.stderr.write(`${address} - - [${when}] "${requestLine}" ${String(response.statusCode)} -\n`)
}

/** What the executable (`bin/simplehttp.cjs`) may ask of a run. */
export interface MainHooks {
  /** Called once the server listens and its banner is out: the executable saves its compile cache after this. */
  readonly onServing?: (() => void) | undefined
}

/** Run `simplehttp` with these arguments; resolves to the exit code. */
export function main(argv: readonly string[], hooks: MainHooks = {}): Promise<number> {
  return run(argv, {
    onServing: hooks.onServing,
    Server: HTTPServer,
    handlerFor,
    http2For,
    stdout: process.stdout,
    stderr: process.stderr,
    get version() {
      return appVersion()
    },
  })
}
