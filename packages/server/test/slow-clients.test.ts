import type { Socket } from 'node:net'
import type { RawClient } from '@simplehttp/test-client'
import { describe, expect, it } from 'vitest'
import type { ConnectionActivity, ConnectionHandler, LogStream } from '../src/index.js'
import { body, listening, open, openTLS, readAll, response, until } from './helpers.js'

/** Log lines, kept for the test to read. */
class Lines implements LogStream {
  readonly lines: string[] = []
  write(text: string): boolean {
    this.lines.push(text)
    return true
  }
}

/** A handler whose activity() the test sets; it answers (and ends) when released, or on its first byte if `echo`. */
function scripted() {
  const handlers: Scripted[] = []
  class Scripted implements ConnectionHandler {
    readonly socket: Socket
    state: ConnectionActivity = { state: 'busy', since: 0 }
    #release: () => void = () => undefined
    readonly #released = new Promise<void>((resolve) => {
      this.#release = resolve
    })
    constructor(socket: Socket) {
      this.socket = socket
      let text = ''
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1')
        if (text.includes('\r\n\r\n')) this.#release()
      })
      handlers.push(this)
    }
    async handle(): Promise<void> {
      await this.#released
      if (!this.socket.destroyed) this.socket.write(response('served'))
    }
    activity(): ConnectionActivity {
      return this.state
    }
  }
  return { Handler: Scripted, handlers }
}

/** One request from the second loopback address, 127.0.0.2: another client as the server sees it. */
async function getFrom127002(port: number): Promise<string> {
  const client = await open(port, '127.0.0.1', { localAddress: '127.0.0.2' })
  await client.send('GET / HTTP/1.0\r\n\r\n')
  return readAll(client)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function closed(client: RawClient): Promise<void> {
  await client.whenClosed
}

describe('a full connection table makes room', () => {
  it('closes idle keep-alive first, then silent connections, then the slowest head; never a busy one', async () => {
    const log = new Lines()
    const { Handler, handlers } = scripted()
    const server = await listening(Handler, {
      maxConnections: 4,
      maxConnectionsPerAddress: Infinity,
      logStream: log,
    })
    const port = server.serverPort
    const silent = await open(port)
    const slowHead = await open(port)
    const idle = await open(port)
    const busy = await open(port)
    await slowHead.send('GET / HTTP/1.1\r\n')
    await idle.send('x')
    await busy.send('x')
    await until(() => handlers.length === 4 && server.connectionCount === 4)
    await until(() => handlers.every((h, i) => i === 0 || h.socket.bytesRead > 0))
    const now = Date.now()
    // handlers[] is in accept order: silent, slowHead, idle, busy.
    ;(handlers[1] as (typeof handlers)[0]).state = { state: 'head', since: now - 5000 }
    ;(handlers[2] as (typeof handlers)[0]).state = { state: 'idle', since: now - 100 }
    // "Silent" starts one second after accept (a newcomer's request may simply not be read yet).
    await sleep(1100)

    const newcomers: RawClient[] = []
    const admitOne = async (): Promise<void> => {
      const client = await open(port)
      newcomers.push(client)
      await client.send('x') // busy from now on: never a victim itself
      await until(() => handlers.length === 4 + newcomers.length && server.connectionCount === 4)
      await until(() => (handlers.at(-1) as (typeof handlers)[0]).socket.bytesRead > 0)
    }
    await admitOne()
    await closed(idle)
    expect(silent.socket.destroyed || slowHead.socket.destroyed || busy.socket.destroyed).toBe(false)
    await admitOne()
    await closed(silent)
    expect(slowHead.socket.destroyed).toBe(false)
    await admitOne()
    await closed(slowHead)

    // Everybody left is busy: the next one is refused, and the busy one is untouched.
    const refused = await open(port)
    expect(await readAll(refused)).toBe('')
    expect(busy.socket.destroyed).toBe(false)
    const answer = readAll(busy)
    await busy.send('\r\n\r\n')
    expect(body(await answer)).toBe('served')

    const messages = log.lines.map((line) => line.replace(/^127\.0\.0\.1 - - \[[^\]]+\] /, ''))
    expect(messages).toEqual([
      expect.stringMatching(/^Connection closed to make room: idle keep-alive for \d+\.\d s\n$/),
      expect.stringMatching(/^Connection closed to make room: nothing received in \d+\.\d s\n$/),
      expect.stringMatching(/^Connection closed to make room: request head unfinished after \d+\.\d s\n$/),
      'Connection refused: all 4 connections are busy\n',
    ])
    for (const client of newcomers) client.destroy()
  })

  it('limits the connections of one address, and another address still gets in', async () => {
    const log = new Lines()
    const { Handler, handlers } = scripted()
    const server = await listening(Handler, { maxConnectionsPerAddress: 2, logStream: log })
    const port = server.serverPort
    const held = [await open(port), await open(port)]
    for (const client of held) await client.send('x')
    await until(() => handlers.length === 2 && handlers.every((h) => h.socket.bytesRead > 0))
    const third = await open(port)
    expect(await readAll(third)).toBe('')
    expect(log.lines).toEqual([expect.stringMatching(/^127\.0\.0\.1 - - \[.+\] Connection refused: 2 connections from this address are all busy\n$/)])
    // 127.0.0.2 is another client: it has its own quota.
    expect(body(await getFrom127002(port))).toBe('served')
    expect(held.every((client) => !client.socket.destroyed)).toBe(true)
    for (const client of held) client.destroy()
  })

  it('the default per-address limit is 256, at most maxConnections', async () => {
    const { Handler } = scripted()
    expect((await listening(Handler)).maxConnectionsPerAddress).toBe(256)
    expect((await listening(Handler, { maxConnections: 10 })).maxConnectionsPerAddress).toBe(10)
  })
})

