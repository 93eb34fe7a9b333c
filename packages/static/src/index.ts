/**
 * `@simplehttp/static`: CPython's `SimpleHTTPRequestHandler` for `@simplehttp/handler`, and the
 * same file server as `serveStatic()` for Express, Connect and `node:http`, and as
 * `createFetchHandler()` for `Request`/`Response` runtimes.
 * @module
 */

// The CPython-style handler
export { SimpleHTTPRequestHandler } from './handler.js'

// The Express / Connect / node:http adapter (serve-static's options)
export { serveStatic } from './serve-static.js'
export type { NextFunction, NotServedError, StaticMiddleware } from './serve-static.js'
export type { ServeStaticOptions, SetHeaders } from './serve-static-options.js'

// CPython's behaviour as a node:http (and HTTP/2 compatibility API) request listener
export { createRequestListener } from './request-listener.js'
export type { RequestListenerOptions } from './request-listener.js'

// The fetch adapter (Request in, Response out: Bun, Deno, Hono)
export { createFetchHandler } from './fetch.js'
export type { FetchHandler, FetchHandlerOptions } from './fetch.js'

// Live reload
export { LiveReload, serveLiveReload } from './live-reload.js'
export type { ChangeEvent, LiveReloadClient, LiveReloadOptions } from './live-reload.js'

// The resolver: request-target → decoded path → file-system path → inside the root?
export {
  fromWire,
  fsArg,
  fsDecode,
  fsEncode,
  isAscii,
  isInside,
  isReservedName,
  resolveTarget,
  resolveUrlPath,
  Resolver,
  splitTarget,
} from './resolver.js'
export type {
  ReadTarget,
  ResolvedTarget,
  ResolveOptions,
  ResolveRefusal,
  ResolverOptions,
  TargetParts,
  TargetRefusal,
  WriteTarget,
} from './resolver.js'

// Options
export { INDEX_PAGES } from './options.js'
export type { ArchiveOptions, CompressOptions, HandlerOptions, HeaderPair, StaticOptions } from './options.js'

// Bodies, as returned by sendHead() and listDirectory() and written by copyFile()
export { ResponseBody } from './response-body.js'
export type { BodyWriter } from './response-body.js'

// MIME types
export { EXTENSIONS_MAP, guessType } from './mime.js'

// Errors
export { STATIC_ERRORS, StaticError } from './errors.js'
export { SimpleHTTPError, isSimpleHTTPError } from '@simplehttp/handler'
export type { StaticErrorCode } from './errors.js'
