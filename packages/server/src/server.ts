/**
 * `HTTPServer`: CPython's `HTTPServer`/`TCPServer` for Node. It accepts connections and gives
 * each one to a handler object; it knows sockets, not HTTP.
 * @module
 */
import { createServer } from 'node:net'
import type { ListenOptions, Server, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { ServerError } from './errors.js'
import { cluster, tls } from './internal/builtins.js'
import { DEFAULT_HOST, formatHostPort, isWildcard, serverNameFor, urlAuthority } from './internal/address.js'
import { ConnectionTable } from './internal/connection-table.js'
import type { TableEntry } from './internal/connection-table.js'
import { deferred } from './internal/deferred.js'
import { errorCode, listenError, quote } from './internal/system-errors.js'
import { HTTP2Sessions } from './internal/http2.js'
import { checkTLSOptions, loadTLS } from './internal/tls.js'
import { generateSelfSignedCertificate, type SelfSignedCertificate } from './self-signed.js'
import { WorkerPool, isShutdownMessage, reportListenError } from './internal/workers.js'
import type {
  ClientAddress,
  ConnectionHandler,
  HTTPServerOptions,
  ListenAddress,
  LogStream,
  ServerAddress,
  TLSOptions,
} from './types.js'

/**
 * A class whose instances handle one connection each (CPython's `RequestHandlerClass`). Here,
 * beside `HTTPServer`, so that `types.ts` needs nothing from this file.
 */
export type RequestHandlerClass<S = HTTPServer> = new (
  socket: Socket,
  clientAddress: ClientAddress,
  server: S,
) => ConnectionHandler

/** The largest delay Node's timers take; anything longer fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

const ignore = (): void => undefined

/**
 * A TCP (or TLS) server that hands every accepted connection to a new `RequestHandlerClass`
 * object and awaits its `handle()`, like CPython's `HTTPServer` with `ThreadingMixIn`: connections
 * are served concurrently, one event loop, no threads.
 *
 * ```ts
 * const server = new HTTPServer({ host: '127.0.0.1', port: 8000 }, MyHandler)
 * process.once('SIGINT', () => void server.shutdown())
 * await server.serveForever()
 * ```
 */
export class HTTPServer {
  /** The class instantiated for each connection. */
  readonly RequestHandlerClass: RequestHandlerClass
  /** ms a client may take to send a request head; enforced by the handler. */
  readonly headersTimeout: number
  /** ms a kept-alive connection may sit idle between requests; enforced by the handler. */
  readonly keepAliveTimeout: number
  /** ms to wait for more request body bytes; enforced by the handler. */
  readonly bodyTimeout: number
  /** Slowest average request body rate tolerated, bytes/s (0: none); enforced by the handler. */
  readonly bodyMinRate: number
  /** ms a response may wait on a client that reads nothing; enforced by the handler. */
  readonly writeTimeout: number
  /** ms `shutdown()` waits for requests in flight. */
  readonly gracePeriod: number
  /** Open connections this process serves at once. */
  readonly maxConnections: number
  /** Open connections one client address may hold. */
  readonly maxConnectionsPerAddress: number
  /** ms a new connection may stay silent (or in its TLS handshake) before it is closed. */
  readonly firstByteTimeout: number
  /** Worker processes forked by the primary (0: none). */
  readonly workers: number
  /** The listen queue length. */
  readonly backlog: number

  readonly #host: string
  readonly #tls: TLSOptions | undefined
  readonly #selfSigned: SelfSignedCertificate | undefined
  readonly #http2: HTTP2Sessions | undefined
  readonly #onError: HTTPServerOptions['onError']
  #address: ServerAddress
  #serverName: string
  #server: Server | undefined
  #pool: WorkerPool | undefined
  /** Every accepted TCP connection, TLS handshakes included. */
  readonly #table: ConnectionTable
  readonly #logStream: LogStream
  /** TLS connections whose handshake is under way, by `address|port` (the TLSSocket is a new object). */
  readonly #handshakes = new Map<string, TableEntry>()
  readonly #handlers = new Set<ConnectionHandler>()
  /** Called whenever a socket closes or a handler finishes, so waits can re-check. */
  readonly #waiters = new Set<() => void>()
  #listening: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  #stopRequested = false
  /** Settled by `serverClose()`: stop waiting for anything, destroy what is left. */
  readonly #force = deferred()
  readonly #stopped = deferred()

  /**
   * @param address where to listen; `host` defaults to `'::'` (all interfaces, dual-stack).
   * @param RequestHandlerClass instantiated for every connection, with `(socket, clientAddress, server)`.
   * @param options TLS, workers, limits and timeouts; see {@link HTTPServerOptions}.
   * @throws {ServerError} `SH_ERR_SERVER_BAD_ADDRESS` for a port that is not an integer from 0 to
   *   65535, `SH_ERR_SERVER_TLS` for TLS options without a certificate,
   *   `SH_ERR_SERVER_INVALID_OPTION` for any other impossible option.
   */
  constructor(address: ListenAddress, RequestHandlerClass: RequestHandlerClass, options: HTTPServerOptions = {}) {
    const { host, port } = address
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ServerError(
        'SH_ERR_SERVER_BAD_ADDRESS',
        `invalid port: expected an integer from 0 to 65535, got ${quote(port)}`,
      )
    }
    if (host != null && typeof host !== 'string') {
      throw new ServerError('SH_ERR_SERVER_BAD_ADDRESS', `invalid host: expected a string, got ${quote(host)}`)
    }
    // '' is CPython's "all interfaces"; we make it dual-stack like the CLI does.
    this.#host = host == null || host === '' ? DEFAULT_HOST : host
    this.#address = [this.#host, port]
    this.#serverName = serverNameFor(this.#host, this.#host)
    this.RequestHandlerClass = RequestHandlerClass

    const positive = (n: number): boolean => n > 0 && n <= MAX_TIMER_MS
    this.headersTimeout = numberOption(options.headersTimeout, 30_000, 'headersTimeout', positive, 'ms > 0')
    this.keepAliveTimeout = numberOption(options.keepAliveTimeout, 5000, 'keepAliveTimeout', positive, 'ms > 0')
    this.bodyTimeout = numberOption(options.bodyTimeout, 30_000, 'bodyTimeout', positive, 'ms > 0')
    this.bodyMinRate = numberOption(options.bodyMinRate, 500, 'bodyMinRate', (n) => n >= 0 && Number.isFinite(n), 'bytes/s >= 0')
    this.writeTimeout = numberOption(options.writeTimeout, 30_000, 'writeTimeout', positive, 'ms > 0')
    this.gracePeriod = numberOption(
      options.gracePeriod,
      5000,
      'gracePeriod',
      (n) => n >= 0 && n <= MAX_TIMER_MS,
      'ms >= 0',
    )
    this.maxConnections = numberOption(
      options.maxConnections,
      1024,
      'maxConnections',
      (n) => (Number.isInteger(n) && n >= 1) || n === Infinity,
      'an integer >= 1 or Infinity',
    )
    this.maxConnectionsPerAddress = numberOption(
      options.maxConnectionsPerAddress,
      Math.min(256, this.maxConnections),
      'maxConnectionsPerAddress',
      (n) => (Number.isInteger(n) && n >= 1) || n === Infinity,
      'an integer >= 1 or Infinity',
    )
    this.firstByteTimeout = numberOption(options.firstByteTimeout, 5000, 'firstByteTimeout', positive, 'ms > 0')
    this.#table = new ConnectionTable(this.maxConnections, this.maxConnectionsPerAddress)
    this.#logStream = options.logStream ?? process.stderr
    const count = (n: number): boolean => Number.isInteger(n) && n >= 0
    const count1 = (n: number): boolean => Number.isInteger(n) && n >= 1
    this.workers = numberOption(options.workers, 0, 'workers', count, 'an integer >= 0')
    this.backlog = numberOption(options.backlog, 4096, 'backlog', count, 'an integer >= 0')
    if (options.tls != null) checkTLSOptions(options.tls)
    this.#selfSigned = selfSignedFor(options.tls, this.workers)
    this.#tls = this.#selfSigned == null ? options.tls : { cert: this.#selfSigned.cert, key: this.#selfSigned.key }
    if (options.http2 != null) {
      if (options.tls == null) {
        throw new ServerError(
          'SH_ERR_SERVER_INVALID_OPTION',
          'invalid http2 option: HTTP/2 needs TLS (browsers speak it only over TLS); expected tls too, got none',
        )
      }
      const h2 = options.http2
      this.#http2 = new HTTP2Sessions(h2, {
        maxConcurrentStreams: numberOption(h2.maxConcurrentStreams, 100, 'http2.maxConcurrentStreams', count1, 'an integer >= 1'),
        maxHeaderListSize: numberOption(h2.maxHeaderListSize, 65_536, 'http2.maxHeaderListSize', count1, 'an integer >= 1'),
        idleTimeout: numberOption(h2.idleTimeout, Math.max(this.keepAliveTimeout, this.headersTimeout), 'http2.idleTimeout', positive, 'ms > 0'),
        settingsTimeout: numberOption(h2.settingsTimeout, 10_000, 'http2.settingsTimeout', positive, 'ms > 0'),
        maxResetsPerSecond: numberOption(h2.maxResetsPerSecond, 100, 'http2.maxResetsPerSecond', count1, 'an integer >= 1'),
      }, () => {
        this.#changed()
      })
    }
    this.#onError = options.onError
  }

  /** `[host, port]` as bound once listening (CPython's `server_address`); as asked before. */
  get serverAddress(): ServerAddress {
    return this.#address
  }

  /** The port, the system's choice once listening if 0 was asked (CPython's `server_port`). */
  get serverPort(): number {
    return this.#address[1]
  }

  /**
   * The host name for URLs and CGI's `SERVER_NAME` (CPython's `server_name`): `os.hostname()` for
   * a wildcard bind, `'localhost'` for loopback, else the host as given. No reverse DNS lookup.
   */
  get serverName(): string {
    return this.#serverName
  }

  /**
   * The certificate made at start-up for `tls.selfSigned` (its `fingerprint256` is for a banner,
   * its `cert` for a client's trust store); `undefined` otherwise.
   */
  get selfSignedCertificate(): SelfSignedCertificate | undefined {
    return this.#selfSigned
  }

  /** `http://127.0.0.1:8000/`, `https://[::1]:8443/`: the bound address, for a banner. */
  get url(): string {
    const [host, port] = this.#address
    return `${this.#tls == null ? 'http' : 'https'}://${urlAuthority(host, port)}/`
  }

  /**
   * Connections open in this process now, TLS handshakes included. In the primary of a
   * `workers` cluster it is 0: the workers hold the connections.
   */
  get connectionCount(): number {
    return this.#table.size
  }

  /**
   * Bind and start accepting (CPython's `server_bind` + `server_activate`). With `workers` in the
   * cluster primary, fork the workers and resolve once all of them listen. Idempotent.
   * @throws {ServerError} `SH_ERR_SERVER_ADDRESS_IN_USE`, `SH_ERR_SERVER_PERMISSION_DENIED`,
   *   `SH_ERR_SERVER_ADDRESS_NOT_AVAILABLE`, `SH_ERR_SERVER_HOST_NOT_FOUND`, `SH_ERR_SERVER_TLS`,
   *   `SH_ERR_SERVER_WORKER_EXITED`, or
   *   `SH_ERR_SERVER_CLOSED` after `shutdown()`.
   */
  listen(): Promise<void> {
    if (this.#stopRequested) {
      return Promise.reject(
        new ServerError('SH_ERR_SERVER_CLOSED', 'cannot listen: the server was shut down; expected a new HTTPServer'),
      )
    }
    this.#listening ??= this.#bind().catch((error: unknown) => {
      this.#listening = undefined // a failed bind may be retried
      throw error
    })
    return this.#listening
  }

  /** Listen if needed, then resolve once the server has stopped (after `shutdown()`). */
  async serveForever(): Promise<void> {
    if (!this.#stopRequested) await this.listen()
    await this.#stopped.promise
  }

  /**
   * Stop gracefully: stop accepting, ask every handler to `shutdown()` (idle keep-alive
   * connections close, requests in flight finish), wait up to `gracePeriod`, then destroy what
   * remains. With workers, ask each to do the same and wait for them to exit. Resolves when
   * everything is closed. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  /**
   * Close the listening socket and destroy every connection now, without a grace period
   * (CPython's `server_close`). After `shutdown()` it just awaits the end of it.
   */
  async serverClose(): Promise<void> {
    this.#force.resolve()
    await this.shutdown()
  }

  async #bind(): Promise<void> {
    if (this.workers > 0 && cluster().isPrimary) {
      const pool = new WorkerPool()
      this.#pool = pool
      const shared = this.#selfSigned == null ? undefined : { [SELF_SIGNED_ENV]: JSON.stringify(this.#selfSigned) }
      const bound = await pool.start(this.workers, formatHostPort(this.#host, this.serverPort), shared)
      this.#setBound(bound.address, bound.port)
      // Workers are not restarted: once all are gone, for whatever reason, the server has stopped.
      void pool.gone.then(() => this.shutdown())
      return
    }
    // In a worker forked for `workers`, the primary is told about failures and may stop us.
    // (A worker of someone else's cluster, with workers 0, is left to its own cluster code.)
    const forkedForUs = this.workers > 0 && cluster().isWorker
    try {
      await this.#bindHere()
    } catch (error) {
      if (forkedForUs) await reportListenError(error)
      throw error
    }
    if (forkedForUs) process.on('message', this.#onPrimaryMessage)
  }

  async #bindHere(): Promise<void> {
    const tlsOptions = this.#tls == null ? undefined : await loadTLS(this.#tls)
    if (tlsOptions != null && this.#http2 != null) tlsOptions.ALPNProtocols = ['h2', 'http/1.1']
    // allowHalfOpen: a client that sends its request and then half-closes (`nc -N`) still gets
    // the answer, as with CPython; the server ends the socket itself once handle() returns.
    const server =
      tlsOptions == null
        ? createServer({ allowHalfOpen: true })
        : tls().createServer({ ...tlsOptions, allowHalfOpen: true, handshakeTimeout: this.firstByteTimeout })
    server.on('connection', (socket: Socket) => {
      this.#accept(socket, tlsOptions == null)
    })
    if (tlsOptions != null) {
      // Same path as plain sockets from here on: the handler gets the TLSSocket.
      server.on('secureConnection', (socket: TLSSocket) => {
        if (socket.alpnProtocol === 'h2' && this.#http2 != null) {
          // node:http2 owns this socket's protocol and its timeouts; we still count and close it.
          this.#http2.serve(socket)
          return
        }
        const entry = this.#handshakes.get(peerKey(socket))
        if (entry != null) {
          this.#handshakes.delete(peerKey(socket))
          entry.secured = true
          entry.top = socket
        }
        this.#armBackstop(socket)
        void this.#serve(socket, entry)
      })
      // A failed handshake (a plain-HTTP client, a scanner) concerns that connection only.
      server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
        if (errorCode(error) === 'ERR_TLS_HANDSHAKE_TIMEOUT' && socket.remoteAddress != null) {
          this.logMessage(socket.remoteAddress, `TLS handshake timed out after ${this.firstByteTimeout} ms`)
        }
        socket.destroy()
      })
    }

    const port = this.serverPort
    let host = this.#host
    try {
      await listenOn(server, { host, port, backlog: this.backlog, ipv6Only: false })
    } catch (error) {
      const code = errorCode(error)
      const noIPv6 = code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL'
      if (!(noIPv6 && isWildcard(host) && host.includes(':'))) throw listenError(error, host, port)
      host = '0.0.0.0'
      try {
        await listenOn(server, { host, port, backlog: this.backlog })
      } catch (fallbackError) {
        throw listenError(fallbackError, host, port)
      }
    }
    // Once listening, an 'error' is a failed accept (EMFILE, say): not fatal to the server.
    server.on('error', ignore)
    this.#server = server
    const bound = server.address()
    if (bound != null && typeof bound === 'object') this.#setBound(bound.address, bound.port)
  }

  #setBound(address: string, port: number): void {
    this.#address = [address, port]
    this.#serverName = serverNameFor(this.#host, address)
  }

  readonly #onPrimaryMessage = (message: unknown): void => {
    if (isShutdownMessage(message)) void this.shutdown()
  }

  /** Every raw TCP connection comes through here, TLS or not. */
  #accept(socket: Socket, plain: boolean): void {
    // A reset (ECONNRESET, EPIPE) must never become an uncaught exception.
    socket.on('error', ignore)
    const address = socket.remoteAddress
    if (this.#stopRequested || address == null) {
      socket.destroy()
      return
    }
    const now = Date.now()
    const admission = this.#table.admit(address, now)
    if (!admission.admitted) {
      this.logMessage(address, `Connection refused: ${admission.reason}`)
      socket.destroy()
      return
    }
    if (admission.evicted != null) {
      const { entry: victim, reason } = admission.evicted
      this.logMessage(victim.address, `Connection closed to make room: ${reason}`)
      this.#table.delete(victim.socket)
      victim.top.destroy()
    }
    const entry: TableEntry = { socket, address, acceptedAt: now, plain, handler: undefined, secured: plain, top: socket }
    this.#table.add(entry)
    const key = plain ? '' : peerKey(socket)
    if (!plain) this.#handshakes.set(key, entry)
    socket.once('close', () => {
      this.#table.delete(socket)
      if (!plain) this.#handshakes.delete(key)
      this.#changed()
    })
    // Without this, a response head and body written apart wait ~40 ms for the client's
    // delayed ACK (Nagle); see ARCHITECTURE.md, "Runtime shape".
    socket.setNoDelay(true)
    if (plain) {
      // A connection that says nothing gets a short timeout of its own, then the usual backstop.
      socket.setTimeout(this.firstByteTimeout)
      socket.once('timeout', () => {
        if (socket.bytesRead === 0) {
          this.logMessage(address, `Request timed out: nothing received in ${this.firstByteTimeout} ms`)
          socket.destroy()
        } else {
          this.#armBackstop(socket)
        }
      })
      void this.#serve(socket, entry)
    }
    // TLS: the handshake is bounded by handshakeTimeout; 'secureConnection' serves it.
  }

  /**
   * Write `client - - [date] message` to the log stream, as CPython's `log_message` (for what the
   * server itself does to a connection: timeouts before any request, refusals, evictions).
   */
  logMessage(clientHost: string, message: string): void {
    this.#logStream.write(`${clientHost} - - [${logDateTime(new Date())}] ${message}\n`)
  }

  /**
   * The handler enforces the HTTP timeouts; this only catches a socket that is completely
   * silent for longer than any of them (a handler that forgot, a stuck write).
   */
  #armBackstop(socket: Socket): void {
    socket.setTimeout(Math.max(this.headersTimeout, this.keepAliveTimeout, this.bodyTimeout))
    socket.once('timeout', () => socket.destroy())
  }

  /** One connection's life: make a handler, await it, end the socket. Never rejects. */
  async #serve(socket: Socket, entry: TableEntry | undefined): Promise<void> {
    socket.on('error', ignore)
    const { remoteAddress, remotePort } = socket
    // No address: the client was gone before we got here.
    if (this.#stopRequested || remoteAddress == null || remotePort == null) {
      socket.destroy()
      return
    }
    const clientAddress: ClientAddress = [remoteAddress, remotePort]
    let handler: ConnectionHandler | undefined
    try {
      handler = new this.RequestHandlerClass(socket, clientAddress, this)
      if (entry != null) entry.handler = handler
      this.#handlers.add(handler)
      await handler.handle()
      await endSocket(socket)
    } catch (error) {
      // One connection's failure stays with it.
      socket.destroy()
      try {
        this.#onError?.(error, clientAddress)
      } catch {
        // A throwing onError must not escape either.
      }
    } finally {
      if (handler != null) {
        this.#handlers.delete(handler)
        this.#changed()
      }
    }
  }

  async #stop(): Promise<void> {
    this.#stopRequested = true
    process.off('message', this.#onPrimaryMessage)
    await this.#listening?.catch(ignore) // a stop during startup waits for the bind to settle
    if (this.#pool != null) {
      await this.#pool.stop(this.gracePeriod, this.#force.promise)
    } else {
      await this.#closeHere()
    }
    // A worker's IPC channel keeps it alive; once its server has stopped, its job is done, so
    // let go of the channel and the process can exit (whether the primary or a signal stopped it).
    const worker = this.workers > 0 ? cluster().worker : undefined
    if (worker != null && process.connected) worker.disconnect()
    this.#stopped.resolve()
  }

  async #closeHere(): Promise<void> {
    const server = this.#server
    // Stop accepting. (The callback gets ERR_SERVER_NOT_RUNNING if the bind failed: closed all the same.)
    const listenerClosed = new Promise<void>((resolve) => {
      if (server == null) {
        resolve()
        return
      }
      server.close(() => {
        resolve()
      })
    })
    for (const handler of this.#handlers) {
      try {
        handler.shutdown?.()
      } catch {
        // A handler that throws here is destroyed with the rest after the grace period.
      }
    }
    this.#http2?.close()
    await this.#until(() => this.#handlers.size === 0 && (this.#http2?.size ?? 0) === 0, this.gracePeriod)
    // Left now: connections whose handler is done or never started (TLS handshakes), and the
    // ones that overran the grace period.
    for (const socket of this.#table.sockets) socket.destroy()
    await this.#until(() => this.#table.size === 0)
    await listenerClosed
  }

  #changed(): void {
    for (const waiter of this.#waiters) waiter()
  }

  /** Resolve when `done()` holds, or after `graceMs` (if given) or `serverClose()`. */
  #until(done: () => boolean, graceMs?: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const finish = (): void => {
        this.#waiters.delete(check)
        clearTimeout(timer)
        resolve()
      }
      const check = (): void => {
        if (done()) finish()
      }
      this.#waiters.add(check)
      if (graceMs != null) {
        timer = setTimeout(finish, graceMs)
        void this.#force.promise.then(finish)
      }
      check()
    })
  }
}

