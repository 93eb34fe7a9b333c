/**
 * Test plumbing: a temporary root with a secret beside it, the handler on a plain `node:net`
 * server on 127.0.0.1:0, curl and the shared raw-socket client (@simplehttp/test-client), and a snapshot of the whole tree to prove that a
 * refused request changed nothing.
 */
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { BaseHTTPRequestHandler } from '@simplehttp/handler'
import { RawClient, finals, readResponses } from '@simplehttp/test-client'

export const SECRET = 'TOP-SECRET-outside-the-root'

export interface Fixture {
  readonly base: string
  readonly root: string
  cleanup(): Promise<void>
}

/** `base/root` (served) with a few files, `base/secret.txt` and a symlink out of the root. */
export async function makeFixture(): Promise<Fixture> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-dav-'))
  const root = path.join(base, 'root')
  await mkdir(path.join(root, 'docs', 'deep'), { recursive: true })
  await mkdir(path.join(root, 'empty'))
  await writeFile(path.join(root, 'hello.txt'), 'hello\n')
  await writeFile(path.join(root, 'docs', 'a.txt'), 'A\n')
  await writeFile(path.join(root, 'docs', 'deep', 'b.txt'), 'B\n')
  await writeFile(path.join(root, '.env'), 'SECRET=1\n')
  await mkdir(path.join(base, 'outside'))
  await writeFile(path.join(base, 'secret.txt'), SECRET)
  await symlink(path.join(base, 'outside'), path.join(root, 'link-out'))
  await symlink(path.join(root, 'docs'), path.join(root, 'link-in'))
  return { base, root, cleanup: () => rm(base, { recursive: true, force: true }) }
}

/** Every entry under `dir` (files with a hash of their bytes, links with their target). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(path.join(dir, rel))).sort()) {
      const relPath = path.join(rel, name)
      const full = path.join(dir, relPath)
      const stats = await lstat(full)
      if (stats.isSymbolicLink()) out[relPath] = `link:${await readlink(full)}`
      else if (stats.isDirectory()) {
        out[relPath] = 'dir'
        await walk(relPath)
      } else out[relPath] = `file:${createHash('sha256').update(await readFile(full)).digest('hex')}:${stats.mode.toString(8)}`
    }
  }
  await walk('')
  return out
}

export interface RunningServer {
  readonly port: number
  readonly url: string
  close(): Promise<void>
}

type HandlerClass = new (...args: ConstructorParameters<typeof BaseHTTPRequestHandler>) => BaseHTTPRequestHandler

/** Run a handler class on a plain `node:net` server on 127.0.0.1:0. */
export async function startHandler(Handler: HandlerClass): Promise<RunningServer> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.setNoDelay(true)
    const port = (server.address() as net.AddressInfo).port
    const handler = new Handler(socket, [socket.remoteAddress ?? '', socket.remotePort ?? 0], { serverName: 'localhost', serverPort: port })
    handler.logStream = { write: () => true }
    void handler.handle()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => {
          resolve()
        })
      }),
  }
}

export interface CurlResult {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
}

/**
 * Run curl (`-s -i`) and read its answer with the shared test client (@simplehttp/test-client's
 * ResponseParser); the last final response counts (after 100 Continue).
 */
export function curl(args: readonly string[]): Promise<CurlResult> {
  const method = args.includes('-I') || args.includes('--head') ? 'HEAD' : 'GET'
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-i', '--path-as-is', ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      if (error != null && stdout.length === 0) {
        reject(new Error(`curl failed: ${error.message}`))
        return
      }
      const { responses, error: parseError } = readResponses(stdout, { methods: [method], closed: true })
      const response = finals(responses).at(-1)
      if (response === undefined || parseError !== undefined) {
        reject(new Error(`curl's output is not a response${parseError ? ` (${parseError.code})` : ''}: ${JSON.stringify(stdout.toString('latin1').slice(0, 500))}`))
        return
      }
      const headers: Record<string, string> = {}
      for (const [name, value] of response.headers) headers[name.toLowerCase()] = value
      resolve({ status: response.status, headers, body: response.body.toString('latin1') })
    })
  })
}

/** Send raw bytes (the shared test client) and collect everything until the server closes. */
export async function raw(port: number, bytes: string | Buffer, options: { end?: boolean; destroyAfterMs?: number } = {}): Promise<string> {
  const client = await RawClient.connect(port)
  // A server that refuses early may close before all of it is written: that is an answer too.
  const sent = await client.send(bytes).then(
    () => true,
    () => false,
  )
  if (options.destroyAfterMs !== undefined) setTimeout(() => {
    client.destroy()
  }, options.destroyAfterMs)
  else if (options.end !== false && sent && !client.socket.destroyed) client.socket.end()
  return (await client.untilClosed()).toString('latin1')
}
