import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { HTTPServer, ServerError, isSimpleHTTPError } from '../src/index.js'
import { EchoHandler, body, get, hasIPv6, listening, makeServer } from './helpers.js'

const ipv6 = await hasIPv6()

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** The error a function throws (fails the test if it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('listen', () => {
  it('reports the port the system chose for port 0, and serves on it', async () => {
    const server = await listening()
    expect(server.serverPort).toBeGreaterThan(0)
    expect(server.serverAddress).toEqual(['127.0.0.1', server.serverPort])
    const [host, port] = JSON.parse(body(await get(server.serverPort))) as [string, number]
    expect(host).toBe('127.0.0.1')
    expect(port).toBeGreaterThan(0)
  })

  it('names a loopback server localhost and builds its URL', async () => {
    const server = await listening()
    expect(server.serverName).toBe('localhost')
    expect(server.url).toBe(`http://127.0.0.1:${server.serverPort}/`)
  })

  it('names a wildcard server after the machine, without DNS', async () => {
    const server = makeServer({ host: '0.0.0.0', port: 0 })
    await server.listen()
    expect(server.serverName).toBe(hostname())
    expect(server.serverAddress[0]).toBe('0.0.0.0')
    expect(server.url).toBe(`http://0.0.0.0:${server.serverPort}/`)
  })

  it('keeps the host it was given as the name of any other address', () => {
    const server = new HTTPServer({ host: '192.0.2.1', port: 8000 }, EchoHandler)
    expect(server.serverName).toBe('192.0.2.1')
    expect(server.serverAddress).toEqual(['192.0.2.1', 8000])
  })

  it('is idempotent', async () => {
    const server = makeServer({ host: '127.0.0.1', port: 0 })
    await Promise.all([server.listen(), server.listen()])
    const port = server.serverPort
    await server.listen()
    expect(server.serverPort).toBe(port)
  })

  it.skipIf(!ipv6)('binds ::1 and brackets it in the URL', async () => {
    const server = makeServer({ host: '::1', port: 0 })
    await server.listen()
    expect(server.serverAddress).toEqual(['::1', server.serverPort])
    expect(server.serverName).toBe('localhost')
    expect(server.url).toBe(`http://[::1]:${server.serverPort}/`)
    const [host] = JSON.parse(body(await get(server.serverPort, '::1'))) as [string]
    expect(host).toBe('::1')
  })

  it.skipIf(!ipv6)('accepts IPv4 clients on a dual-stack :: bind', async () => {
    const server = makeServer({ host: '::', port: 0 })
    await server.listen()
    expect(server.serverAddress[0]).toBe('::')
    expect(server.url).toBe(`http://[::]:${server.serverPort}/`)
    const [host] = JSON.parse(body(await get(server.serverPort, '127.0.0.1'))) as [string]
    // As with CPython's dual-stack socket, an IPv4 peer shows as IPv4-mapped.
    expect(host).toBe('::ffff:127.0.0.1')
    expect(body(await get(server.serverPort, '::1'))).toContain('::1')
  })

  it('binds every interface when no host is given', async () => {
    const server = makeServer({ port: 0 })
    await server.listen()
    expect(['::', '0.0.0.0']).toContain(server.serverAddress[0])
    expect(server.serverName).toBe(hostname())
    expect(body(await get(server.serverPort, '127.0.0.1'))).toContain('127.0.0.1')
  })
})

describe('listen errors', () => {
  it('reports an address in use', async () => {
    const first = await listening()
    const second = makeServer({ host: '127.0.0.1', port: first.serverPort })
    const error = await rejection(second.listen())
    expect(error).toBeInstanceOf(ServerError)
    expect(isSimpleHTTPError(error)).toBe(true)
    expect((error as ServerError).code).toBe('SH_ERR_SERVER_ADDRESS_IN_USE')
    expect((error as ServerError).message).toContain(`127.0.0.1:${first.serverPort}`)
    expect((error as ServerError).cause).toMatchObject({ code: 'EADDRINUSE' })
  })

  it('may be retried after a failed listen', async () => {
    const first = await listening()
    const second = makeServer({ host: '127.0.0.1', port: first.serverPort })
    await rejection(second.listen())
    await first.serverClose()
    await second.listen()
    expect(second.serverPort).toBe(first.serverPort)
  })

  it.each([
    ['an address no interface has', '192.0.2.1', 'SH_ERR_SERVER_ADDRESS_NOT_AVAILABLE'],
    ['an IPv4 address out of range', '256.1.1.1', 'SH_ERR_SERVER_HOST_NOT_FOUND'],
    ['a host that does not resolve', 'no.such.host.invalid', 'SH_ERR_SERVER_HOST_NOT_FOUND'],
  ])('reports %s', async (_what, host, code) => {
    const error = await rejection(makeServer({ host, port: 0 }).listen())
    expect(error).toMatchObject({ code })
  })

  it.each([-1, 65536, 1.5, Number.NaN, '8000'])('refuses port %s in the constructor', (port) => {
    const error = thrown(() => new HTTPServer({ host: '127.0.0.1', port: port as number }, EchoHandler))
    expect(error).toMatchObject({ code: 'SH_ERR_SERVER_BAD_ADDRESS' })
  })

  it.each([
    { maxConnections: 0 },
    { workers: -1 },
    { workers: 1.5 },
    { headersTimeout: 0 },
    { keepAliveTimeout: Infinity },
    { bodyTimeout: -5 },
    { gracePeriod: -1 },
    { backlog: 1.5 },
  ])('refuses option %o in the constructor', (options) => {
    const error = thrown(() => new HTTPServer({ port: 0 }, EchoHandler, options))
    expect(error).toMatchObject({ code: 'SH_ERR_SERVER_INVALID_OPTION' })
  })

  // As root, binding port 80 succeeds, so there is no EACCES to provoke.
  it.skipIf(process.getuid?.() === 0)('reports permission denied for port 80 when not root', async () => {
    const error = await rejection(makeServer({ host: '127.0.0.1', port: 80 }).listen())
    expect(error).toMatchObject({ code: 'SH_ERR_SERVER_PERMISSION_DENIED' })
  })

  it('cannot listen again after shutdown', async () => {
    const server = await listening()
    await server.shutdown()
    expect(await rejection(server.listen())).toMatchObject({ code: 'SH_ERR_SERVER_CLOSED' })
  })
})

describe('timeouts', () => {
  it('exposes the HTTP timeouts for the handler, with their defaults', () => {
    const server = new HTTPServer({ port: 0 }, EchoHandler)
    expect([server.headersTimeout, server.keepAliveTimeout, server.bodyTimeout]).toEqual([30_000, 5000, 30_000])
    expect([server.gracePeriod, server.maxConnections, server.workers]).toEqual([5000, 1024, 0])
    const custom = new HTTPServer({ port: 0 }, EchoHandler, { headersTimeout: 1, keepAliveTimeout: 2, bodyTimeout: 3 })
    expect([custom.headersTimeout, custom.keepAliveTimeout, custom.bodyTimeout]).toEqual([1, 2, 3])
  })
})
