// The shared test client against a real node:net server that answers with exact bytes.
import { Buffer } from 'node:buffer'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { RawClient, cpythonErrorPage, exchange, finals, isCPythonErrorPage, readResponses } from '../index.js'

const servers = new Set()

/** A server that answers every connection with `reply(requestBytes, socket)` once it has data. */
async function serveBytes(reply) {
  const server = net.createServer((socket) => {
    let got = Buffer.alloc(0)
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk])
      reply(got, socket)
    })
    socket.on('end', () => reply(got, socket, true))
    socket.on('error', () => undefined)
  })
  servers.add(server)
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server.address().port
}

afterEach(async () => {
  for (const server of servers) {
    server.closeAllConnections?.()
    await new Promise((resolve) => server.close(resolve))
  }
  servers.clear()
})

describe('readResponses', () => {
  it('frames HEAD, 1xx, 204, 304, chunked and Content-Length responses', () => {
    const data =
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n' +
      'HTTP/1.1 100 Continue\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n' +
      'HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n' +
      'HTTP/1.1 304 Not Modified\r\n\r\n' +
      'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'
    const { responses, rest, error } = readResponses(data, { methods: ['HEAD', 'GET', 'GET', 'GET', 'GET'] })
    expect(error).toBeUndefined()
    expect(responses.map((r) => [r.status, r.body.toString(), r.interim])).toEqual([
      [200, '', false],
      [100, '', true],
      [200, 'hello', false],
      [204, '', false],
      [304, '', false],
      [200, 'hi', false],
    ])
    expect(responses[0].head).toBe('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n')
    expect(responses[2].head).toBe('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')
    expect(responses[2].trailers?.get('x-t')).toBe('1')
    expect(finals(responses)).toHaveLength(5)
    expect(rest.length).toBe(0)
  })

  it('leaves a close-delimited body open until the close', () => {
    const data = 'HTTP/1.0 200 OK\r\nServer: x\r\n\r\nbody so far'
    const open = readResponses(data)
    expect(open.responses).toEqual([])
    expect(open.partial?.body.toString()).toBe('body so far')
    const closed = readResponses(data, { closed: true })
    expect(closed.responses.map((r) => [r.status, r.framing, r.body.toString()])).toEqual([[200, 'close', 'body so far']])
  })

  it('reports bytes that are not a response as an error, with the complete ones before it', () => {
    const { responses, error, rest } = readResponses('HTTP/1.1 204 No Content\r\n\r\ngarbage\r\n\r\n')
    expect(responses.map((r) => r.status)).toEqual([204])
    expect(error?.code).toBe('SH_ERR_PARSE_BAD_STATUS_LINE')
    expect(rest.toString()).toBe('garbage\r\n\r\n')
  })
})

describe('RawClient', () => {
  it('keeps a connection alive across requests and reads each response', async () => {
    const port = await serveBytes((got, socket) => {
      const requests = got.toString('latin1').split('\r\n\r\n').length - 1
      if (requests === 1 && !socket.answered1) {
        socket.answered1 = true
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none')
      } else if (requests === 2 && !socket.answered2) {
        socket.answered2 = true
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0\r\n\r\n')
      }
    })
    const client = await RawClient.connect(port)
    await client.send('GET /1 HTTP/1.1\r\nHost: a\r\n\r\n')
    expect((await client.response()).body.toString()).toBe('one')
    await client.send('GET /2 HTTP/1.1\r\nHost: a\r\n\r\n')
    expect((await client.response([], 1)).body.toString()).toBe('two')
    expect(client.closed).toBe(false)
    client.destroy()
  })

  it('half-closes and still reads a close-delimited answer', async () => {
    const port = await serveBytes((got, socket, ended) => {
      if (ended) socket.end('HTTP/1.0 200 OK\r\n\r\n' + `you sent ${got.length} bytes`)
    })
    const client = await RawClient.connect(port)
    await client.send('hello')
    await client.halfClose()
    const [response] = await client.responses(1)
    expect(response?.body.toString()).toBe('you sent 5 bytes')
    expect(client.closed).toBe(true)
  })

  it('fails a wait when the server answers with something that is not HTTP', async () => {
    const port = await serveBytes((got, socket) => {
      socket.end('SSH-2.0-OpenSSH\r\n\r\n')
    })
    const client = await RawClient.connect(port)
    await client.send('GET / HTTP/1.1\r\n\r\n')
    await expect(client.responses(1)).rejects.toThrow(/SH_ERR_PARSE_BAD_STATUS_LINE/)
  })

  it('exchange() sends and collects until the close; CPython error pages match', async () => {
    const page = cpythonErrorPage(404, 'File not found', 'Nothing matches the given URI')
    const port = await serveBytes((got, socket) => {
      socket.end(
        `HTTP/1.0 404 File not found\r\nConnection: close\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: ${Buffer.byteLength(page)}\r\n\r\n${page}`,
      )
    })
    const client = await exchange(port, 'GET /missing HTTP/1.0\r\n\r\n')
    const [response] = await client.responses(1)
    expect(isCPythonErrorPage(response, 404, 'File not found')).toBe(true)
    expect(isCPythonErrorPage(response, 404, 'Not Found')).toBe(false)
    expect(isCPythonErrorPage(response, 400)).toBe(false)
  })
})
