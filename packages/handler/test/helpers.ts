/**
 * Test plumbing: the handler on a plain `node:net` server (no @simplehttp/server), a raw-socket
 * client that sends exact bytes and parses what comes back, and an in-memory log.
 */
import net, { type AddressInfo, type Socket } from 'node:net'
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

/** One parsed response from the raw client. */
export interface RawResponse {
  readonly version: string
  readonly status: number
  readonly reason: string
  /** The head, status line and headers, up to and including the blank line. */
  readonly head: string
  readonly headers: readonly (readonly [name: string, value: string])[]
  readonly body: Buffer
  /** The value of a header (first of that name, any case). */
  header(name: string): string | undefined
}

/** A raw TCP client: exact bytes out, bytes in, responses parsed on request. */
export class RawClient {
  readonly socket: Socket
  /** Bytes received so far. */
  received = 0
  closed = false
  #chunks: Buffer[] = []
  /** Resolves once the server's side is gone (FIN or reset) and the socket closed. */
  readonly whenClosed: Promise<void>
  #listeners = new Set<() => void>()

  private constructor(socket: Socket) {
    this.socket = socket
    sockets.add(socket)
    socket.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk)
      this.received += chunk.length
      this.#changed()
    })
    // A reset from the server is a way of closing, as far as these tests care.
    socket.on('error', () => undefined)
    this.whenClosed = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true
        this.#changed()
        resolve()
      })
    })
  }

  static async connect(port: number): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new RawClient(socket)
  }

  /** Write exact bytes (strings are Latin-1, so every byte is what the test wrote). */
  send(bytes: string | Uint8Array): Promise<void> {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes
    return new Promise((resolve, reject) => {
      this.socket.write(buffer, (error) => {
        if (error) reject(error)
        else resolve()
      })
    })
  }

  /** The bytes received. */
  get data(): Buffer {
    // Joined on demand (and kept joined): concatenating per chunk is quadratic for big bodies.
    if (this.#chunks.length !== 1) this.#chunks = [Buffer.concat(this.#chunks)]
    return this.#chunks[0] as Buffer
  }

  /** The bytes received, as Latin-1 text. */
  get text(): string {
    return this.data.toString('latin1')
  }

  /** Wait until `ready()` holds; fail if the connection closes first. */
  waitFor(ready: () => boolean, what = 'the expected data'): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (ready()) {
          this.#listeners.delete(check)
          resolve()
        } else if (this.closed) {
          this.#listeners.delete(check)
          reject(new Error(`connection closed before ${what}; received ${JSON.stringify(this.text.slice(0, 2000))}`))
        }
      }
      this.#listeners.add(check)
      check()
    })
  }

  /**
   * Wait for `count` complete responses and return them. `methods[i]` is the method of the
   * i-th request (HEAD responses have no body); interim 1xx responses are returned too.
   */
  async responses(count: number, methods: readonly string[] = []): Promise<RawResponse[]> {
    let parsed: RawResponse[] = []
    await this.waitFor(() => {
      parsed = parseResponses(this.data, methods, this.closed)
      return parsed.length >= count
    }, `${count} responses`)
    return parsed.slice(0, count)
  }

  /** Wait until the server closes the connection; returns everything received. */
  async untilClosed(): Promise<Buffer> {
    await this.whenClosed
    return this.data
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener()
  }
}

/** Connect, send `bytes`, and collect until the server closes. */
export async function exchange(port: number, bytes: string | Uint8Array): Promise<RawClient> {
  const client = await RawClient.connect(port)
  await client.send(bytes)
  await client.untilClosed()
  return client
}

/**
 * Parse as many complete responses as `data` holds. Bodies are framed by Content-Length, or
 * run to the end of the data once the connection has closed.
 */
export function parseResponses(data: Buffer, methods: readonly string[], closed: boolean): RawResponse[] {
  const out: RawResponse[] = []
  let pos = 0
  let finals = 0
  while (pos < data.length) {
    const end = data.indexOf('\r\n\r\n', pos, 'latin1')
    if (end === -1) break
    const head = data.toString('latin1', pos, end + 4)
    const [statusLine = '', ...lines] = head.slice(0, -4).split('\r\n')
    const match = /^(HTTP\/\d\.\d) (\d{3}) (.*)$/.exec(statusLine)
    if (match == null) throw new Error(`not a status line: ${JSON.stringify(statusLine)}`)
    const headers = lines.map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon), line.slice(colon + 1).trim()] as const
    })
    const header = (name: string): string | undefined =>
      headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1]
    const status = Number(match[2])
    let bodyEnd: number
    const interim = status < 200
    const method = interim ? undefined : methods[finals]
    const length = header('content-length')
    if (interim || status === 204 || status === 304 || method === 'HEAD') bodyEnd = end + 4
    else if (length !== undefined) bodyEnd = end + 4 + Number(length)
    else if (closed) bodyEnd = data.length
    else break
    if (bodyEnd > data.length) break
    out.push({
      version: match[1] as string,
      status,
      reason: match[3] as string,
      head,
      headers,
      body: data.subarray(end + 4, bodyEnd),
      header,
    })
    if (!interim) finals++
    pos = bodyEnd
  }
  return out
}

/** CPython 3.14's error page, written out here independently of src/ to check it. */
export function cpythonErrorPage(code: number, message: string, explain: string): string {
  const esc = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
  return [
    '<!DOCTYPE HTML>',
    '<html lang="en">',
    '    <head>',
    '        <meta charset="utf-8">',
    '        <style type="text/css">',
    '            :root {',
    '                color-scheme: light dark;',
    '            }',
    '        </style>',
    '        <title>Error response</title>',
    '    </head>',
    '    <body>',
    '        <h1>Error response</h1>',
    `        <p>Error code: ${code}</p>`,
    `        <p>Message: ${esc(message)}.</p>`,
    `        <p>Error code explanation: ${code} - ${esc(explain)}.</p>`,
    '    </body>',
    '</html>',
    '',
  ].join('\n')
}

/** Resolve after `ms` (for pacing a client, never for asserting on time). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A promise with its resolve function, for handing control between a test and a handler. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}
