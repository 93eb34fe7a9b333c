/**
 * Test handlers, and the shared raw-socket client (@simplehttp/test-client) under the names these
 * tests use. The server knows no HTTP, so the handlers here speak just enough HTTP/1.0 for a human
 * reading a failure to recognise it.
 */
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { Socket, TcpNetConnectOpts } from 'node:net'
import { connect as connectTLS } from 'node:tls'
import type { TLSSocket } from 'node:tls'
import { RawClient, readResponses } from '@simplehttp/test-client'
import { afterEach } from 'vitest'
import { HTTPServer } from '../src/index.js'
import type { ClientAddress, ConnectionHandler, HTTPServerOptions, ListenAddress, RequestHandlerClass } from '../src/index.js'

/** Resolve with everything received up to the end of the request head; reject if it closes first. */
export function readHead(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const cleanup = (): void => {
      socket.off('data', onData)
      socket.off('end', onEnd)
      socket.off('close', onEnd)
    }
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1')
      if (text.includes('\r\n\r\n')) {
        cleanup()
        resolve(text)
      }
    }
    const onEnd = (): void => {
      cleanup()
      reject(new Error(`connection closed before the request head ended, got ${JSON.stringify(text)}`))
    }
    socket.on('data', onData)
    socket.once('end', onEnd)
    socket.once('close', onEnd)
  })
}

/** An HTTP/1.0 response whose body is `body`. */
export function response(body: string): string {
  return `HTTP/1.0 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
}

/** Reads one request head and answers with the client address it was given; the server ends the socket. */
export class EchoHandler implements ConnectionHandler {
  readonly socket: Socket
  readonly clientAddress: ClientAddress
  constructor(socket: Socket, clientAddress: ClientAddress) {
    this.socket = socket
    this.clientAddress = clientAddress
  }

  async handle(): Promise<void> {
    await readHead(this.socket)
    this.socket.write(response(JSON.stringify(this.clientAddress)))
  }
}

/** A handler class and the instances it made, with hooks a test controls. */
export interface Probe {
  readonly Handler: RequestHandlerClass
  /** Every handler made so far. */
  readonly handlers: ProbeHandler[]
}

/** What a {@link probe} handler does, and what happened to it. */
export interface ProbeHandler extends ConnectionHandler {
  readonly socket: Socket
  /** Calls to shutdown() so far. */
  shutdowns: number
  /** Bytes read so far. */
  received: number
  /** Let handle() finish: it answers with `body` (if the socket is still open) and returns. */
  release(body?: string): void
}

/**
 * A handler that ignores what it reads and holds the connection until the test calls `release()`, or,
 * if `idleOnShutdown`, until the server's shutdown() asks it to close.
 */
export function probe(options: { idleOnShutdown?: boolean } = {}): Probe {
  const handlers: ProbeHandler[] = []
  class Handler implements ProbeHandler {
    readonly socket: Socket
    shutdowns = 0
    received = 0
    #release: (body: string | undefined) => void = () => undefined
    readonly #released = new Promise<string | undefined>((resolve) => {
      this.#release = resolve
    })
    constructor(socket: Socket) {
      this.socket = socket
      // Read what arrives, as a real handler reads: that is also how a reset is noticed.
      socket.on('data', (chunk: Buffer) => {
        this.received += chunk.length
      })
      handlers.push(this)
    }
    async handle(): Promise<void> {
      const body = await this.#released
      if (body !== undefined && !this.socket.destroyed) this.socket.write(response(body))
    }
    release(body?: string): void {
      this.#release(body)
    }
    shutdown(): void {
      this.shutdowns++
      if (options.idleOnShutdown === true) this.release()
    }
  }
  return { Handler, handlers }
}

const servers: HTTPServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.serverClose()))
})

/** A server that the next afterEach closes. */
export function makeServer(
  address: ListenAddress,
  Handler: RequestHandlerClass = EchoHandler,
  options?: HTTPServerOptions,
): HTTPServer {
  const server = new HTTPServer(address, Handler, options)
  servers.push(server)
  return server
}

/** A listening server on 127.0.0.1, port 0. */
export async function listening(Handler?: RequestHandlerClass, options?: HTTPServerOptions): Promise<HTTPServer> {
  const server = makeServer({ host: '127.0.0.1', port: 0 }, Handler, options)
  await server.listen()
  return server
}

/** A connected client: the shared test client's RawClient (`.socket` is the TCP socket). */
export function open(port: number, host = '127.0.0.1', options?: Partial<TcpNetConnectOpts>): Promise<RawClient> {
  return RawClient.connect(port, host, options)
}

/** The shared client over TLS; `tls` is the TLS socket (for its ALPN protocol). */
export class TLSClient extends RawClient {
  readonly tls: TLSSocket
  constructor(tls: TLSSocket) {
    super(tls)
    this.tls = tls
  }
}

/** A TLS client, not checking the certificate, once its handshake is done; offers `alpn` when given. */
export async function openTLS(port: number, alpn?: string[], host = '127.0.0.1'): Promise<TLSClient> {
  const client = new TLSClient(connectTLS({ port, host, rejectUnauthorized: false, ...(alpn === undefined ? {} : { ALPNProtocols: alpn }) }))
  await once(client.tls, 'secureConnect')
  return client
}

/** Everything the peer sent until it closed (a reset counts as a close), as latin-1 text. */
export async function readAll(client: RawClient): Promise<string> {
  return (await client.untilClosed()).toString('latin1')
}

/** Send one request on a new connection and return the whole response. */
export async function get(port: number, host = '127.0.0.1'): Promise<string> {
  const client = await open(port, host)
  await client.send('GET / HTTP/1.0\r\n\r\n')
  return readAll(client)
}

/** The same over TLS, not checking the certificate; also returns the ALPN protocol chosen. */
export async function getTLS(port: number, host = '127.0.0.1'): Promise<{ text: string; alpn: string | false | null }> {
  const client = await openTLS(port, ['h2', 'http/1.1'], host)
  await client.send('GET / HTTP/1.0\r\n\r\n')
  const text = await readAll(client)
  return { text, alpn: client.tls.alpnProtocol }
}

/** The body of the first response in `text`, read by the shared client's ResponseParser. */
export function body(text: string): string {
  const { responses, error } = readResponses(text, { closed: true })
  const first = responses[0]
  if (first === undefined) throw new Error(`no complete response${error ? ` (${error.code})` : ''} in ${JSON.stringify(text)}`)
  return first.body.toString('latin1')
}

/** Wait, without a deadline, until `condition()` holds (the test's own timeout bounds it). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5))
}

/** Whether this machine can bind an IPv6 socket at all (checked, not assumed). */
export async function hasIPv6(): Promise<boolean> {
  const server = createServer()
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({ host: '::1', port: 0 }, resolve)
    })
    return true
  } catch {
    return false
  } finally {
    server.close()
  }
}