/** Where the cluster primary hands its self-signed certificate to the workers it forks. */
const SELF_SIGNED_ENV = 'SIMPLEHTTP_SELF_SIGNED_CERTIFICATE'

/**
 * Make the certificate for `tls.selfSigned`, or, in a worker forked for `workers`, take the one
 * the primary made, so every worker presents the same certificate and fingerprint.
 */
function selfSignedFor(tls: TLSOptions | undefined, workers: number): SelfSignedCertificate | undefined {
  const wanted = tls?.selfSigned
  if (wanted == null || wanted === false) return undefined
  const inherited = workers > 0 && cluster().isWorker ? process.env[SELF_SIGNED_ENV] : undefined
  if (inherited != null) {
    const parsed = JSON.parse(inherited) as SelfSignedCertificate & { validFrom: string; validTo: string }
    return { ...parsed, validFrom: new Date(parsed.validFrom), validTo: new Date(parsed.validTo) }
  }
  return generateSelfSignedCertificate(wanted === true ? {} : wanted)
}

function numberOption(
  value: number | undefined,
  fallback: number,
  name: string,
  valid: (n: number) => boolean,
  expected: string,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !valid(value)) {
    throw new ServerError(
      'SH_ERR_SERVER_INVALID_OPTION',
      `invalid ${name} option: expected ${expected}, got ${quote(value)}`,
    )
  }
  return value
}

/** `address|port` of a socket's peer: the same for a raw socket and the TLSSocket over it. */
function peerKey(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const pad2 = (n: number): string => String(n).padStart(2, '0')

let loggedSecond = -1
let loggedDate = ''

/** Local time as `25/Nov/2026 11:23:53` (CPython's `log_date_time_string`), formatted once a second. */
function logDateTime(date: Date): string {
  const second = Math.floor(date.getTime() / 1000)
  if (second !== loggedSecond) {
    loggedSecond = second
    loggedDate = `${pad2(date.getDate())}/${MONTHS[date.getMonth()] ?? ''}/${date.getFullYear()} ${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`
  }
  return loggedDate
}

function listenOn(server: Server, options: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/** End the socket and wait until its data has left, or it is gone. */
function endSocket(socket: Socket): Promise<void> {
  if (socket.destroyed || socket.writableFinished) return Promise.resolve()
  return new Promise((resolve) => {
    socket.once('finish', resolve)
    socket.once('close', resolve)
    if (!socket.writableEnded) socket.end()
  })
}
