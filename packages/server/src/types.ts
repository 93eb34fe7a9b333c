/**
 * The shapes `HTTPServer` works with. The handler contract is structural on purpose: the
 * handler package satisfies it without importing this one (ARCHITECTURE.md, "Who may import
 * whom").
 * @module
 */
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import type { SelfSignedOptions } from './self-signed.js'

/** The peer of a connection, as `[host, port]` (CPython's `client_address`). */
export type ClientAddress = readonly [host: string, port: number]

/** Where a server listens, as `[host, port]` (CPython's `server_address`). */
export type ServerAddress = readonly [host: string, port: number]

/** The address to listen on, the first argument of `new HTTPServer(...)`. */
export interface ListenAddress {
  /**
   * A host name or IP address. Default `'::'`: every interface, IPv4 and IPv6 (dual-stack, as
   * `python -m http.server` binds), falling back to `'0.0.0.0'` on a machine without IPv6.
   * `''` means the same. `'0.0.0.0'` is IPv4 only.
   */
  readonly host?: string | undefined
  /** The TCP port, an integer from 0 to 65535; 0 lets the system choose (see `serverPort`). */
  readonly port: number
}

/**
 * One object per accepted connection, like CPython's `BaseRequestHandler(request,
 * client_address, server)`.
 */
export interface ConnectionHandler {
  /**
   * Serve the connection until it is done; the server awaits it, then ends the socket (CPython's
   * `shutdown_request`). Must not reject for client errors, but if it does the server logs
   * nothing to the console, destroys the socket and carries on.
   */
  handle(): Promise<void>
  /**
   * The server is stopping: finish the request in flight, then close; close at once if idle
   * between requests. Optional: without it, the connection gets the grace period and is then
   * destroyed.
   */
  shutdown?(): void
  /**
   * What the connection is doing, for choosing which one makes room when the table is full:
   * `'idle'` between requests (since the last response), `'head'` while a request head is
   * arriving (since its first byte, or accept), `'busy'` serving a request. Optional: without
   * it, a connection that has sent anything counts as busy and is never evicted.
   */
  activity?(): ConnectionActivity
}

/** See {@link ConnectionHandler.activity}. `since` is a `Date.now()` timestamp. */
export interface ConnectionActivity {
  readonly state: 'idle' | 'head' | 'busy'
  readonly since: number
}

/** Where the server writes its own log lines (anything with `write`, like `process.stderr`). */
export interface LogStream {
  write(text: string): unknown
}

/** Certificate settings for HTTPS, CPython 3.14's `HTTPSServer(certfile, keyfile, password)`. */
export interface TLSOptions {
  /** Path of a PEM certificate chain (CPython's `certfile`). Give this or `cert`. */
  readonly certFile?: string | undefined
  /** Path of the PEM private key (CPython's `keyfile`). Default: the key is read from the certificate file. */
  readonly keyFile?: string | undefined
  /** The PEM certificate chain itself, instead of `certFile`. */
  readonly cert?: string | Buffer | undefined
  /** The PEM private key itself, instead of `keyFile`. Default: taken from the certificate. */
  readonly key?: string | Buffer | undefined
  /** The password of an encrypted private key (CPython's `password`). Default: none. */
  readonly password?: string | undefined
  /**
   * Make a certificate and key in memory at start-up instead (ECDSA P-256, valid for a week, for
   * `localhost`, the loopback addresses, this host's name and its interface addresses); see
   * `HTTPServer#selfSignedCertificate` for its fingerprint. Not with `cert`/`certFile`.
   * Nothing is written to disk. With `workers`, the primary makes it and the workers share it.
   */
  readonly selfSigned?: boolean | SelfSignedOptions | undefined
}

/**
 * HTTP/2 over TLS, chosen by ALPN (`h2`, then `http/1.1`). Node's `node:http2` does the framing;
 * HTTP/1.1 clients keep the handler class. Browsers speak HTTP/2 only over TLS, so this needs `tls`.
 */
