/**
 * `@simplehttp/parser`: incremental, strict HTTP/1.x request and response parsers with no
 * dependencies.
 * @module
 */

// Parsing requests
export { RequestParser } from './parser.js'
export { parseRequests } from './parse-requests.js'
export type { ParsedRequest, ParseResult } from './parse-requests.js'

// Parsing responses
export { ResponseParser } from './response-parser.js'
export { parseResponses } from './parse-responses.js'
export type { ParsedResponse, ParseResponsesOptions, ParseResponsesResult } from './parse-responses.js'

// Types of both parsers
export type {
  BodyFraming,
  MessageLimits,
  ParserCallbacks,
  ParserOptions,
  RequestHead,
  ResponseFraming,
  ResponseHead,
  ResponseParserCallbacks,
  ResponseParserOptions,
  TargetForm,
} from './types.js'

// Headers
export { HeaderList } from './headers.js'

// Errors
export { HTTPParseError, PARSE_ERRORS, PARSE_ERROR_STATUS, SimpleHTTPError, isSimpleHTTPError } from './errors.js'
export type { HTTPParseErrorOptions, ParseErrorCode, ParseErrorStatus } from './errors.js'

// Helpers shared with the handler's CPython-compatible messages
export { pyRepr } from './py-repr.js'
