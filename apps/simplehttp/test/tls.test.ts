/**
 * HTTPS end to end: a self-signed certificate made with openssl, the app serving with
 * `--tls-cert`/`--tls-key`, curl -k fetching through it; and a key that does not belong to the
 * certificate, which must be one line on stderr and exit code 1.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cleanup, header, makeTree, mustRun, runApp, runCommand, splitResponse, startApp } from './helpers.js'

afterEach(cleanup)

const HELLO = 'hello over TLS\n'

/** `openssl req -x509 …` into `dir`: a self-signed certificate for CN=localhost and its key. */
async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, `${name}-cert.pem`)
  const key = path.join(dir, `${name}-key.pem`)
  await mustRun('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-days',
    '1',
    '-keyout',
    key,
    '-out',
    cert,
  ])
  return { cert, key }
}

let certs: string
let good: { cert: string; key: string }
let other: { cert: string; key: string }

beforeAll(async () => {
  // Made once for the file, in a folder of its own that outlives each test's cleanup.
  certs = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-tls-'))
  ;[good, other] = await Promise.all([selfSigned(certs, 'good'), selfSigned(certs, 'other')])
}, 60_000)

afterAll(async () => {
  await rm(certs, { recursive: true, force: true })
})

describe('TLS', () => {
  it('--tls-cert/--tls-key: the banner says HTTPS and curl -k gets the file', async () => {
    const root = await makeTree({ 'hello.txt': HELLO, 'sub/x.txt': 'x\n' })
    const app = await startApp(root, '--tls-cert', good.cert, '--tls-key', good.key)
    expect(app.banner).toBe(`Serving HTTPS on 127.0.0.1 port ${app.port} (https://127.0.0.1:${app.port}/) ...`)
    expect(app.origin).toBe(`https://127.0.0.1:${app.port}`)

    const { status, headers, body } = splitResponse(await mustRun('curl', ['-sS', '-k', '-i', `${app.origin}/hello.txt`]))
    expect(status).toBe('HTTP/1.1 200 OK')
    expect(header(headers, 'Content-type')).toBe('text/plain')
    expect(body.toString()).toBe(HELLO)

    // The certificate curl saw is ours (CN=localhost), and keep-alive works over TLS too.
    const verbose = await runCommand('curl', ['-sS', '-k', '-v', `${app.origin}/hello.txt`, `${app.origin}/sub/x.txt`])
    expect(verbose.code).toBe(0)
    expect(verbose.stdout.toString()).toBe(`${HELLO}x\n`)
    expect(verbose.stderr).toMatch(/subject: CN ?= ?localhost/)
    expect(verbose.stderr).toContain('Re-using existing connection')

    // Plain HTTP to the HTTPS port gets no HTTP answer.
    const plain = await runCommand('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${app.port}/hello.txt`])
    expect(plain.code).not.toBe(0)
    expect(plain.stdout.toString()).toBe('000')
  })

  it('the key inside the certificate file: --tls-cert alone is enough', async () => {
    const both = path.join(certs, 'both.pem')
    await writeFile(both, Buffer.concat([await readFile(good.cert), await readFile(good.key)]))
    const root = await makeTree({ 'hello.txt': HELLO })
    const app = await startApp(root, '--tls-cert', both)
    expect(app.banner).toMatch(/^Serving HTTPS on /)
    expect((await mustRun('curl', ['-sS', '-k', `${app.origin}/hello.txt`])).toString()).toBe(HELLO)
  })

  it('a key that does not match the certificate: exit 1 and one line on stderr', async () => {
    const root = await makeTree({ 'hello.txt': HELLO })
    const { exit, stdout, stderr } = await runApp(
      ['-b', '127.0.0.1', '-d', root, '--tls-cert', good.cert, '--tls-key', other.key, '0'],
      root,
    )
    expect(exit).toEqual({ code: 1, signal: null })
    expect(stdout).toBe('')
    expect(stderr).toBe(
      `simplehttp: error: the TLS key in "${other.key}" does not match the certificate: expected the certificate's private key\n`,
    )
  })
})
