import { once } from 'node:events'
import { Socket } from 'node:net'
import { describe, expect, it, vi } from 'vitest'
import type { ClientAddress, ConnectionHandler } from '../src/index.js'
import { EchoHandler, body, get, listening, open, probe, readAll, readHead, response, until } from './helpers.js'

describe('connections', () => {
  it('counts open connections and forgets closed ones', async () => {
    const { Handler, handlers } = probe()
    const server = await listening(Handler)
    const a = await open(server.serverPort)
    const b = await open(server.serverPort)
    await until(() => handlers.length === 2)
    expect(server.connectionCount).toBe(2)
    const answer = readAll(b)
    a.destroy()
    handlers[0]?.release('nobody reads this')
    handlers[1]?.release('done')
    expect(body(await answer)).toBe('done')
    await until(() => server.connectionCount === 0)
  })

  it('turns off Nagle on every accepted socket', async () => {
    // Node has no getter for TCP_NODELAY, so watch the call instead.
    const setNoDelay = vi.spyOn(Socket.prototype, 'setNoDelay')
    try {
      const { Handler, handlers } = probe()
      const server = await listening(Handler)
      await open(server.serverPort)
      await until(() => handlers.length === 1)
      const calls = setNoDelay.mock.calls.filter((_args, i) => setNoDelay.mock.contexts[i] === handlers[0]?.socket)
      expect(calls).toEqual([[true]])
    } finally {
      setNoDelay.mockRestore()
    }
  })

  it('closes connections over maxConnections at once when every connection is busy, while the others still work', async () => {
    const { Handler, handlers } = probe()
    const server = await listening(Handler, { maxConnections: 2, logStream: { write: () => true } })
    const a = await open(server.serverPort)
    const b = await open(server.serverPort)
    // Both have sent something and report no activity(): busy, so neither makes room.
    await a.send('x')
    await b.send('x')
    await until(() => handlers.length === 2 && handlers.every((h) => h.received > 0))
    const c = await open(server.serverPort)
    expect(await readAll(c)).toBe('')
    expect(handlers).toHaveLength(2)
    const answers = [readAll(a), readAll(b)]
    handlers[0]?.release('a')
    handlers[1]?.release('b')
    expect((await Promise.all(answers)).map(body)).toEqual(['a', 'b'])
    // With the first two gone, there is room again.
    await until(() => server.connectionCount === 0)
    const d = readAll(await open(server.serverPort))
    await until(() => handlers.length === 3)
    handlers[2]?.release('d')
    expect(body(await d)).toBe('d')
  })

  it.each([
    ['throws in its constructor', 'constructor'],
    ['throws in handle()', 'sync'],
    ['rejects from handle()', 'async'],
  ])('a handler that %s affects neither other clients nor the process', async (_what, how) => {
    const errors: unknown[] = []
    class Faulty implements ConnectionHandler {
      readonly #socket: Socket
      constructor(socket: Socket) {
        if (how === 'constructor') throw new Error('boom')
        this.#socket = socket
      }
      handle(): Promise<void> {
        if (how === 'sync') throw new Error('boom')
        return readHead(this.#socket).then(() => {
          throw new Error('boom')
        })
      }
    }
    let calls = 0
    class SometimesFaulty extends EchoHandler {
      readonly #faulty: Faulty | undefined
      constructor(socket: Socket, clientAddress: ClientAddress) {
        super(socket, clientAddress)
        this.#faulty = calls++ === 0 ? new Faulty(socket) : undefined
      }
      override handle(): Promise<void> {
        return this.#faulty?.handle() ?? super.handle()
      }
    }
    const server = await listening(SometimesFaulty, { onError: (error) => errors.push(error) })
    expect(await get(server.serverPort)).toBe('')
    expect(body(await get(server.serverPort))).toContain('127.0.0.1')
    expect(errors).toEqual([new Error('boom')])
    await until(() => server.connectionCount === 0)
  })

  it('survives a throwing onError hook', async () => {
    class Rejecting implements ConnectionHandler {
      handle(): Promise<void> {
        return Promise.reject(new Error('boom'))
      }
    }
    const server = await listening(Rejecting, {
      onError: () => {
        throw new Error('hook')
      },
    })
    expect(await get(server.serverPort)).toBe('')
    expect(await get(server.serverPort)).toBe('')
  })

  it('survives a client that resets mid-connection', async () => {
    const { Handler, handlers } = probe()
    const server = await listening(Handler)
    const reset = await open(server.serverPort)
    await until(() => handlers.length === 1)
    // Mid-request: part of a head has arrived when the RST does.
    await reset.send('GET / HTTP/1.0\r\n')
    await until(() => handlers[0]?.received === 16)
    reset.socket.resetAndDestroy()
    await until(() => server.connectionCount === 0)
    // The handler's next write goes to a dead socket: still nothing escapes.
    handlers[0]?.release('too late')
    const next = readAll(await open(server.serverPort))
    await until(() => handlers.length === 2)
    handlers[1]?.release('fine')
    expect(body(await next)).toBe('fine')
  })

  it('answers a client that half-closes after its request', async () => {
    const server = await listening(EchoHandler)
    const client = await open(server.serverPort)
    const all = readAll(client)
    await client.send('GET / HTTP/1.0\r\n\r\n')
    await client.halfClose()
    expect(body(await all)).toContain('127.0.0.1')
  })

  it('ends the socket once handle() returns', async () => {
    class WriteOnly implements ConnectionHandler {
      readonly #socket: Socket
      constructor(socket: Socket) {
        this.#socket = socket
      }
      handle(): Promise<void> {
        this.#socket.write(response('bye'))
        return Promise.resolve()
      }
    }
    const server = await listening(WriteOnly)
    const client = await open(server.serverPort)
    const all = readAll(client)
    await once(client.socket, 'end')
    client.socket.end()
    expect(body(await all)).toBe('bye')
    await until(() => server.connectionCount === 0)
  })

  it('destroys a socket that stays silent longer than every timeout', async () => {
    const { Handler, handlers } = probe()
    const server = await listening(Handler, { headersTimeout: 20, keepAliveTimeout: 10, bodyTimeout: 30 })
    await readAll(await open(server.serverPort))
    expect(handlers[0]?.socket.destroyed).toBe(true)
    await until(() => server.connectionCount === 0)
  })
})
