import { execFileSync } from 'node:child_process'
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { get as httpsGet } from 'node:https'
import { connect, createServer } from 'node:net'
import type { Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { BaseHTTPRequestHandler } from '@simplehttp/handler'
import { HTTPServer } from '@simplehttp/server'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { formatBanner, formatUsage, run } from '../src/index.js'
import type { CliDeps, HandlerClass, ServerClass, ServerLike } from '../src/index.js'
import { Sink, bannerPort, recordingHandlerFor, start, stopAll } from './helpers.js'
import type { Echo } from './helpers.js'

const USAGE = formatUsage()

let tmp: string
beforeAll(() => {
  tmp = realpathSync(mkdtempSync(join(tmpdir(), 'simplehttp-cli-')))
})
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true })
})
afterEach(stopAll)

// The real HTTPServer satisfies the structural contract (checked by `pnpm typecheck`).
const realServer: ServerClass = HTTPServer

async function fetchEcho(port: number): Promise<{ echo: Echo; headers: Headers }> {
  const response = await fetch(`http://127.0.0.1:${port}/`)
  return { echo: (await response.json()) as Echo, headers: response.headers }
}

function isClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => {
      resolve(true)
    })
  })
}

describe('run(): serving', () => {
  it('prints the exact banner with the real port and serves requests', async () => {
    const cli = start(['-b', '127.0.0.1', '0'], { cwd: tmp })
    const port = await bannerPort(cli)
    expect(port).toBeGreaterThan(0)
    expect(cli.stdout.text).toBe(`Serving HTTP on 127.0.0.1 port ${port} (http://127.0.0.1:${port}/) ...\n`)
    const { echo } = await fetchEcho(port)
    expect(echo).toEqual({ protocolVersion: 'HTTP/1.1', directory: tmp })
    // The access log is the handler's, on its logStream (stderr in the app).
    expect(cli.log.text).toMatch(/^127\.0\.0\.1 - - \[.+\] "GET \/ HTTP\/1\.1" 200 -\n$/)
    expect(cli.stderr.text).toBe('')
  })

  it('gives handlerFor the options from the command line', async () => {
    writeFileSync(join(tmp, 'not-a-dir.txt'), 'x')
    const cli = start(
      [
        '-b', '127.0.0.1', '-d', '.', '--cgi', '--follow-symlinks', '--dotfiles', '--precompressed', '--listing=rich',
        '-H', 'X-A: b', '--header=X-Frame-Options:DENY', '--cors', '-p', 'HTTP/1.0', '0',
      ],
      { cwd: tmp },
    )
    await bannerPort(cli)
    expect(cli.calls).toEqual([
      {
        directory: tmp,
        protocolVersion: 'HTTP/1.0',
        cgi: true,
        extraHeaders: [
          ['X-A', 'b'],
          ['X-Frame-Options', 'DENY'],
          ['Access-Control-Allow-Origin', '*'],
        ],
        followSymlinks: true,
        dotfiles: true,
        precompressed: true,
        compress: false,
        watch: false,
        listing: 'rich',
        archive: false,
        quiet: false,
        upload: false,
        delete: false,
        webdav: false,
        maxUpload: undefined,
        onDuplicate: undefined,
      },
    ])
  })

  it('-H and --cors headers reach the response', async () => {
    const cli = start(['-b', '127.0.0.1', '-H', 'X-A: b', '--cors', '0'], { cwd: tmp })
    const { headers } = await fetchEcho(await bannerPort(cli))
    expect(headers.get('x-a')).toBe('b')
    expect(headers.get('access-control-allow-origin')).toBe('*')
  })

  it('an explicit -H Access-Control-Allow-Origin wins over --cors', async () => {
    const cli = start(['-b', '127.0.0.1', '--cors', '-H', 'Access-Control-Allow-Origin: https://a.example', '0'])
    await bannerPort(cli)
    expect(cli.calls[0]?.extraHeaders).toEqual([['Access-Control-Allow-Origin', 'https://a.example']])
  })

  it('--protocol HTTP/1.0 reaches the handler class, whatever class handlerFor returns', async () => {
    const cli = start(['-b', '127.0.0.1', '--protocol', 'HTTP/1.0', '0'])
    const { echo } = await fetchEcho(await bannerPort(cli))
    expect(echo.protocolVersion).toBe('HTTP/1.0')
  })

  it('the default HTTP/1.1 overrides a handler class that says HTTP/1.0 (as BaseHTTPRequestHandler does)', async () => {
    const log = new Sink()
    const { handlerFor } = recordingHandlerFor(log)
    const legacy = (options: Parameters<typeof handlerFor>[0]): HandlerClass =>
      class Legacy extends handlerFor(options) {
        override protocolVersion = 'HTTP/1.0'
      }
    const cli = start(['-b', '127.0.0.1', '0'], { handlerFor: legacy })
    const { echo } = await fetchEcho(await bannerPort(cli))
    expect(echo.protocolVersion).toBe('HTTP/1.1')
    expect(log.text).toContain('"GET / HTTP/1.1" 200 -')
  })

  it('-q silences the access log', async () => {
    const cli = start(['-b', '127.0.0.1', '-q', '0'])
    const port = await bannerPort(cli)
    await fetchEcho(port)
    await fetchEcho(port)
    expect(cli.calls[0]?.quiet).toBe(true)
    expect(cli.log.text).toBe('')
  })
})

