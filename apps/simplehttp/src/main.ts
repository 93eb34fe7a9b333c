/**
 * The `simplehttp` app: nothing but wiring. `@simplehttp/cli` parses the command line and runs
 * `@simplehttp/server` with the handler class chosen here.
 * @module
 */
import { createRequire } from 'node:module'
import { CGIHTTPRequestHandler } from '@simplehttp/cgi'
import { run, type HandlerClass, type HandlerOptions } from '@simplehttp/cli'
import { HTTPServer } from '@simplehttp/server'
import { SimpleHTTPRequestHandler } from '@simplehttp/static'

const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

/** `SimpleHTTPRequestHandler`, or `CGIHTTPRequestHandler` with `--cgi`, configured from the flags. */
export function handlerFor(options: HandlerOptions): HandlerClass {
  const Handler = options.cgi ? CGIHTTPRequestHandler : SimpleHTTPRequestHandler
  return Handler.withOptions({
    directory: options.directory,
    followSymlinks: options.followSymlinks,
    dotfiles: options.dotfiles,
    precompressed: options.precompressed,
    extraHeaders: options.extraHeaders,
  })
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
