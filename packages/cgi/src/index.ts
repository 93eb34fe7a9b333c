/**
 * `@simplehttp/cgi`: CPython's `CGIHTTPRequestHandler` (RFC 3875), safe by construction.
 * @module
 */

// The handler
export { CGIHTTPRequestHandler } from './handler.js'
export type { CGIOptions } from './handler.js'

// The pieces it is made of, for custom gateways
export { buildCGIEnvironment, INHERITED_VARIABLES } from './environment.js'
export type { CGIRequestInfo } from './environment.js'
export { readScriptHead } from './script-output.js'
export type { ScriptHead, ScriptHeadProblem } from './script-output.js'
export { urlCollapsePath } from './url-collapse.js'

// Errors
export { CGI_ERRORS, CGIError } from './errors.js'
export { SimpleHTTPError, isSimpleHTTPError } from '@simplehttp/parser'
export type { CGIErrorCode } from './errors.js'
