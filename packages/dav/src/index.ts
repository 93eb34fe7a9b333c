/**
 * `@simplehttp/dav`: uploads, delete and WebDAV class 1 on top of `@simplehttp/static`.
 * @module
 */

// The handler
export { DAVRequestHandler } from './handler.js'

// Options
export { DEFAULT_MAX_UPLOAD, parseSize } from './options.js'
export type { DAVHandlerOptions, DAVOptions, OnDuplicate } from './options.js'

// Errors
export { DAV_ERRORS, DAVError } from './errors.js'
export { SimpleHTTPError, isSimpleHTTPError } from '@simplehttp/handler'
export type { DAVErrorCode } from './errors.js'
