/**
 * Every bad command line through the real bin: the exit code and the exact stderr (argparse's
 * usage line and one `simplehttp: error: …` line, or that one line alone when the server could
 * not start), never a stack trace, nothing on stdout.
 */
import { once } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { USAGE, cleanup, makeTree, runApp } from './helpers.js'

afterEach(cleanup)

let root: string

beforeEach(async () => {
  root = await makeTree({ 'hello.txt': 'hello\n', 'cert.pem': 'not a certificate\n' })
})

/** Run the bin in `root` and check the exit code, stderr exactly, and that stdout is empty. */
async function expectFailure(args: readonly string[], code: 1 | 2, stderr: string): Promise<void> {
  const result = await runApp(args, root)
  expect(result.exit).toEqual({ code, signal: null })
  expect(result.stderr).toBe(stderr)
  expect(result.stdout).toBe('')
}

/** A usage error: argparse's two lines, exit code 2. */
function usage(message: string): string {
  return `${USAGE}\nsimplehttp: error: ${message}\n`
}

describe('bad input, through the real bin', () => {
  it('port not a number', async () => {
    await expectFailure(['abc'], 2, usage("argument port: invalid int value: 'abc'"))
    await expectFailure(['-b', '127.0.0.1', '80.5'], 2, usage("argument port: invalid int value: '80.5'"))
  })

  it('port out of range', async () => {
    await expectFailure(['70000'], 2, usage('argument port: invalid port: 70000 (expected 0 to 65535)'))
    await expectFailure(['-1'], 2, usage('argument port: invalid port: -1 (expected 0 to 65535)'))
  })

  it('port in use: one line naming the port and a free one to try, exit 1', async () => {
    const taken = createServer()
    taken.listen(0, '127.0.0.1')
    await once(taken, 'listening')
    try {
      const { port } = taken.address() as AddressInfo
      const next = port < 65535 ? port + 1 : port - 1
      await expectFailure(
        ['-b', '127.0.0.1', String(port)],
        1,
        `simplehttp: error: port ${port} is already in use on 127.0.0.1; try a different port, e.g. simplehttp ${next}\n`,
      )
    } finally {
      taken.close()
    }
  })

  it('unknown flag: the usage line and unrecognized arguments', async () => {
    await expectFailure(['--nope'], 2, usage('unrecognized arguments: --nope'))
    await expectFailure(['8000', '--nope', 'extra'], 2, usage('unrecognized arguments: --nope extra'))
  })

  it('missing directory', async () => {
    await expectFailure(['-d', 'site', '0'], 2, usage("argument -d/--directory: no such directory: 'site'"))
    const absent = path.join(root, 'absent')
    await expectFailure(['--directory', absent, '0'], 2, usage(`argument -d/--directory: no such directory: '${absent}'`))
  })

  it('a file as the directory', async () => {
    await expectFailure(['-d', 'hello.txt', '0'], 2, usage("argument -d/--directory: not a directory: 'hello.txt'"))
  })

  it('--tls-key without --tls-cert', async () => {
    await expectFailure(['--tls-key', 'key.pem', '0'], 2, usage('--tls-key requires --tls-cert to be set'))
  })

  it('an unreadable certificate: one line, exit 1', async () => {
    const missing = path.join(root, 'missing.pem')
    await expectFailure(
      ['-b', '127.0.0.1', '--tls-cert', missing, '0'],
      1,
      `simplehttp: error: cannot read the TLS certificate file: expected a readable PEM file, got "${missing}" (ENOENT)\n`,
    )
    // A folder cannot be read as a file either (and root can read any file, whatever its mode).
    const folder = path.join(root, 'certs')
    await mkdir(folder)
    await expectFailure(
      ['-b', '127.0.0.1', '--tls-cert', folder, '0'],
      1,
      `simplehttp: error: cannot read the TLS certificate file: expected a readable PEM file, got "${folder}" (EISDIR)\n`,
    )
    // A file that is readable but holds no PEM.
    await expectFailure(
      ['-b', '127.0.0.1', '--tls-cert', 'cert.pem', '0'],
      1,
      'simplehttp: error: cannot use the TLS certificate and key: expected PEM data with a certificate and its ' +
        'private key (with no tls.keyFile, the key is read from the certificate), got an error from OpenSSL: ' +
        'error:0480006C:PEM routines::no start line\n',
    )
  })

  it('a few more the CLI checks before binding', async () => {
    await expectFailure(['-b'], 2, usage('argument -b/--bind: expected one argument'))
    await expectFailure(
      ['-p', 'HTTP/2', '0'],
      2,
      usage("argument -p/--protocol: invalid choice: 'HTTP/2' (choose from HTTP/1.0, HTTP/1.1)"),
    )
    await expectFailure(['--tls-password-file', 'pw.txt', '0'], 2, usage('--tls-password-file requires --tls-cert to be set'))
    await expectFailure(['-H', 'X-Frame-Options', '0'], 2, usage('Header X-Frame-Options must be of the form Header: value'))
  })

  it('--version and --help go to stdout with exit 0', async () => {
    const version = await runApp(['--version'], root)
    expect(version.exit).toEqual({ code: 0, signal: null })
    expect(version.stdout).toMatch(/^simplehttp \d+\.\d+\.\d+\n$/)
    const help = await runApp(['--help'], root)
    expect(help.exit).toEqual({ code: 0, signal: null })
    expect(help.stdout).toMatch(/^usage: simplehttp /)
    expect(help.stdout).toContain('--tls-cert PATH')
    expect(help.stderr).toBe('')
  })
})