export interface HTTP2Options {
  /** Answers each HTTP/2 request, with Node's compatibility API (as an `http.createServer` listener). */
  readonly onRequest: (request: Http2ServerRequest, response: Http2ServerResponse) => void
  /** Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS). Default `100`. */
  readonly maxConcurrentStreams?: number | undefined
  /** Bytes of request headers, decompressed (SETTINGS_MAX_HEADER_LIST_SIZE). Default `65536`. */
  readonly maxHeaderListSize?: number | undefined
  /** ms a session may sit with no frames before GOAWAY. Default: the larger of `keepAliveTimeout` and `headersTimeout`. */
  readonly idleTimeout?: number | undefined
  /** ms a client has after the TLS handshake to send its HTTP/2 SETTINGS. Default `10000`. */
  readonly settingsTimeout?: number | undefined
  /**
   * Streams the client may reset in one second before the session is cut with
   * ENHANCE_YOUR_CALM (CVE-2023-44487, "rapid reset"). Default `100`.
   */
  readonly maxResetsPerSecond?: number | undefined
}

/** Options for `new HTTPServer(address, HandlerClass, options)`. */
export interface HTTPServerOptions {
  /** Serve HTTPS with this certificate; ALPN offers `http/1.1` (and `h2` with `http2`). Default: none, plain HTTP. */
  readonly tls?: TLSOptions | undefined
  /** Also speak HTTP/2 to clients that ask for it by ALPN. Needs `tls`. Default: HTTP/1.1 only. */
  readonly http2?: HTTP2Options | undefined
  /**
   * Worker processes that share the port through `node:cluster`, for more CPU cores (Python's
   * `ThreadingHTTPServer` gets concurrency from threads; Node is concurrent already). The
   * primary forks them and they re-run the same script. Default `0`: serve in this process.
   */
  readonly workers?: number | undefined
  /**
   * Open connections this process serves at once. When the table is full, a newcomer takes the
   * place of the connection doing the least (idle keep-alive first, then connections that have
   * sent nothing or not finished their TLS handshake, then the slowest to send a request head);
   * only when every connection is serving a request is the newcomer closed. Default `1024`.
   */
  readonly maxConnections?: number | undefined
  /**
   * Open connections one client IP address may hold; past it, that address's own least busy
   * connection makes way, or the newcomer is closed. Default `256` (at most `maxConnections`),
   * so that one address cannot take the whole table. `Infinity`: no limit.
   */
  readonly maxConnectionsPerAddress?: number | undefined
  /**
   * ms a new connection may stay silent (plain: no byte received; TLS: handshake not finished)
   * before it is closed. Default `5000`. Such connections are also the first to make room.
   */
  readonly firstByteTimeout?: number | undefined
  /** Where the server logs connections it closes or refuses (CPython's format). Default: standard error. */
  readonly logStream?: LogStream | undefined
  /**
   * ms a client may take to send a request head. Default `30000`. Read by the handler; the server
   * only uses the largest of the three timeouts as a backstop for a completely silent socket.
   */
  readonly headersTimeout?: number | undefined
  /** ms a kept-alive connection may sit idle between requests. Default `5000`. Read by the handler. */
  readonly keepAliveTimeout?: number | undefined
  /** ms to wait for more request body bytes. Default `30000`. Read by the handler. */
  readonly bodyTimeout?: number | undefined
  /**
   * Slowest request body tolerated, in bytes per second on average: the time spent waiting for
   * body bytes may not exceed `bodyTimeout` plus one second per `bodyMinRate` bytes received.
   * Default `500` (Apache's mod_reqtimeout `MinRate`). `0`: no rate. Read by the handler.
   */
  readonly bodyMinRate?: number | undefined
  /**
   * ms a response may wait on a client that reads nothing while its socket buffer is full, before
   * the connection is cut. Default `30000`. Read by the handler.
   */
  readonly writeTimeout?: number | undefined
  /** ms `shutdown()` waits for requests in flight before it destroys their connections. Default `5000`. */
  readonly gracePeriod?: number | undefined
  /** The listen queue length (CPython's `request_queue_size`, which is 5). Default `4096` (the kernel caps it at somaxconn), so a burst of connections does not drop a newcomer's SYN. */
  readonly backlog?: number | undefined
  /**
   * Called when a handler throws or rejects, after its socket is destroyed (CPython's
   * `handle_error`, which prints a traceback). Default: nothing is printed.
   */
  readonly onError?: ((error: unknown, clientAddress: ClientAddress) => void) | undefined
}
