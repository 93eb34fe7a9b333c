import { afterEach, describe, expect, it } from 'vitest'
import { BaseHTTPRequestHandler } from '../src/index.js'
import { closeAll, exchange, MemoryLog, parseResponses, RawClient, serve } from './helpers.js'

afterEach(closeAll)

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n'

function uploader(protocolVersion: string, calls: string[] = []) {
  return class Upload extends BaseHTTPRequestHandler {
    override logStream = new MemoryLog()
    override protocolVersion = protocolVersion

    async doPOST(): Promise<void> {
      calls.push('doPOST')
      const body = await this.rfile.read()
      this.sendResponse(200)
      this.sendHeader('Content-Length', body.length)
      this.endHeaders()
      await this.wfile.write(body)
    }
  }
}

const HEAD = 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n'

describe('Expect: 100-continue', () => {
  it('sends 100 Continue before reading the body under HTTP/1.1', async () => {
    const { port } = await serve(uploader('HTTP/1.1'))
    const client = await RawClient.connect(port)
    await client.send(HEAD)
    // The body is only sent once the interim response is in.
    await client.waitFor(() => client.text.length >= CONTINUE.length, '100 Continue')
    expect(client.text).toBe(CONTINUE)
    await client.send('hello')
    await client.untilClosed()
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => r.status)).toEqual([100, 200])
    expect(client.text.startsWith(`${CONTINUE}HTTP/1.1 200 OK\r\n`)).toBe(true)
    expect(responses[1]?.body.toString()).toBe('hello')
  })

  it('sends no 100 Continue under HTTP/1.0', async () => {
    const { port } = await serve(uploader('HTTP/1.0'))
    const client = await exchange(port, `${HEAD}hello`)
    expect(client.text.startsWith('HTTP/1.0 200 OK\r\n')).toBe(true)
    expect(client.text).not.toContain('100 Continue')
    expect(parseResponses(client.data, [], true)[0]?.body.toString()).toBe('hello')
  })

  it('lets handleExpect100 refuse with 417, and then does not call doPOST', async () => {
    const calls: string[] = []
    class Refusing extends uploader('HTTP/1.1', calls) {
      override handleExpect100(): boolean {
        calls.push('handleExpect100')
        this.sendError(417)
        return false
      }
    }
    const { port } = await serve(Refusing)
    const client = await RawClient.connect(port)
    await client.send(HEAD.replace('Connection: close\r\n', ''))
    await client.untilClosed()
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => [r.status, r.reason])).toEqual([[417, 'Expectation Failed']])
    expect(calls).toEqual(['handleExpect100'])
  })

  it('can still answer 500 when the handler fails after the 100 Continue', async () => {
    class Failing extends uploader('HTTP/1.1') {
      override async doPOST(): Promise<void> {
        await this.rfile.read()
        throw new Error('failed after 100')
      }
    }
    const { port } = await serve(Failing)
    const client = await RawClient.connect(port)
    await client.send(HEAD)
    await client.waitFor(() => client.text.length >= CONTINUE.length, '100 Continue')
    await client.send('hello')
    await client.untilClosed()
    const responses = parseResponses(client.data, [], true)
    expect(responses.map((r) => r.status)).toEqual([100, 500])
  })
})
