/**
 * Test plumbing: a temporary tree with real CGI scripts (sh, python3, node), the handler on a
 * plain `node:net` server on 127.0.0.1:0, the shared raw-socket client (@simplehttp/test-client),
 * an in-memory log, and checks
 * that processes the scripts started are gone.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import net, { type AddressInfo, type Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { RawClient as TestClient, readResponses, type TestResponse } from '@simplehttp/test-client'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { CGIHTTPRequestHandler, type CGIOptions } from '../src/index.js'

// ---- the fixture tree ---------------------------------------------------------------------

export interface Fixture {
  /** The temporary directory: `www/` (the root), `state/` (writable by scripts), `outside/`. */
  readonly base: string
  /** The directory served. */
  readonly root: string
  /** Where scripts write pid files and markers; `nobody` may write here. */
  readonly state: string
  /** `state/<name>`. */
  statePath(name: string): string
  cleanup(): Promise<void>
}

const SH = '#!/bin/sh\n'
const CT_TEXT = `printf 'Content-Type: text/plain\\n\\n'\n`

/** Scripts by path under the root, with their mode. */
function scripts(state: string, base: string): Record<string, { text: string; mode?: number }> {
  return {
    // CPython's own test scripts (cgi_file1, cgi_file4 with QUERY_STRING), minus the removed `cgi` module.
    'cgi-bin/file1.py': { text: 'print("Content-type: text/html")\nprint()\nprint("Hello World")\n' },
    'cgi-bin/child-dir/file3.py': { text: 'print("Content-type: text/html")\nprint()\nprint("Hello World")\n' },
    'cgi-bin/file4.py': { text: 'import os\nprint("Content-type: text/html")\nprint()\nprint(os.environ["QUERY_STRING"])\n' },
    'htbin/hello.sh': { text: `${SH}${CT_TEXT}echo htbin says hi\n` },
    // The environment and argv, as JSON (node runs .js files).
    'cgi-bin/env.js': {
      text: [
        'const body = JSON.stringify({ env: process.env, argv: process.argv.slice(2), cwd: process.cwd(), uid: process.getuid?.() })',
        "process.stdout.write('Content-Type: application/json\\n\\n' + body)",
        '',
      ].join('\n'),
    },
    'cgi-bin/child-dir/env.js': {
      text: "process.stdout.write('Content-Type: application/json\\n\\n' + JSON.stringify({ env: process.env, argv: process.argv.slice(2) }))\n",
    },
    'cgi-bin/env.mjs': {
      text: "process.stdout.write('Content-Type: text/plain\\n\\n' + process.env.SCRIPT_NAME + ' ' + (process.argv[2] ?? '-'))\n",
    },
    'cgi-bin/echo.sh': { text: `${SH}printf 'Content-Type: application/octet-stream\\n\\n'\nexec cat\n` },
    // Form fields from an urlencoded body (CPython's cgi_file2, without cgi.FieldStorage).
    'cgi-bin/form.py': {
      text: [
        'import os, sys, urllib.parse',
        'data = sys.stdin.buffer.read(int(os.environ.get("CONTENT_LENGTH") or 0))',
        'form = urllib.parse.parse_qs(data.decode())',
        'print("Content-type: text/plain")',
        'print()',
        'print("%s, %s, %s" % (form["spam"][0], form["eggs"][0], form["bacon"][0]))',
        '',
      ].join('\n'),
    },
    // argv as the script sees it: count, then one per line.
    'cgi-bin/args.sh': { text: `${SH}${CT_TEXT}echo "$#"\nfor a in "$@"; do printf '%s\\n' "$a"; done\n` },
    'cgi-bin/evil.sh': {
      text: `${SH}${CT_TEXT}printf '%s\\n' "$HTTP_X_EVIL" "$QUERY_STRING" "$1" "$PATH_INFO"\n`,
    },
    'cgi-bin/status.sh': { text: `${SH}printf 'Status: 201 Made It\\nContent-Type: text/plain\\nX-Script: yes\\n\\ncreated\\n'\n` },
    'cgi-bin/status-only.sh': { text: `${SH}printf 'Status: 404\\nContent-Type: text/plain\\n\\nnope\\n'\n` },
    'cgi-bin/redirect.sh': { text: `${SH}printf 'Location: https://example.com/next\\n\\n'\n` },
    'cgi-bin/crlf.sh': { text: `${SH}printf 'Content-Type: text/plain\\r\\nContent-Length: 6\\r\\n\\r\\nabcdefEXTRA'\n` },
    'cgi-bin/framing.sh': {
      text: `${SH}printf 'Content-Type: text/plain\\nTransfer-Encoding: chunked\\nConnection: keep-alive\\nContent-Length: 3\\nContent-Length: 9\\n\\nabc'\n`,
    },
    'cgi-bin/nohead.sh': { text: `${SH}echo 'just a body, no header block'\n` },
    'cgi-bin/badhead.sh': { text: `${SH}printf 'this is not a header\\n\\nbody\\n'\n` },
    'cgi-bin/fail.sh': { text: `${SH}${CT_TEXT}echo partial\necho 'something broke' >&2\necho 'second line' >&2\nexit 3\n` },
    // 5 MiB, more than any pipe buffer, deterministic.
    'cgi-bin/big.py': {
      text: [
        'import sys',
        'sys.stdout.buffer.write(b"Content-Type: application/octet-stream\\n\\n")',
        'block = bytes(range(256)) * 4096',
        'for _ in range(5):',
        '    sys.stdout.buffer.write(block)',
        '',
      ].join('\n'),
    },
    // `size` bytes (query), with a progress file, for back-pressure.
    'cgi-bin/flood.py': {
      text: [
        'import os, sys',
        'total = int(os.environ["QUERY_STRING"])',
        'sys.stdout.buffer.write(b"Content-Type: application/octet-stream\\n\\n")',
        'block = b"x" * 65536',
        'done = 0',
        'while done < total:',
        '    sys.stdout.buffer.write(block)',
        '    sys.stdout.buffer.flush()',
        '    done += len(block)',
        `    with open(${JSON.stringify(path.join(state, 'flood-progress'))}, "w") as f: f.write(str(done))`,
        '',
      ].join('\n'),
    },
    // Reads one line of its body, answers it, then reads the rest: the body is streamed in.
    'cgi-bin/stream-in.py': {
      text: [
        'import hashlib, sys',
        'first = sys.stdin.buffer.readline()',
        'sys.stdout.buffer.write(b"Content-Type: text/plain\\n\\n" + b"first:" + first)',
        'sys.stdout.buffer.flush()',
        'rest = sys.stdin.buffer.read()',
        'sys.stdout.buffer.write(b"rest:" + str(len(rest)).encode() + b"\\n")',
        '',
      ].join('\n'),
    },
    // Prints, waits for the test to say so, prints again: the output is streamed out.
    'cgi-bin/stream-out.sh': {
      text: `${SH}${CT_TEXT}echo first\nwhile [ ! -e "${state}/go-$QUERY_STRING" ]; do sleep 0.02; done\necho second\n`,
    },
    // Writes its pid and a grandchild's, then prints forever (until the client goes away).
    'cgi-bin/forever.sh': {
      text: `${SH}${CT_TEXT}sleep 300 &\necho $! > "${state}/grandchild-$QUERY_STRING"\necho $$ > "${state}/pid-$QUERY_STRING"\nwhile :; do echo tick; sleep 0.05; done\n`,
    },
    // Says nothing, runs long, with a grandchild: for the timeout.
    'cgi-bin/hang.sh': {
      text: `${SH}sleep 300 &\necho $! > "${state}/grandchild-$QUERY_STRING"\necho $$ > "${state}/pid-$QUERY_STRING"\nwait\n`,
    },
    // Sends its head and part of a body, then hangs: a timeout after the response began.
    'cgi-bin/stall.sh': { text: `${SH}${CT_TEXT}echo begun\nexec sleep 300\n` },
    // Holds a slot until the test creates `release-<query>`.
    'cgi-bin/wait.sh': {
      text: `${SH}${CT_TEXT}echo $$ > "${state}/pid-$QUERY_STRING"\necho started\nwhile [ ! -e "${state}/release-$QUERY_STRING" ]; do sleep 0.02; done\necho released\n`,
    },
    'cgi-bin/noexec.sh': { text: `${SH}touch "${state}/noexec-ran"\n${CT_TEXT}echo ran\n`, mode: 0o644 },
    'cgi-bin/.hidden.sh': { text: `${SH}touch "${state}/hidden-ran"\n${CT_TEXT}echo ran\n` },
    'cgi-bin/badinterp.sh': { text: '#!/nonexistent/interpreter\n' },
    'cgi-bin/noshebang': { text: `touch "${state}/noshebang-ran"\n` },
    'cgi-bin/subdir/inner.sh': { text: `${SH}${CT_TEXT}echo inner\n` },
    // Outside any script directory: served as files, never run.
    'plain.txt': { text: 'just text\n', mode: 0o644 },
    'run.sh': { text: `${SH}touch "${state}/root-run"\n${CT_TEXT}echo ran\n` },
    // Outside the root.
    [path.relative(path.join(base, 'www'), path.join(base, 'outside', 'evil.sh'))]: {
      text: `${SH}touch "${state}/outside-ran"\n${CT_TEXT}echo ran\n`,
    },
  }
}

