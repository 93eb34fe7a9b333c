/**
 * Shared by the test files: the fixture tree (made with mkdtemp, removed afterwards), servers on
 * 127.0.0.1:0 and the shared raw-socket client (@simplehttp/test-client) that shows the exact bytes.
 */
import { gzipSync, brotliCompressSync } from 'node:zlib'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { BaseHTTPRequestHandler } from '@simplehttp/handler'
import { RawClient, readResponses, type TestResponse } from '@simplehttp/test-client'

/** What the secret files outside the root contain: no response may ever carry it. */
export const SECRET = 'TOP-SECRET-CONTENT-outside-the-root'

/** Names that look like HTML or are not ASCII (no `/`: a file name cannot hold one). */
export const TRICKY_NAMES = [
  'fünke.txt',
  '日本.txt',
  '<img src=x onerror=alert(1)>.txt',
  `a&b"c'.txt`,
  '<script>alert(1)<%2Fscript>.txt',
  'a b.txt',
]

export interface Fixture {
  /** The temporary directory that holds the root and the secrets next to it. */
  readonly base: string
  /** The directory served. */
  readonly root: string
  /** Bytes of `big.bin` (2 MiB, larger than the in-memory cache limit). */
  readonly big: Buffer
  /** Whether the file system took a name with CR/LF in it. */
  readonly crlfDir: string | undefined
  cleanup(): Promise<void>
}

/** A deterministic pseudo-random buffer. */
export function pattern(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** Build the fixture tree. Secrets sit next to the root (and in a sibling whose name extends the root's). */
export async function makeFixture(): Promise<Fixture> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-static-'))
  const root = path.join(base, 'root')
  const w = async (rel: string, data: string | Buffer): Promise<void> => {
    const file = path.join(base, rel)
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, data)
  }
  await w('secret.txt', SECRET)
  await w('secret', SECRET)
  await w('root-evil/secret.txt', SECRET) // `/www/public2` vs `/www/public`: the prefix trap
  await w('outside/secret.txt', SECRET)
  await w('root/hello.txt', 'Hello, world!\n')
  await w('root/digits.txt', '0123456789')
  await w('root/empty.txt', '')
  await w('root/page.html', '<p>page</p>\n')
  await w('root/noext', 'no extension\n')
  await w('root/data.JSON', '{}')
  await w('root/archive.tar.gz', gzipSync('archive'))
  await w('root/script.py', 'print(1)\n')
  await w('root/app.js', 'console.log("plain")\n')
  await w('root/app.js.br', brotliCompressSync('console.log("brotli")\n'))
  await w('root/app.js.gz', gzipSync('console.log("gzip")\n'))
  await w('root/style.css', 'body{}\n')
  await w('root/style.css.gz', gzipSync('body{}\n'))
  const big = pattern(2 * 1024 * 1024)
  await w('root/big.bin', big)
  await w('root/dir/sub/inner.txt', 'inner\n')
  for (const name of TRICKY_NAMES) await w(`root/dir/${name}`, `content of ${name}\n`)
  await w('root/withindex/index.html', '<p>index.html</p>\n')
  await w('root/withindex/index.htm', '<p>index.htm</p>\n')
  await w('root/withhtm/index.htm', '<p>index.htm</p>\n')
  await w('root/evil.com/x.txt', 'x\n')
  await w('root/.env', 'SECRET_TOKEN=1\n')
  await w('root/.git/config', '[core]\n')
  await w('root/.well-known/security.txt', 'Contact: mailto:security@example.com\n')
  await w('root/.well-known/.hidden', 'hidden\n')
  await w('root/a/b.txt', 'b\n')
  // The tree whose listing is compared byte for byte with CPython's.
  await w('root/small/a b.txt', '')
  await w('root/small/Zeta.txt', '')
  await w('root/small/alpha.txt', '')
  await mkdir(path.join(root, 'small', 'dir'))
  await symlink('alpha.txt', path.join(root, 'small', 'ln'))
  // Symlinks: out of the root (relative, absolute, /etc/passwd, directory, nested), loops,
  // broken, and links that stay inside.
  const links = path.join(root, 'links')
  await mkdir(path.join(links, 'nested', 'deeper'), { recursive: true })
  await symlink('../../secret.txt', path.join(links, 'file-out'))
  await symlink(path.join(base, 'secret.txt'), path.join(links, 'file-out-abs'))
  await symlink('/etc/passwd', path.join(links, 'passwd'))
  await symlink('../../outside', path.join(links, 'dir-out'))
  await symlink(path.join(base, 'outside'), path.join(links, 'dir-out-abs'))
  await symlink('../../../../secret.txt', path.join(links, 'nested', 'deeper', 'up'))
  await symlink('loop-b', path.join(links, 'loop-a'))
  await symlink('loop-a', path.join(links, 'loop-b'))
  await symlink('self', path.join(links, 'self'))
  await symlink('nowhere', path.join(links, 'broken'))
  await symlink('../hello.txt', path.join(links, 'inside'))
  await symlink('../dir', path.join(links, 'inside-dir'))
  await symlink('../links/inside', path.join(links, 'chain'))
  let crlfDir: string | undefined = 'crlf\r\nSet-Cookie: injected=1'
  try {
    await mkdir(path.join(root, crlfDir))
  } catch {
    crlfDir = undefined
  }
  return {
    base,
    root,
    big,
    crlfDir,
    cleanup: () => rm(base, { recursive: true, force: true }),
  }
}

// ---- servers ----------------------------------------------------------------------------------