describe('run(): stopping', () => {
  it('SIGINT prints the keyboard-interrupt line, closes the port and resolves 0', async () => {
    const cli = start(['-b', '127.0.0.1', '0'])
    const port = await bannerPort(cli)
    cli.signals.emit('SIGINT')
    await expect(cli.exit).resolves.toBe(0)
    expect(cli.stdout.text).toBe(
      `Serving HTTP on 127.0.0.1 port ${port} (http://127.0.0.1:${port}/) ...\n\nKeyboard interrupt received, exiting.\n`,
    )
    expect(cli.stderr.text).toBe('')
    expect(await isClosed(port)).toBe(true)
    expect(cli.signals.listenerCount('SIGINT')).toBe(0)
    expect(cli.signals.listenerCount('SIGTERM')).toBe(0)
  })

  it('SIGTERM stops gracefully: a kept-alive idle connection does not hold it up; resolves 0 silently', async () => {
    const cli = start(['-b', '127.0.0.1', '0'])
    const port = await bannerPort(cli)
    await fetchEcho(port) // fetch keeps the connection alive
    cli.signals.emit('SIGTERM')
    await expect(cli.exit).resolves.toBe(0)
    expect(cli.stdout.text).not.toContain('Keyboard interrupt')
    expect(await isClosed(port)).toBe(true)
  })

  it('a second signal during a graceful stop stops at once', async () => {
    const cli = start(['-b', '127.0.0.1', '0'])
    await bannerPort(cli)
    cli.signals.emit('SIGTERM')
    cli.signals.emit('SIGINT')
    await expect(cli.exit).resolves.toBe(0)
  })
})

describe('run(): help, version and usage errors', () => {
  it('--help prints the help on stdout and exits 0 without starting anything', async () => {
    const cli = start(['--help'])
    await expect(cli.exit).resolves.toBe(0)
    expect(cli.stdout.text).toMatch(/^usage: simplehttp \[-h\]/)
    expect(cli.stdout.text).toContain('--tls-password-file PATH')
    expect(cli.stderr.text).toBe('')
    expect(cli.calls).toEqual([])
  })

  it('--version prints "<prog> <version>"', async () => {
    const cli = start(['--version'], { version: '1.2.3' })
    await expect(cli.exit).resolves.toBe(0)
    expect(cli.stdout.text).toBe('simplehttp 1.2.3\n')
  })

  it('--version defaults to this package version', async () => {
    const cli = start(['--version'], { prog: 'sh' })
    await expect(cli.exit).resolves.toBe(0)
    expect(cli.stdout.text).toMatch(/^sh \d+\.\d+\.\d+\S*\n$/)
  })

  const usageErrors: [string[], string][] = [
    [['--nope'], 'unrecognized arguments: --nope'],
    [['abc'], "argument port: invalid int value: 'abc'"],
    [['--tls-key', 'k.pem'], '--tls-key requires --tls-cert to be set'],
    [['-d', 'does-not-exist'], "argument -d/--directory: no such directory: 'does-not-exist'"],
    [['-d', 'not-a-dir.txt'], "argument -d/--directory: not a directory: 'not-a-dir.txt'"],
    [['-d', 'not-a-dir.txt/sub'], "argument -d/--directory: no such directory: 'not-a-dir.txt/sub'"],
  ]
  it.each(usageErrors)('%j: usage line, one error line, exit 2, nothing started', async (argv, message) => {
    writeFileSync(join(tmp, 'not-a-dir.txt'), 'x')
    const cli = start(['-b', '127.0.0.1', ...argv], { cwd: tmp })
    await expect(cli.exit).resolves.toBe(2)
    expect(cli.stderr.text).toBe(`${USAGE}simplehttp: error: ${message}\n`)
    expect(cli.stdout.text).toBe('')
    expect(cli.calls).toEqual([])
  })

  it('uses the program name it is given', async () => {
    const cli = start(['--nope'], { prog: 'npx simplehttp' })
    await expect(cli.exit).resolves.toBe(2)
    expect(cli.stderr.text).toBe(`${formatUsage({ prog: 'npx simplehttp' })}npx simplehttp: error: unrecognized arguments: --nope\n`)
  })
})