/** Build the tree: every directory 0755 and every script 0755, so `nobody` can run them. */
export async function makeFixture(): Promise<Fixture> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-cgi-'))
  const root = path.join(base, 'www')
  const state = path.join(base, 'state')
  // mkdtemp makes 0700 directories: scripts running as nobody could not even reach the root.
  await chmod(base, 0o755)
  await mkdir(root, { mode: 0o755 })
  await mkdir(state)
  await chmod(state, 0o777)
  for (const [rel, { text, mode = 0o755 }] of Object.entries(scripts(state, base))) {
    const file = path.join(root, rel)
    await mkdir(path.dirname(file), { recursive: true, mode: 0o755 })
    await writeFile(file, text)
    await chmod(file, mode)
  }
  await mkdir(path.join(root, 'docs'), { mode: 0o755 })
  // A link in cgi-bin to a script outside the root, and one elsewhere that points into cgi-bin.
  await symlink(path.join(base, 'outside', 'evil.sh'), path.join(root, 'cgi-bin', 'link.sh'))
  await symlink('../cgi-bin', path.join(root, 'docs', 'alias'))
  await symlink('../cgi-bin/echo.sh', path.join(root, 'docs', 'echo-link.sh'))
  return {
    base,
    root,
    state,
    statePath: (name) => path.join(state, name),
    cleanup: () => rm(base, { recursive: true, force: true }),
  }
}

