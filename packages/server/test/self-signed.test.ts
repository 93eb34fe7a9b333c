import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { generateSelfSignedCertificate, isSimpleHTTPError } from '../src/index.js'
import { EchoHandler, listening, makeServer } from './helpers.js'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'simplehttp-self-signed-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('generateSelfSignedCertificate', () => {
  it('makes an ECDSA P-256 certificate for the given names and addresses that openssl reads and verifies', async () => {
    const now = new Date('2026-12-04T12:00:00Z')
    const made = generateSelfSignedCertificate({ hosts: ['localhost', '127.0.0.1', '::1', 'box.lan', 'fe80::1'], now })
    const path = join(dir, 'cert.pem')
    writeFileSync(path, made.cert)
    const { stdout: text } = await run('openssl', ['x509', '-in', path, '-noout', '-text'])
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256')
    expect(text).toContain('NIST CURVE: P-256')
    expect(text).toContain('CA:FALSE')
    expect(text).toContain('TLS Web Server Authentication')
    expect(text).toContain(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:box.lan, IP Address:FE80:0:0:0:0:0:0:1',
    )
    expect(text).toContain('Not Before: Dec  4 11:00:00 2026 GMT')
    expect(text).toContain('Not After : Dec 11 12:00:00 2026 GMT')
    // Self-signed and well-formed enough for OpenSSL's strict checks.
    const { stdout: verified } = await run('openssl', ['verify', '-x509_strict', '-CAfile', path, path])
    expect(verified.trim()).toBe(`${path}: OK`)
    const { stdout: fingerprint } = await run('openssl', ['x509', '-in', path, '-noout', '-fingerprint', '-sha256'])
    expect(fingerprint.trim()).toBe(`sha256 Fingerprint=${made.fingerprint256}`)
    expect(new X509Certificate(made.cert).checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(made.key)))).toBe(true)
  })

  it('covers localhost, loopback and this host name by default, for about a week', () => {
    const made = generateSelfSignedCertificate()
    const names = new X509Certificate(made.cert).subjectAltName ?? ''
    expect(names).toContain('DNS:localhost')
    expect(names).toContain('IP Address:127.0.0.1')
    expect(names).toContain('IP Address:0:0:0:0:0:0:0:1')
    expect(names).toContain(`DNS:${hostname()}`)
    const days = (made.validTo.getTime() - made.validFrom.getTime()) / 86_400_000
    expect(days).toBeGreaterThan(7)
    expect(days).toBeLessThan(7.1)
  })

  it('makes a new key every time', () => {
    expect(generateSelfSignedCertificate().fingerprint256).not.toBe(generateSelfSignedCertificate().fingerprint256)
  })
})

describe('HTTPServer with tls.selfSigned', () => {
  it('serves HTTPS that curl and Python verify against the served certificate, and writes nothing to disk', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'simplehttp-self-signed-cwd-'))
    const before = process.cwd()
    process.chdir(cwd)
    try {
      const server = await listening(EchoHandler, { tls: { selfSigned: true } })
      const made = server.selfSignedCertificate
      expect(made).toBeDefined()
      const ca = join(dir, 'served.pem')
      writeFileSync(ca, made?.cert ?? '')
      const url = `https://localhost:${server.serverPort}/`
      const curl = await run('curl', ['-sS', '--cacert', ca, url])
      expect(curl.stdout).toContain('127.0.0.1')
      const python = await run('python3', [
        '-c',
        'import ssl,sys,urllib.request;ctx=ssl.create_default_context(cafile=sys.argv[1]);print(urllib.request.urlopen(sys.argv[2],context=ctx).status)',
        ca,
        `https://127.0.0.1:${server.serverPort}/`,
      ])
      expect(python.stdout.trim()).toBe('200')
      // openssl s_client shows the names the certificate covers.
      const { stdout } = await run('sh', [
        '-c',
        `echo | openssl s_client -connect 127.0.0.1:${server.serverPort} -CAfile ${ca} -verify_return_error 2>/dev/null | openssl x509 -noout -ext subjectAltName`,
      ])
      expect(stdout).toContain('DNS:localhost')
      expect(stdout).toContain('IP Address:127.0.0.1')
      expect(readdirSync(cwd)).toEqual([])
    } finally {
      process.chdir(before)
      rmSync(cwd, { recursive: true, force: true })
    }
  })

  it('refuses a certificate given twice', () => {
    let caught: unknown
    try {
      makeServer({ host: '127.0.0.1', port: 0 }, EchoHandler, { tls: { selfSigned: true, certFile: '/x.pem' } })
    } catch (error) {
      caught = error
    }
    expect(isSimpleHTTPError(caught) && caught.code).toBe('SH_ERR_SERVER_TLS')
  })
})
