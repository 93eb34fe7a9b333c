/**
 * Test plumbing: the handler on a plain `node:net` server (no @simplehttp/server), the shared
 * raw-socket client (@simplehttp/test-client) under the names these tests use, and an
 * in-memory log.
 */
import net, { type AddressInfo, type Socket } from 'node:net'
import { RawClient as TestClient, cpythonErrorPage, readResponses, type TestResponse } from '@simplehttp/test-client'
import type { BaseHTTPRequestHandler, ClientAddress, LogStream, ServerInfo } from '../src/index.js'

/** What `serve` accepts: the base class or any subclass of it. */
export type HandlerClass = new (
  socket: Socket,
  clientAddress: ClientAddress,
  server: ServerInfo,
) => BaseHTTPRequestHandler

/** A log sink for `logStream`. */
export class MemoryLog implements LogStream {
  text = ''

  write(text: string): void {
    this.text += text
  }

  /** Complete lines, without their `\n`. */
  get lines(): string[] {
    return this.text.split('\n').slice(0, -1)
  }
}

export interface Served {
  readonly port: number
  /** Connections accepted so far. */
  readonly connections: number
  /** Every handler made, in accept order. */
  readonly handlers: BaseHTTPRequestHandler[]
  /** Resolves when every connection accepted so far has finished `handle()`. */
  settled(): Promise<void>
}

export interface ServeOptions {
  /** Overrides for the generous defaults (10 s timeouts). */
  serverInfo?: Partial<ServerInfo>
  /** Called with each accepted socket before the handler is made. */
  onSocket?: (socket: Socket) => void
}

const servers = new Set<net.Server>()
const sockets = new Set<Socket>()

/** Run `Handler` on a fresh `node:net` server on 127.0.0.1, port 0. */
export async function serve(Handler: HandlerClass, options: ServeOptions = {}): Promise<Served> {
  const handlers: BaseHTTPRequestHandler[] = []
  const done: Promise<void>[] = []
  let connections = 0
  const serverInfo: { -readonly [K in keyof ServerInfo]: ServerInfo[K] } = {
    serverName: 'localhost',
    serverPort: 0,
    headersTimeout: 10_000,
    keepAliveTimeout: 10_000,
    bodyTimeout: 10_000,
    ...options.serverInfo,
  }
  const server = net.createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.setNoDelay(true)
    options.onSocket?.(socket)
    const handler = new Handler(socket, [socket.remoteAddress as string, socket.remotePort as number], serverInfo)
    handlers.push(handler)
    done.push(handler.handle())
  })
  servers.add(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  serverInfo.serverPort = port
  return {
    port,
    get connections() {
      return connections
    },
    handlers,
    async settled() {
      await Promise.all(done)
    },
  }
}

/** Close every server and socket the helpers opened (call it in `afterEach`). */
export async function closeAll(): Promise<void> {
  for (const socket of sockets) socket.destroy()
  sockets.clear()
  await Promise.all(
    [...servers].map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve()
          })
        }),
    ),
  )
  servers.clear()
}

/** One parsed response from the raw client (read by @simplehttp/test-client's ResponseParser). */
export type RawResponse = TestResponse

/**
 * The shared raw TCP client; sockets it opens are closed by `closeAll()` (its `connect` makes an
 * instance of this class, so the constructor registers them).
 */
export class RawClient extends TestClient {
  protected constructor(socket: Socket) {
    super(socket)
    sockets.add(socket)
  }

}

/** Connect, send `bytes`, and collect until the server closes. */
export async function exchange(port: number, bytes: string | Uint8Array): Promise<RawClient> {
  const client = await RawClient.connect(port)
  await client.send(bytes)
  await client.untilClosed()
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- connect() constructs `this`, a RawClient
  return client
}

/**
 * Parse as many complete responses as `data` holds, with correct framing (HEAD, 1xx, 204/304,
 * chunked, Content-Length, or until the close once `closed`). Throws if the bytes are not HTTP.
 */
export function parseResponses(data: Buffer, methods: readonly string[], closed: boolean): RawResponse[] {
  const { responses, error } = readResponses(data, { methods, closed })
  if (error !== undefined) throw new Error(`not a valid response: ${error.code} ${error.message}`)
  return responses
}

export { cpythonErrorPage }

/** Resolve after `ms` (for pacing a client, never for asserting on time). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolve once `condition()` holds; fail after `timeoutMs` (a loaded machine is slow, never wrong). */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** A promise with its resolve function, for handing control between a test and a handler. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}