// ---- the server ---------------------------------------------------------------------------

/** A log sink for `logStream`. */
export class MemoryLog {
  text = ''

  write(text: string): void {
    this.text += text
  }

  get lines(): string[] {
    return this.text.split('\n').slice(0, -1)
  }
}

export interface HandlerSettings extends CGIOptions {
  readonly protocolVersion?: string
  readonly followSymlinks?: boolean
}

/** The handler class for a fixture, logging into `log`. */
export function handlerFor(
  root: string,
  log: MemoryLog,
  settings: HandlerSettings = {},
): typeof CGIHTTPRequestHandler {
  const { protocolVersion, followSymlinks, ...cgi } = settings
  const Base = CGIHTTPRequestHandler.withOptions({ directory: root, ...(followSymlinks === undefined ? {} : { followSymlinks }) })
  const Configured = Base.withCGIOptions(cgi)
  return class TestHandler extends Configured {
    override logStream = log
    override protocolVersion = protocolVersion ?? 'HTTP/1.0'
  }
}

export interface Served {
  readonly port: number
  readonly handlers: CGIHTTPRequestHandler[]
  /** Resolves when every connection accepted so far has finished `handle()`. */
  settled(): Promise<void>
}

const servers = new Set<net.Server>()
const sockets = new Set<Socket>()

