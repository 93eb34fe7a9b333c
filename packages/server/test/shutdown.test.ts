import { describe, expect, it } from 'vitest'
import type { ConnectionHandler } from '../src/index.js'
import { body, get, listening, makeServer, open, probe, readAll, until } from './helpers.js'

/** Let every pending callback run, so a promise that could settle now has settled. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** Track whether a promise has settled, without awaiting it. */
function watch(promise: Promise<unknown>): { readonly done: boolean } {
  const state = { done: false }
  void promise.then(() => {
    state.done = true
  })
  return state
}

describe('shutdown', () => {
  it('lets a request in flight finish, then resolves', async () => {
    const { Handler, handlers } = probe()
    const server = await listening(Handler)
    const client = await open(server.serverPort)
    const answer = readAll(client)
    await until(() => handlers.length === 1)

    const stopped = watch(server.shutdown())
    await settle()
    expect(handlers[0]?.shutdowns).toBe(1)
    expect(stopped.done).toBe(false)
    // No new connections once shutdown has begun.
    await expect(open(server.serverPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' })

    handlers[0]?.release('finished')
    expect(body(await answer)).toBe('finished')
    await until(() => stopped.done)
    expect(server.connectionCount).toBe(0)
  })

  it('closes idle connections at once', async () => {
    const { Handler, handlers } = probe({ idleOnShutdown: true })
    const server = await listening(Handler)
    const clients = [await open(server.serverPort), await open(server.serverPort)]
    const closed = clients.map(readAll)
    await until(() => handlers.length === 2)
    // The default grace period is 5 s; this must not wait for it (the test timeout would tell).
    await server.shutdown()
    expect(await Promise.all(closed)).toEqual(['', ''])
    expect(handlers.map((h) => h.shutdowns)).toEqual([1, 1])
  })

  it('destroys what is still open after the grace period', async () => {
    const { Handler, handlers } = probe()
    const server = await listening(Handler, { gracePeriod: 20 })
    const client = await open(server.serverPort)
    const closed = readAll(client)
    await until(() => handlers.length === 1)
    await server.shutdown()
    expect(await closed).toBe('')
    expect(handlers[0]?.socket.destroyed).toBe(true)
    expect(server.connectionCount).toBe(0)
  })

  it('waits for handlers without a shutdown() method too', async () => {
    let finish = (): void => undefined
    class NoShutdown implements ConnectionHandler {
      handle(): Promise<void> {
        return new Promise((resolve) => {
          finish = resolve
        })
      }
    }
    const server = await listening(NoShutdown)
    const closed = readAll(await open(server.serverPort))
    await until(() => server.connectionCount === 1)
    const stopped = watch(server.shutdown())
    await settle()
    expect(stopped.done).toBe(false)
    finish()
    await closed
    await until(() => stopped.done)
  })

  it('is idempotent', async () => {
    const server = await listening()
    const first = server.shutdown()
    expect(server.shutdown()).toBe(first)
    await first
    await server.shutdown()
  })

  it('can be called before listen', async () => {
    const server = makeServer({ host: '127.0.0.1', port: 0 })
    await server.shutdown()
    await server.serveForever()
  })

  it('waits for a listen in progress, then closes', async () => {
    const server = makeServer({ host: '127.0.0.1', port: 0 })
    const listened = server.listen()
    await server.shutdown()
    await listened
    await expect(open(server.serverPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
})

describe('serveForever', () => {
  it('listens, serves, and resolves once shutdown() completes', async () => {
    const server = makeServer({ host: '127.0.0.1', port: 0 })
    const serving = watch(server.serveForever())
    await until(() => server.serverPort !== 0)
    expect(body(await get(server.serverPort))).toContain('127.0.0.1')
    expect(serving.done).toBe(false)
    await server.shutdown()
    await until(() => serving.done)
  })

  it('rejects when it cannot listen', async () => {
    const first = await listening()
    const second = makeServer({ host: '127.0.0.1', port: first.serverPort })
    await expect(second.serveForever()).rejects.toMatchObject({ code: 'SH_ERR_SERVER_ADDRESS_IN_USE' })
  })
})

describe('serverClose', () => {
  it('destroys every connection without waiting for the grace period', async () => {
    const { Handler, handlers } = probe()
    const server = await listening(Handler, { gracePeriod: 60_000 })
    const closed = readAll(await open(server.serverPort))
    await until(() => handlers.length === 1)
    await server.serverClose()
    expect(await closed).toBe('')
    expect(server.connectionCount).toBe(0)
  })

  it('cuts a shutdown in progress short', async () => {
    const { Handler, handlers } = probe()
    const server = await listening(Handler, { gracePeriod: 60_000 })
    const closed = readAll(await open(server.serverPort))
    await until(() => handlers.length === 1)
    const stopping = server.shutdown()
    await server.serverClose()
    await stopping
    expect(await closed).toBe('')
  })
})