describe('run(): start-up errors are one line and exit 1', () => {
  let blocker: Server | undefined
  afterEach(() => {
    blocker?.close()
    blocker = undefined
  })

  it('port in use', async () => {
    blocker = createServer()
    blocker.listen(0, '127.0.0.1')
    await once(blocker, 'listening')
    const { port } = blocker.address() as { port: number }
    const cli = start(['-b', '127.0.0.1', String(port)])
    await expect(cli.exit).resolves.toBe(1)
    expect(cli.stderr.text).toBe(
      `simplehttp: error: port ${port} is already in use on 127.0.0.1; try a different port, e.g. simplehttp ${port + 1}\n`,
    )
    expect(cli.stdout.text).toBe('')
  })

  it('an address that is not on this machine', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): no interface has it.
    const cli = start(['-b', '192.0.2.1', '0'])
    await expect(cli.exit).resolves.toBe(1)
    expect(cli.stderr.text).toBe(
      "simplehttp: error: cannot bind to '192.0.2.1': no network interface of this machine has that address\n",
    )
  })

  it('a host name that does not resolve', async () => {
    // .invalid never resolves (RFC 6761).
    const cli = start(['-b', 'no-such-host.invalid', '0'])
    await expect(cli.exit).resolves.toBe(1)
    expect(cli.stderr.text).toMatch(/^simplehttp: error: cannot bind to 'no-such-host\.invalid': .+\n$/)
    expect(cli.stderr.text.split('\n')).toHaveLength(2)
  })

  /** A server class whose listen() fails the way HTTPServer's does. */
  function failingServer(code: string, message: string, cause?: string): ServerClass {
    return class FailingServer implements ServerLike {
      readonly serverAddress = ['127.0.0.1', 0] as const
      readonly url = 'http://127.0.0.1:0/'
      listen(): Promise<void> {
        const error = Object.assign(new Error(message, { cause: { code: cause } }), { code })
        ;(error as unknown as Record<symbol, boolean>)[Symbol.for('simplehttp.error')] = true
        return Promise.reject(error)
      }
      serveForever(): Promise<void> {
        return Promise.resolve()
      }
      shutdown(): Promise<void> {
        return Promise.resolve()
      }
      serverClose(): Promise<void> {
        return Promise.resolve()
      }
    }
  }

  it.each([
    [['80'], 'permission denied binding port 80; ports below 1024 need privileges, try 8000'],
    [['-b', '10.0.0.1', '8080'], 'permission denied binding port 8080 on 10.0.0.1'],
  ])('permission denied %j', async (argv, line) => {
    const cli = start(argv, { Server: failingServer('SH_ERR_SERVER_PERMISSION_DENIED', 'EACCES', 'EACCES') })
    await expect(cli.exit).resolves.toBe(1)
    expect(cli.stderr.text).toBe(`simplehttp: error: ${line}\n`)
  })

  it('port in use on every interface', async () => {
    const cli = start(['65535'], { Server: failingServer('SH_ERR_SERVER_ADDRESS_IN_USE', 'in use', 'EADDRINUSE') })
    await expect(cli.exit).resolves.toBe(1)
    expect(cli.stderr.text).toBe(
      'simplehttp: error: port 65535 is already in use on all interfaces; try a different port, e.g. simplehttp 65534\n',
    )
  })

  it('an unexpected error is the one case with a stack trace', async () => {
    const cli = start(['-b', '127.0.0.1', '0'], {
      handlerFor: () => {
        throw new TypeError('boom')
      },
    })
    await expect(cli.exit).resolves.toBe(1)
    expect(cli.stderr.text).toMatch(/^TypeError: boom\n\s+at /)
  })
})

