/**
 * The `simplehttp` app: nothing but wiring. `@simplehttp/cli` parses the command line and runs
 * `@simplehttp/server` with the handler class chosen here. Flags are declared once, in the CLI's
 * option table, with the option each one sets; this file only picks the class and hands each
 * class the options the table routes to it.
 * @module
 */
import { createRequire } from 'node:module'
import { CGIHTTPRequestHandler } from '@simplehttp/cgi'
import { optionsFor, run, type HandlerClass, type HandlerSettings } from '@simplehttp/cli'
import { HTTPServer } from '@simplehttp/server'
import { SimpleHTTPRequestHandler } from '@simplehttp/static'

const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

/** `SimpleHTTPRequestHandler`, or `CGIHTTPRequestHandler` with `--cgi`, configured from the flags. */
export function handlerFor(settings: HandlerSettings): HandlerClass {
  if (settings.cgi) {
    return CGIHTTPRequestHandler.withOptions(optionsFor(settings, 'handler')).withCGIOptions(optionsFor(settings, 'cgi'))
  }
  return SimpleHTTPRequestHandler.withOptions(optionsFor(settings, 'handler'))
}

/** Run `simplehttp` with these arguments; resolves to the exit code. */
export function main(argv: readonly string[]): Promise<number> {
  return run(argv, {
    Server: HTTPServer,
    handlerFor,
    stdout: process.stdout,
    stderr: process.stderr,
    version,
  })
}
