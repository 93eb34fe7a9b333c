/**
 * `@simplehttp/server`: CPython's `HTTPServer` for Node. The socket server: it listens (IPv4,
 * IPv6 dual-stack, TLS, worker processes), tracks connections, stops gracefully, and hands each
 * connection to a handler class. It knows sockets, not HTTP.
 * @module
 */

// The server
export { HTTPServer } from './server.js'
export type { HTTP2Options, HTTPServerOptions, ListenAddress, ServerAddress, TLSOptions } from './types.js'

// Certificates
export { defaultCertificateHosts, generateSelfSignedCertificate } from './self-signed.js'
export type { SelfSignedCertificate, SelfSignedOptions } from './self-signed.js'

// The handler contract
export type { ClientAddress, ConnectionActivity, ConnectionHandler, LogStream } from './types.js'
export type { RequestHandlerClass } from './server.js'

// Errors
export { SERVER_ERRORS, ServerError } from './errors.js'
export { SimpleHTTPError, isSimpleHTTPError } from '@simplehttp/parser'
export type { ServerErrorCode } from './errors.js'
