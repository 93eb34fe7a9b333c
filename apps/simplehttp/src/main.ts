/**
 * The `simplehttp` app: nothing but wiring. `@simplehttp/cli` parses the command line and runs
 * `@simplehttp/server` with the handler class chosen here. Flags are declared once, in the CLI's
 * option table, with the option each one sets; this file only picks the class, hands each
 * class the options the table routes to it, and builds the few objects a flag stands for (the
 * live-reload watcher, the HTTP/2 listener).
 * @module
 */
import { createRequire } from 'node:module'
import { optionsFor, run, type HTTP2RequestListener, type HandlerClass, type HandlerSettings } from '@simplehttp/cli'
import { HTTPServer } from '@simplehttp/server'
import { LiveReload, SimpleHTTPRequestHandler, createRequestListener } from '@simplehttp/static'

const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

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
export function http2For(settings: HandlerSettings): HTTP2RequestListener {
  const serve = createRequestListener(settings.directory, staticOptions(settings))
  // The handler class's serverVersion and sysVersion, as its Server header spells them.
  const serverHeader = `SimpleHTTP/0.6 Node.js/${process.versions.node}`
  return (request, response) => {
    response.setHeader('Server', serverHeader)
    serve(request as never, response as never)
  }
}

/** Run `simplehttp` with these arguments; resolves to the exit code. */
export function main(argv: readonly string[]): Promise<number> {
  return run(argv, {
    Server: HTTPServer,
    handlerFor,
    http2For,
    stdout: process.stdout,
    stderr: process.stderr,
    version,
  })
}
