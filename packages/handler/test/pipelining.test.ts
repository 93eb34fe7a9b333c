import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, MemoryLog, parseResponses, RawClient, serve, sleep } from './helpers.js'

afterEach(closeAll)

/** GET answers `GET <path>`; POST answers `POST <path> <body>` after reading the body. */
function echo(seen: string[] = []) {
  return class Echo extends BaseHTTPRequestHandler {
    override logStream = new MemoryLog()
    override protocolVersion = 'HTTP/1.1'

    async doGET(): Promise<void> {
      seen.push(`GET ${this.path}`)
      // Vary the timing so a response that overtook another would show.
      await sleep(this.path === '/one' ? 30 : 0)
      await this.#answer(`GET ${this.path}`)
    }

    async doPOST(): Promise<void> {
      const body = await this.rfile.read()
      seen.push(`POST ${this.path}`)
      await this.#answer(`POST ${this.path} ${body.toString('latin1')}`)
    }

    async #answer(text: string): Promise<void> {
      const body = Buffer.from(text, 'latin1')
      this.sendResponse(200)
      this.sendHeader('Content-Length', body.length)
      this.endHeaders()
      await this.wfile.write(body)
    }
  }
}

describe('pipelining', () => {
  it('answers requests sent in one write in order', async () => {
    const { port } = await serve(echo())
    const client = await RawClient.connect(port)
    await client.send(
      'GET /one HTTP/1.1\r\nHost: x\r\n\r\n' +
        'POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' +
        'POST /three HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nchunk\r\n3\r\ned!\r\n0\r\n\r\n' +
        'GET /four HTTP/1.1\r\nHost: x\r\n\r\n',
    )
    const responses = await client.responses(4)
    expect(responses.map((r) => r.body.toString('latin1'))).toEqual([
      'GET /one',
      'POST /two hello',
      'POST /three chunked!',
      'GET /four',
    ])
    expect(client.closed).toBe(false)
  })

  it('calls an overridden handleOneRequest once per request, pipelined and kept alive', async () => {
    // The loop runs handleOneRequest's body inline unless a subclass replaced it: then it is
    // called, and serves one request per call (waiting for the next one included).
    const calls: number[] = []
    class Counting extends echo() {
      override async handleOneRequest(): Promise<void> {
        calls.push(calls.length + 1)
        await super.handleOneRequest()
      }
    }
    const { port } = await serve(Counting)
    const client = await RawClient.connect(port)
    await client.send('GET /one HTTP/1.1\r\nHost: x\r\n\r\nPOST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi')
    const first = await client.responses(2)
    expect(first.map((r) => r.body.toString('latin1'))).toEqual(['GET /one', 'POST /two hi'])
    // A later request on the same connection: the call that waited for it answers it.
    await client.send('GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    await client.untilClosed()
    const all = parseResponses(client.data, [], true)
    expect(all.map((r) => r.body.toString('latin1'))).toEqual(['GET /one', 'POST /two hi', 'GET /three'])
    expect(calls).toEqual([1, 2, 3])
  })

  it('drains a body the handler did not read, never parsing it as a request', async () => {
    const seen: string[] = []
    class Ignoring extends echo(seen) {
      override async doPOST(): Promise<void> {
        seen.push(`POST ${this.path} (body unread)`)
        this.sendResponse(204)
        this.endHeaders()
        return Promise.resolve()
      }
    }
    const { port } = await serve(Ignoring)
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'
    const chunkedSmuggled = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`
    const client = await RawClient.connect(port)
    await client.send(
      `POST /ignored HTTP/1.1\r\nHost: x\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}` +
        `POST /ignored-chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunkedSmuggled}` +
        'GET /next HTTP/1.1\r\nHost: x\r\n\r\n',
    )
    const responses = await client.responses(3)
    expect(responses.map((r) => r.status)).toEqual([204, 204, 200])
    expect(responses[2]?.body.toString()).toBe('GET /next')
    expect(seen).toEqual(['POST /ignored (body unread)', 'POST /ignored-chunked (body unread)', 'GET /next'])
  })

  it('closes instead of draining a large unread body', async () => {
    const seen: string[] = []
    class Ignoring extends echo(seen) {
      override doPOST(): Promise<void> {
        seen.push(`POST ${this.path}`)
        this.sendResponse(200)
        this.sendHeader('Content-Length', 2)
        this.endHeaders()
        return this.wfile.write('no')
      }
    }
    const { port } = await serve(Ignoring)
    const size = 5 * 1024 * 1024
    const client = await RawClient.connect(port)
    // The server may stop reading before all of it is sent: do not wait for the write.
    client
      .send(
        Buffer.concat([
          Buffer.from(`POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`),
          Buffer.alloc(size, 'x'),
          Buffer.from('GET /after HTTP/1.1\r\nHost: x\r\n\r\n'),
        ]),
      )
      .catch(() => undefined)
    await client.untilClosed()
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => r.body.toString())).toEqual(['no'])
    expect(seen).toEqual(['POST /big'])
  })

  it('answers a body sent after the head in pieces, then the next request', async () => {
    const { port } = await serve(echo())
    const second = await RawClient.connect(port)
    await second.send('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab')
    await sleep(20)
    await second.send('cd')
    await sleep(20)
    await second.send('efGET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    await second.untilClosed()
    const responses = parseResponses(second.data, [], true)
    expect(responses.map((r) => r.body.toString())).toEqual(['POST /slow abcdef', 'GET /x'])
  })
})
