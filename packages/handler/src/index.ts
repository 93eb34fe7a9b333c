/**
 * `@simplehttp/handler`: CPython's `BaseHTTPRequestHandler` for `node:net` sockets.
 * @module
 */

// The handler
export { BaseHTTPRequestHandler, DEFAULT_ERROR_CONTENT_TYPE, DEFAULT_ERROR_MESSAGE } from './handler.js'
export type { ClientAddress, LogStream, ServerInfo } from './handler.js'

// Access rules checked before dispatch (Host, Origin, HTTP Basic)
export { AccessGuard, parseHtpasswd } from './guard.js'
export type { AccessGuardOptions, Credential, GuardedRequest, Refusal } from './guard.js'

// Request body and response stream
export { RequestBody } from './request-body.js'
export { ResponseWriter } from './response-writer.js'

// Status table
export { RESPONSES } from './status.js'
export type { ResponseTable } from './status.js'

// Errors
export { HANDLER_ERRORS, HandlerError } from './errors.js'
export { SimpleHTTPError, isSimpleHTTPError } from '@simplehttp/parser'
export type { HandlerErrorCode } from './errors.js'

// Helpers for subclasses that write CPython-compatible text
export { escapeLogText, htmlEscape, httpDate } from './internal/format.js'
/** Python's `repr()` of a string, as CPython's messages quote values (from `@simplehttp/parser`). */
export { pyRepr } from '@simplehttp/parser'