describe('run(): TLS', () => {
  let cert: string
  let key: string
  let otherKey: string
  let encryptedCert: string
  let encryptedKey: string

  beforeAll(() => {
    const openssl = (...args: string[]): void => {
      execFileSync('/usr/bin/openssl', args, { stdio: 'ignore' })
    }
    cert = join(tmp, 'cert.pem')
    key = join(tmp, 'key.pem')
    otherKey = join(tmp, 'other-key.pem')
    encryptedCert = join(tmp, 'enc-cert.pem')
    encryptedKey = join(tmp, 'enc-key.pem')
    const req = ['req', '-x509', '-newkey', 'rsa:2048', '-subj', '/CN=localhost', '-days', '1']
    openssl(...req, '-nodes', '-keyout', key, '-out', cert)
    openssl(...req, '-nodes', '-keyout', otherKey, '-out', join(tmp, 'other-cert.pem'))
    openssl(...req, '-passout', 'pass:s3cret', '-keyout', encryptedKey, '-out', encryptedCert)
    writeFileSync(join(tmp, 'password.txt'), '  s3cret\n')
  })

  function getHTTPS(port: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      httpsGet({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false }, (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => (body += chunk))
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body })
        })
      }).on('error', reject)
    })
  }

  it('--tls-cert and --tls-key serve HTTPS and say so in the banner', async () => {
    const cli = start(['-b', '127.0.0.1', '--tls-cert', cert, '--tls-key', key, '0'])
    const port = await bannerPort(cli)
    expect(cli.stdout.text).toBe(`Serving HTTPS on 127.0.0.1 port ${port} (https://127.0.0.1:${port}/) ...\n`)
    const { status, body } = await getHTTPS(port)
    expect(status).toBe(200)
    expect(JSON.parse(body)).toMatchObject({ protocolVersion: 'HTTP/1.1' })
  })

  it('--tls-password-file decrypts the key (read as UTF-8, stripped, relative to cwd)', async () => {
    const cli = start(
      ['-b', '127.0.0.1', '--tls-cert', encryptedCert, '--tls-key', encryptedKey, '--tls-password-file', 'password.txt', '0'],
      { cwd: tmp },
    )
    const port = await bannerPort(cli)
    expect((await getHTTPS(port)).status).toBe(200)
  })

  it('a key that does not match the certificate: one line, exit 1', async () => {
    const cli = start(['-b', '127.0.0.1', '--tls-cert', cert, '--tls-key', otherKey, '0'])
    await expect(cli.exit).resolves.toBe(1)
    expect(cli.stderr.text).toMatch(/^simplehttp: error: [^\n]*does not match the certificate[^\n]*\n$/)
    expect(cli.stdout.text).toBe('')
  })

  it('a certificate file that does not exist: one line, exit 1', async () => {
    const cli = start(['-b', '127.0.0.1', '--tls-cert', join(tmp, 'missing.pem'), '0'])
    await expect(cli.exit).resolves.toBe(1)
    expect(cli.stderr.text).toMatch(/^simplehttp: error: [^\n]*missing\.pem[^\n]*\n$/)
  })

  it('--tls-key without --tls-cert: exit 2', async () => {
    const cli = start(['-b', '127.0.0.1', '--tls-key', key, '0'])
    await expect(cli.exit).resolves.toBe(2)
    expect(cli.stderr.text).toBe(`${USAGE}simplehttp: error: --tls-key requires --tls-cert to be set\n`)
  })

  it('a password file that cannot be read: exit 2, with the OS error as Python words it', async () => {
    const cli = start(['-b', '127.0.0.1', '--tls-cert', cert, '--tls-password-file', 'missing.txt', '0'], { cwd: tmp })
    await expect(cli.exit).resolves.toBe(2)
    expect(cli.stderr.text).toBe(
      `${USAGE}simplehttp: error: Failed to read TLS password file: [Errno 2] No such file or directory: 'missing.txt'\n`,
    )
  })
})

describe('formatBanner', () => {
  it.each([
    [['0.0.0.0', 8000], 'http://0.0.0.0:8000/', 'Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ...'],
    [['::', 8000], 'http://[::]:8000/', 'Serving HTTP on :: port 8000 (http://[::]:8000/) ...'],
    [['::1', 4443], 'https://[::1]:4443/', 'Serving HTTPS on ::1 port 4443 (https://[::1]:4443/) ...'],
  ] as const)('%j', (serverAddress, url, banner) => {
    expect(formatBanner({ serverAddress, url })).toBe(banner)
  })
})

describe('types', () => {
  it('CliDeps accepts the real server and process streams', () => {
    const deps: CliDeps = {
      Server: realServer,
      handlerFor: () => BaseHTTPRequestHandler,
      stdout: process.stdout,
      stderr: process.stderr,
      signals: process,
    }
    expect(typeof run).toBe('function')
    expect(deps.Server).toBe(HTTPServer)
  })
})