describe('silent connections', () => {
  it('closes a connection that sends nothing after firstByteTimeout, and logs it', async () => {
    const log = new Lines()
    const { Handler } = scripted()
    const server = await listening(Handler, { firstByteTimeout: 1000, logStream: log })
    const silent = await open(server.serverPort)
    const talking = await open(server.serverPort)
    await talking.send('GET / HTTP/1.0\r\n')
    await closed(silent)
    expect(log.lines).toEqual([expect.stringMatching(/^127\.0\.0\.1 - - \[.+\] Request timed out: nothing received in 1000 ms\n$/)])
    // The one that has started its request is the handler's business, not this timeout's.
    await sleep(300)
    expect(talking.socket.destroyed).toBe(false)
    const answer = readAll(talking)
    await talking.send('\r\n')
    expect(body(await answer)).toBe('served')
  })

  it('closes a TLS connection whose handshake does not finish within firstByteTimeout, and logs it', async () => {
    const log = new Lines()
    const { Handler } = scripted()
    // 1 s, not less: the well-behaved client below must finish its own handshake within it.
    const server = await listening(Handler, { firstByteTimeout: 1000, logStream: log, tls: { selfSigned: true } })
    const silent = await open(server.serverPort) // TCP only: no ClientHello
    await closed(silent)
    expect(log.lines).toEqual([expect.stringMatching(/^127\.0\.0\.1 - - \[.+\] TLS handshake timed out after 1000 ms\n$/)])
    // A real TLS client is served as before.
    const client = await openTLS(server.serverPort)
    const answer = readAll(client)
    await client.send('GET / HTTP/1.0\r\n\r\n')
    expect(body(await answer)).toBe('served')
  })

  it('a TLS handshake in progress makes room like a silent connection', async () => {
    const log = new Lines()
    const { Handler, handlers } = scripted()
    const server = await listening(Handler, { maxConnections: 2, maxConnectionsPerAddress: Infinity, logStream: log, tls: { selfSigned: true } })
    const silent = await open(server.serverPort)
    await sleep(1100)
    const clients = await Promise.all([0, 1].map(() => openTLS(server.serverPort)))
    await closed(silent)
    await until(() => handlers.length === 2)
    expect(log.lines).toHaveLength(1)
    expect(log.lines[0]).toMatch(/Connection closed to make room: TLS handshake unfinished after \d+\.\d s\n$/)
    for (const client of clients) client.destroy()
  })
})