/** Run `Handler` on a fresh `node:net` server on 127.0.0.1, port 0. */
export async function serve(Handler: typeof CGIHTTPRequestHandler): Promise<Served> {
  const handlers: CGIHTTPRequestHandler[] = []
  const done: Promise<void>[] = []
  const serverInfo = { serverName: 'localhost', serverPort: 0, headersTimeout: 10_000, keepAliveTimeout: 10_000, bodyTimeout: 10_000 }
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.setNoDelay(true)
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

// ---- the client ---------------------------------------------------------------------------

/** One response, read by @simplehttp/test-client's ResponseParser. */
export type RawResponse = TestResponse

/** The shared raw TCP client; sockets it opens are closed by `closeAll()`. */
export class RawClient extends TestClient {
  protected constructor(socket: Socket) {
    super(socket)
    sockets.add(socket)
  }
}

/** Send `bytes` on a new connection and return the response, read until the server closes. */
export async function request(port: number, bytes: string | Uint8Array, method = 'GET'): Promise<RawResponse> {
  const client = await RawClient.connect(port)
  await client.send(bytes)
  await client.whenClosed
  const [response] = parseResponses(client.data, [method], true)
  if (response === undefined) throw new Error(`no response: ${JSON.stringify(client.text.slice(0, 500))}`)
  return response
}

/** `GET <target> HTTP/1.0` with extra header lines. */
export function get(port: number, target: string, headers: readonly string[] = [], method = 'GET'): Promise<RawResponse> {
  return request(port, [`${method} ${target} HTTP/1.0`, ...headers, '', ''].join('\r\n'), method)
}

/** A POST with a Content-Length body. */
export function post(port: number, target: string, body: string | Buffer, headers: readonly string[] = []): Promise<RawResponse> {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body
  const head = [`POST ${target} HTTP/1.0`, `Content-Length: ${bytes.length}`, ...headers, '', ''].join('\r\n')
  return request(port, Buffer.concat([Buffer.from(head, 'latin1'), bytes]), 'POST')
}

/**
 * Every complete response in `data`, framed as a client must (HEAD, 1xx, 204/304, chunked,
 * Content-Length, or the close once `closed`). Throws if the bytes are not HTTP.
 */
export function parseResponses(data: Buffer, methods: readonly string[], closed: boolean): RawResponse[] {
  const { responses, error } = readResponses(data, { methods, closed })
  if (error !== undefined) throw new Error(`not a valid response: ${error.code} ${error.message}`)
  return responses
}

// ---- processes ----------------------------------------------------------------------------

/** Poll `check` (every 20 ms, at most `tries` times) until it holds; for conditions, never for timing. */
export async function eventually(check: () => boolean, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`never happened: ${what}`)
}

/** Whether a process is alive (a zombie someone else must reap counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')
  } catch {
    return true
  }
}

/** The pid a script wrote to `state/<name>`, once it exists. */
export async function pidFrom(fixture: Fixture, name: string): Promise<number> {
  const file = fixture.statePath(name)
  await eventually(() => existsSync(file) && readFileSync(file, 'utf8').trim() !== '', `${name} written`)
  return Number(readFileSync(file, 'utf8').trim())
}

/** This process's children, as `ps` lists them (zombies included, `Z` in the state column). */
export function childProcesses(): string[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,stat=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    // `ps` itself is our child while it runs.
    return out
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !/\bps -o\b/.test(line))
  } catch {
    // ps exits 1 when nothing matched.
    return []
  }
}

/** After a test file: no script, grandchild or zombie of ours is left. */
export async function expectNoLeftovers(pids: readonly number[] = []): Promise<void> {
  await eventually(() => pids.every((pid) => !alive(pid)), `processes ${pids.join(', ')} gone`)
  await eventually(() => childProcesses().length === 0, 'no child processes left')
}

/**
 * The lifecycle every CGI test file shares: a fresh fixture tree for the file, servers closed
 * after each test, and at the end no script, grandchild (`pids`) or zombie left behind.
 */
export function useCGIServer(pids: readonly number[] = []): {
  readonly fixture: Fixture
  start(settings?: Parameters<typeof handlerFor>[2]): Promise<{ port: number; log: MemoryLog }>
} {
  let current: Fixture | undefined
  beforeAll(async () => {
    current = await makeFixture()
  })
  afterAll(async () => {
    await closeAll()
    try {
      await expectNoLeftovers(pids)
    } finally {
      await current?.cleanup()
    }
  })
  afterEach(closeAll)
  return {
    get fixture(): Fixture {
      if (current === undefined) throw new Error('the fixture exists once beforeAll has run')
      return current
    },
    async start(settings = {}) {
      const log = new MemoryLog()
      const { port } = await serve(handlerFor(this.fixture.root, log, settings))
      return { port, log }
    },
  }
}
