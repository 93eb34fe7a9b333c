import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { HTTPServer } from '../src/index.js'
import type { TLSOptions } from '../src/index.js'
import { EchoHandler, body, get, getTLS, listening, makeServer, open, openTLS, probe, readAll, until } from './helpers.js'

// Certificates are made fresh for this run: nothing secret is checked in.
const dir = mkdtempSync(join(tmpdir(), 'simplehttp-server-tls-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { stdio: 'ignore' })
}
const file = (name: string): string => join(dir, name)
const selfSigned = ['req', '-x509', '-newkey', 'rsa:2048', '-subj', '/CN=localhost', '-days', '1']
openssl(...selfSigned, '-nodes', '-keyout', file('key.pem'), '-out', file('cert.pem'))
openssl(...selfSigned, '-passout', 'pass:secret', '-keyout', file('enc-key.pem'), '-out', file('enc-cert.pem'))
writeFileSync(file('combined.pem'), Buffer.concat([readFileSync(file('cert.pem')), readFileSync(file('key.pem'))]))

async function tlsError(tls: TLSOptions): Promise<unknown> {
  return makeServer({ host: '127.0.0.1', port: 0 }, EchoHandler, { tls })
    .listen()
    .then(
      () => new Error('expected listen() to reject'),
      (error: unknown) => error,
    )
}

describe('TLS', () => {
  it('serves HTTPS through the same handler, offering ALPN http/1.1', async () => {
    const server = await listening(EchoHandler, { tls: { certFile: file('cert.pem'), keyFile: file('key.pem') } })
    expect(server.url).toBe(`https://127.0.0.1:${server.serverPort}/`)
    const { text, alpn } = await getTLS(server.serverPort)
    expect(body(text)).toContain('127.0.0.1')
    expect(alpn).toBe('http/1.1')
    await until(() => server.connectionCount === 0)
  })

  it('reads the key from the certificate file when no key file is given, as CPython does', async () => {
    const server = await listening(EchoHandler, { tls: { certFile: file('combined.pem') } })
    expect(body((await getTLS(server.serverPort)).text)).toContain('127.0.0.1')
  })

  it('takes PEM data instead of files', async () => {
    const cert = readFileSync(file('cert.pem'))
    const key = readFileSync(file('key.pem'), 'utf8')
    const server = await listening(EchoHandler, { tls: { cert, key } })
    expect(body((await getTLS(server.serverPort)).text)).toContain('127.0.0.1')
  })

  it('decrypts a key with its password', async () => {
    const tls = { certFile: file('enc-cert.pem'), keyFile: file('enc-key.pem'), password: 'secret' }
    const server = await listening(EchoHandler, { tls })
    expect(body((await getTLS(server.serverPort)).text)).toContain('127.0.0.1')
  })

  it('survives a failed handshake and keeps serving', async () => {
    const server = await listening(EchoHandler, { tls: { certFile: file('combined.pem') } })
    // Plain HTTP to an HTTPS port: the handshake fails, for this connection only.
    expect(await get(server.serverPort)).toBe('')
    expect(body((await getTLS(server.serverPort)).text)).toContain('127.0.0.1')
    await until(() => server.connectionCount === 0)
  })

  it('counts connections still in their handshake and destroys them on shutdown', async () => {
    const server = await listening(EchoHandler, { tls: { certFile: file('combined.pem') } })
    const silent = readAll(await open(server.serverPort))
    await until(() => server.connectionCount === 1)
    await server.shutdown()
    expect(await silent).toBe('')
  })

  it('shuts down TLS connections like plain ones', async () => {
    const { Handler, handlers } = probe({ idleOnShutdown: true })
    const server = await listening(Handler, { tls: { certFile: file('combined.pem') } })
    const closed = readAll(await openTLS(server.serverPort))
    await until(() => handlers.length === 1)
    await server.shutdown()
    await closed
    expect(server.connectionCount).toBe(0)
  })

  it.each<[string, { certFile: string; keyFile?: string; password?: string }]>([
    ['a wrong password', { certFile: 'enc-cert.pem', keyFile: 'enc-key.pem', password: 'wrong' }],
    ['no password for an encrypted key', { certFile: 'enc-cert.pem', keyFile: 'enc-key.pem' }],
    ['a key that does not match the certificate', { certFile: 'cert.pem', keyFile: 'enc-key.pem', password: 'secret' }],
    ['a missing certificate file', { certFile: 'missing.pem', keyFile: 'key.pem' }],
    ['a missing key file', { certFile: 'cert.pem', keyFile: 'missing.pem' }],
    ['a certificate file without a key', { certFile: 'cert.pem' }],
  ])('rejects %s with SH_ERR_SERVER_TLS', async (_what, names) => {
    const tls = { ...names, certFile: file(names.certFile), keyFile: names.keyFile == null ? undefined : file(names.keyFile) }
    const error = await tlsError(tls)
    expect(error).toMatchObject({ code: 'SH_ERR_SERVER_TLS' })
    expect((error as Error).message).not.toContain('secret')
  })

  it('rejects TLS options without a certificate in the constructor', () => {
    expect(() => new HTTPServer({ port: 0 }, EchoHandler, { tls: { keyFile: file('key.pem') } })).toThrow(
      expect.objectContaining({ code: 'SH_ERR_SERVER_TLS' }) as Error,
    )
  })
})