export interface RunningServer {
  readonly port: number
  close(): Promise<void>
}

type HandlerClass = new (...args: ConstructorParameters<typeof BaseHTTPRequestHandler>) => BaseHTTPRequestHandler

/** Run a handler class on a plain `node:net` server (until `@simplehttp/server` lands). */
export async function startHandler(Handler: HandlerClass): Promise<RunningServer> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.setNoDelay(true)
    const port = (server.address() as net.AddressInfo).port
    void new Handler(socket, [socket.remoteAddress ?? '', socket.remotePort ?? 0], {
      serverName: 'localhost',
      serverPort: port,
    }).handle()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => {
          resolve()
        })
      }),
  }
}

/** Run a `node:http` request listener (or an Express app). */
export async function startHTTP(listener: http.RequestListener): Promise<RunningServer> {
  const server = http.createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

// ---- a raw client -------------------------------------------------------------------------------

/** One response, read by @simplehttp/test-client's ResponseParser. */
export interface RawResponse extends TestResponse {
  /** Everything received, as Latin-1 text. */
  readonly raw: string
}

export interface RequestOptions {
  readonly method?: string
  readonly headers?: Readonly<Record<string, string>>
  /** Default HTTP/1.0 (the handler closes after each response; node:http gets Connection: close). */
  readonly version?: string
}

/** Send one request over a fresh connection (the target is written byte for byte, Latin-1) and read until close. */
export async function request(port: number, target: string, options: RequestOptions = {}): Promise<RawResponse> {
  const method = options.method ?? 'GET'
  const version = options.version ?? 'HTTP/1.0'
  let head = `${method} ${target} ${version}\r\nHost: localhost\r\n`
  for (const [name, value] of Object.entries(options.headers ?? {})) head += `${name}: ${value}\r\n`
  if (version === 'HTTP/1.1' && options.headers?.Connection === undefined) head += 'Connection: close\r\n'
  head += '\r\n'
  const client = await RawClient.connect(port)
  await client.send(head)
  return parseResponse(await client.untilClosed(), method)
}

/**
 * The one response in `data`, everything the server sent before closing, framed as a client
 * must for `method` (a response to HEAD has no body). A response cut short comes back with the
 * body bytes that did arrive (tests compare them with Content-Length). Throws if the bytes are
 * not HTTP, or if bytes follow the response (such as a body sent with a HEAD response).
 */
export function parseResponse(data: Buffer, method = 'GET'): RawResponse {
  const raw = data.toString('latin1')
  const { responses, error, rest, partial } = readResponses(data, { methods: [method], closed: true })
  if (error !== undefined) throw new Error(`not a valid response (${error.code} ${error.message}) in ${JSON.stringify(raw.slice(0, 200))}`)
  const response = partial ?? responses.find((r) => !r.interim)
  if (response === undefined) throw new Error(`no complete response head in ${JSON.stringify(raw.slice(0, 200))}`)
  if (partial === undefined && rest.length > 0) {
    throw new Error(`${rest.length} bytes after the response: ${JSON.stringify(rest.toString('latin1').slice(0, 200))}`)
  }
  return { ...response, raw }
}

/** The parts of a `multipart/byteranges` body. */
export function parseMultipart(response: RawResponse): { headers: Record<string, string>; body: Buffer }[] {
  const type = response.header('content-type') ?? ''
  const boundary = /boundary=([^;]+)/.exec(type)?.[1]
  if (boundary === undefined) throw new Error(`no boundary in ${type}`)
  const text = response.body.toString('latin1')
  const delimiter = `--${boundary}`
  const chunks = text.split(delimiter)
  // chunks[0] is the preamble (empty), the last is `--\r\n` after the close delimiter.
  if (chunks[0] !== '' || chunks[chunks.length - 1] !== '--\r\n') throw new Error('bad multipart framing')
  return chunks.slice(1, -1).map((chunk) => {
    // Each part: CRLF after the delimiter, head, blank line, data, and the CRLF that starts the next delimiter.
    if (!chunk.startsWith('\r\n') || !chunk.endsWith('\r\n')) throw new Error('bad multipart part framing')
    const part = chunk.slice(2, -2)
    const headEnd = part.indexOf('\r\n\r\n')
    const headers: Record<string, string> = {}
    for (const line of part.slice(0, headEnd).split('\r\n')) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    return { headers, body: Buffer.from(part.slice(headEnd + 4), 'latin1') }
  })
}

/** GET `target`, stop reading after the head, run `change`, then read the rest. */
export async function readSlowly(port: number, target: string, change: () => Promise<unknown>): Promise<{ announced: number; received: number }> {
  const client = await RawClient.connect(port)
  const headIn = client.waitFor(() => {
    const { partial, responses } = readResponses(client.data)
    return (partial ?? responses[0]) !== undefined
  }, 'the response head')
  await client.send(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`)
  await headIn
  client.socket.pause()
  const { partial, responses } = readResponses(client.data)
  const head = partial ?? responses[0]
  if (head === undefined) throw new Error('the response head went missing')
  await change()
  await new Promise((resolve) => setTimeout(resolve, 50))
  client.socket.resume()
  await client.untilClosed()
  return { announced: Number(head.header('Content-Length')), received: client.received - head.head.length }
}

/** Bytes of a UTF-8 string as a Latin-1 string: how to put raw UTF-8 in a request line. */
export function rawUTF8(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1')
}

/** A log stream that keeps what is written. */
export class LogCapture {
  readonly lines: string[] = []
  write(text: string): boolean {
    this.lines.push(text)
    return true
  }
}
