/**
 * `@simplehttp/static`: CPython's `SimpleHTTPRequestHandler` for `@simplehttp/handler`, and the
 * same file server as `serveStatic()` for `node:http`, Express and Connect.
 * @module
 */

// The CPython-style handler
export { SimpleHTTPRequestHandler } from './handler.js'

// The node:http / Express / Connect adapter
export { serveStatic } from './serve-static.js'
export type { NextFunction, StaticMiddleware } from './serve-static.js'

// Live reload
export { LiveReload, serveLiveReload } from './live-reload.js'
export type { ChangeEvent, LiveReloadClient, LiveReloadOptions } from './live-reload.js'

// The resolver: request-target → decoded path → file-system path → inside the root?
export { fromWire, isInside, isReservedName, resolveTarget, resolveUrlPath, Resolver, splitTarget } from './resolver.js'
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
export type { CompressOptions, HandlerOptions, HeaderPair, StaticOptions } from './options.js'

// Bodies, as returned by sendHead() and listDirectory() and written by copyFile()
export { ResponseBody } from './internal/body.js'
export type { BodyWriter } from './internal/body.js'

// MIME types
export { EXTENSIONS_MAP, guessType } from './internal/mime.js'

// Errors
export { STATIC_ERRORS, StaticError } from './errors.js'
export type { StaticErrorCode } from './errors.js'
