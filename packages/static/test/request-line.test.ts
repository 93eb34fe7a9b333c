/**
 * Issue 11 §3 on the static handler: `GET / ` (no version, a trailing space) is CPython's HTTP/0.9
 * GET and gets the bare listing; `CUSTOM / ` and ` / ` get CPython's wording.
 */
import { RawClient } from '@simplehttp/test-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SimpleHTTPRequestHandler } from '../src/index.js'
import { LogCapture, makeFixture, parseResponse, startHandler, type Fixture, type RunningServer } from './helpers.js'

let fx: Fixture
const running: RunningServer[] = []

beforeAll(async () => {
  fx = await makeFixture()
})
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()))
})
afterAll(async () => {
  await fx.cleanup()
})

async function start(): Promise<number> {
  const Base = SimpleHTTPRequestHandler.withOptions({ directory: fx.root })
  const s = await startHandler(
    class extends Base {
      override logStream = new LogCapture()
    },
  )
  running.push(s)
  return s.port
}

/** Send the exact bytes, read until the server closes. */
async function exchange(port: number, bytes: string): Promise<Buffer> {
  const client = await RawClient.connect(port)
  await client.send(bytes)
  await client.untilClosed()
  return client.data
}

describe('request-line wording on the static handler', () => {
  it('`GET / ` is an HTTP/0.9 GET: the listing alone, as with `GET /`, then a close', async () => {
    const port = await start()
    const spaced = (await exchange(port, 'GET / \r\n')).toString('utf8')
    const plain = (await exchange(port, 'GET /\r\n')).toString('utf8')
    expect(spaced.startsWith('<!DOCTYPE HTML>')).toBe(true)
    expect(spaced).toContain('Directory listing for /')
    expect(spaced).not.toContain('HTTP/1.')
    expect(spaced).toBe(plain)
  })

  it("`CUSTOM / ` is 400 Bad HTTP/0.9 request type ('CUSTOM')", async () => {
    const port = await start()
    const response = parseResponse(await exchange(port, 'CUSTOM / \r\nHost: x\r\n\r\n'))
    expect(response.status).toBe(400)
    expect(response.reason).toBe("Bad HTTP/0.9 request type ('CUSTOM')")
  })

  it("` / ` is 400 Bad request syntax (' / ')", async () => {
    const port = await start()
    const response = parseResponse(await exchange(port, ' / \r\nHost: x\r\n\r\n'))
    expect(response.status).toBe(400)
    expect(response.reason).toBe("Bad request syntax (' / ')")
  })
})
