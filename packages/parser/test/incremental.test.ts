/**
 * The streaming contract: chunks of any size, pause(), execute's return value, idle/finished,
 * finish(), bounded memory on hostile input.
 */
import { describe, expect, it } from 'vitest'
import { RequestParser, parseRequests, type HTTPParseError, type HeaderList, type RequestHead } from '../src/index.js'
import { run } from './helpers.js'

function recorder() {
  const events: string[] = []
  const heads: RequestHead[] = []
  const bodies: Buffer[] = []
  const errors: HTTPParseError[] = []
  let trailers: HeaderList | undefined
  return {
    events,
    heads,
    bodies,
    errors,
    get trailers() {
      return trailers
    },
    callbacks: {
      onHead(head: RequestHead) {
        heads.push(head)
        events.push(`head ${head.method} ${head.target}`)
      },
      onBody(chunk: Buffer) {
        bodies.push(chunk)
        events.push(`body ${chunk.toString('latin1')}`)
      },
      onEnd(t: HeaderList | undefined) {
        trailers = t
        events.push('end')
      },
      onError(error: HTTPParseError) {
        errors.push(error)
        events.push(`error ${error.code}`)
      },
    },
  }
}

const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n`

describe('incremental parsing', () => {
  it('yields pipelined requests in order from one chunk', () => {
    const stream =
      GET('/1') +
      'POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc' +
      'PUT /3 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n1\r\nz\r\n0\r\nT: 1\r\n\r\n' +
      GET('/4')
    const r = recorder()
    const parser = new RequestParser(r.callbacks)
    expect(parser.execute(Buffer.from(stream, 'latin1'))).toBe(stream.length)
    expect(r.events).toEqual([
      'head GET /1',
      'end',
      'head POST /2',
      'body abc',
      'end',
      'head PUT /3',
      'body xy',
      'body z',
      'end',
      'head GET /4',
      'end',
    ])
    expect(parser.idle).toBe(true)
  })

  it('gives the same requests for every split of a stream', () => {
    const stream = Buffer.from(
      GET('/a') + 'POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nbody\r\n0\r\nX-T: v\r\n\r\n' + GET('/c'),
      'latin1',
    )
    const whole = run(stream, undefined, 'whole')
    expect(whole.requests.map((r) => r.target)).toEqual(['/a', '/b', '/c'])
    for (let size = 1; size <= stream.length; size++) {
      expect(run(stream, undefined, Array(stream.length).fill(size) as number[])).toEqual(whole)
    }
    // Every cut into two pieces, too.
    for (let at = 1; at < stream.length; at++) expect(run(stream, undefined, [at])).toEqual(whole)
  })

  it('parses thousands of pipelined requests in 64 KiB chunks without tripping the header cap', () => {
    // A regression: header bytes were once counted as offsets into the chunk.
    const one = `GET /item HTTP/1.1\r\n${Array.from({ length: 10 }, (_, i) => `X-Header-${i}: value-${i}\r\n`).join('')}\r\n`
    const stream = Buffer.from(one.repeat(2000), 'latin1')
    const outcome = run(stream, undefined, Array(Math.ceil(stream.length / 65536)).fill(65536) as number[])
    expect(outcome.error).toBeUndefined()
    expect(outcome.requests).toHaveLength(2000)
  })

  it('lets a callback parse other bytes with another parser in the middle of a chunk', () => {
    const stream = Buffer.from(GET('/one') + GET('/two') + 'POST /three HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx')
    const targets: string[] = []
    const inner: string[] = []
    const parser = new RequestParser({
      onHead(head) {
        targets.push(head.target)
        // Different bytes in a different ArrayBuffer, same header names.
        const other = Buffer.from(`GET /inner-${head.target.slice(1)} HTTP/1.1\r\nHost: elsewhere\r\nAccept: text/html\r\n\r\n`)
        const { requests } = parseRequests(new Uint8Array(other))
        inner.push(`${requests[0]?.target ?? ''} ${requests[0]?.headers.get('host') ?? ''}`)
      },
    })
    expect(parser.execute(stream)).toBe(stream.length)
    expect(parser.error).toBeUndefined()
    expect(targets).toEqual(['/one', '/two', '/three'])
    expect(inner).toEqual(['/inner-one elsewhere', '/inner-two elsewhere', '/inner-three elsewhere'])
  })

  it('accepts Uint8Array chunks that are not Buffers', () => {
    const bytes = new TextEncoder().encode('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok')
    const { requests, error } = parseRequests(new Uint8Array(bytes.buffer, 0, bytes.length))
    expect(error).toBeUndefined()
    expect(requests[0]?.body.toString()).toBe('ok')
  })

  it('hands out body chunks as views of the input, not copies', () => {
    const input = Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello', 'latin1')
    const r = recorder()
    new RequestParser(r.callbacks).execute(input)
    expect(r.bodies).toHaveLength(1)
    expect(r.bodies[0]?.buffer).toBe(input.buffer)
    expect(r.bodies[0]?.toString()).toBe('hello')
  })

  it('exposes trailers of a chunked body', () => {
    const r = recorder()
    new RequestParser(r.callbacks).execute(
      Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Sum: 1\r\nx-sum: 2\r\n\r\n'),
    )
    expect(r.trailers?.getAll('X-SUM')).toEqual(['1', '2'])
    expect(r.heads[0]?.contentLength).toBeUndefined()
  })
})

describe('pause()', () => {
  it('stops execute after the callback and returns the bytes consumed', () => {
    const stream = Buffer.from(GET('/1') + GET('/2'))
    const r = recorder()
    const parser = new RequestParser({
      ...r.callbacks,
      onHead(head) {
        r.callbacks.onHead(head)
        parser.pause()
      },
    })
    const first = parser.execute(stream)
    // A bodiless request ends together with its head.
    expect(first).toBe(GET('/1').length)
    expect(r.events).toEqual(['head GET /1', 'end'])
    expect(parser.execute(stream.subarray(first))).toBe(GET('/2').length)
    expect(r.events).toEqual(['head GET /1', 'end', 'head GET /2', 'end'])
  })

  it('can stop in the middle of a body', () => {
    const stream = Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabcdef')
    const r = recorder()
    const parser = new RequestParser({
      ...r.callbacks,
      onHead(head) {
        r.callbacks.onHead(head)
        parser.pause()
      },
    })
    const headBytes = parser.execute(stream)
    expect(headBytes).toBe(stream.length - 6)
    expect(parser.idle).toBe(false)
    expect(parser.execute(stream.subarray(headBytes))).toBe(6)
    expect(r.events).toEqual(['head POST /', 'body abcdef', 'end'])
  })
})

describe('idle, finished, finish()', () => {
  it('is idle only between requests', () => {
    const parser = new RequestParser({ onHead: () => undefined })
    expect(parser.idle).toBe(true)
    parser.execute(Buffer.from('GET / HT'))
    expect(parser.idle).toBe(false)
    parser.execute(Buffer.from('TP/1.1\r\n\r\n'))
    expect(parser.idle).toBe(true)
    parser.execute(Buffer.from('\r\n'))
    expect(parser.idle).toBe(false) // an empty line before a request line is part of the next one
    expect(parser.finish()).toBeInstanceOf(Error)
  })

  it('finish() between requests is a clean end', () => {
    const parser = new RequestParser({ onHead: () => undefined })
    parser.execute(Buffer.from(GET('/')))
    expect(parser.finish()).toBeUndefined()
    expect(parser.error).toBeUndefined()
  })

  it('finish() inside a body reports SH_ERR_PARSE_INCOMPLETE once', () => {
    const r = recorder()
    const parser = new RequestParser(r.callbacks)
    parser.execute(Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc'))
    const error = parser.finish()
    expect(error?.code).toBe('SH_ERR_PARSE_INCOMPLETE')
    expect(error?.status).toBe(400)
    expect(parser.finish()).toBe(error)
    expect(r.errors).toHaveLength(1)
    expect(parser.finished).toBe(true)
  })

  it('an HTTP/0.9 request finishes the stream', () => {
    const r = recorder()
    const parser = new RequestParser(r.callbacks)
    expect(parser.execute(Buffer.from('GET /old\r\nmore bytes'))).toBe('GET /old\r\n'.length)
    expect(parser.finished).toBe(true)
    expect(parser.error).toBeUndefined()
    expect(parser.execute(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBe(0)
    expect(parser.finish()).toBeUndefined()
    expect(r.events).toEqual(['head GET /old', 'end'])
  })

  it('reports an error once and then consumes nothing', () => {
    const r = recorder()
    const parser = new RequestParser(r.callbacks)
    const consumed = parser.execute(Buffer.from(GET('/ok') + 'GET / HTTP/1.1\r\nHost : a\r\n\r\n' + GET('/never')))
    expect(consumed).toBeLessThan(GET('/ok').length + 30)
    expect(r.events).toEqual(['head GET /ok', 'end', 'error SH_ERR_PARSE_SPACE_BEFORE_COLON'])
    expect(parser.error?.code).toBe('SH_ERR_PARSE_SPACE_BEFORE_COLON')
    expect(parser.finished).toBe(true)
    expect(parser.execute(Buffer.from(GET('/again')))).toBe(0)
    expect(r.errors).toHaveLength(1)
  })
})

describe('bounded memory', () => {
  /** Feed `prefix`, then up to `total` bytes of `fill` in `piece`-byte chunks; report when it failed. */
  function flood(prefix: string, fill: number, total: number, piece: number) {
    const r = recorder()
    const parser = new RequestParser(r.callbacks)
    expect(parser.execute(Buffer.from(prefix))).toBe(prefix.length)
    const chunk = Buffer.alloc(piece, fill)
    let fed = 0
    let consumedOnFailure = -1
    while (fed < total) {
      const consumed = parser.execute(chunk)
      fed += piece
      if (parser.error !== undefined) {
        consumedOnFailure = consumed
        break
      }
      expect(consumed).toBe(piece)
    }
    return { parser, fed, consumedOnFailure, r }
  }

  it('refuses a 1 MiB header line without CRLF once it passes the limit, not at its end', () => {
    const { parser, fed, consumedOnFailure, r } = flood('GET / HTTP/1.1\r\nX-Flood: ', 0x61, 1024 * 1024, 4096)
    expect(parser.error?.code).toBe('SH_ERR_PARSE_HEADER_LINE_TOO_LONG')
    expect(parser.error?.status).toBe(431)
    expect(fed).toBeLessThan(65536 + 4096)
    // The failing call stops consuming, and so does every call after it.
    expect(consumedOnFailure).toBeLessThan(4096)
    expect(parser.execute(Buffer.alloc(4096, 0x61))).toBe(0)
    expect(r.errors).toHaveLength(1)
  })

  it('refuses an endless request line the same way (414)', () => {
    const { parser, fed } = flood('GET /', 0x61, 1024 * 1024, 4096)
    expect(parser.error?.code).toBe('SH_ERR_PARSE_REQUEST_LINE_TOO_LONG')
    expect(parser.error?.status).toBe(414)
    expect(fed).toBeLessThan(65536 + 4096)
  })

  it('refuses an endless chunk extension', () => {
    const { parser, fed } = flood(
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=',
      0x61,
      1024 * 1024,
      4096,
    )
    expect(parser.error?.code).toBe('SH_ERR_PARSE_CHUNK_EXTENSION_TOO_LONG')
    expect(fed).toBeLessThanOrEqual(2 * 4096)
  })

  it('refuses endless empty lines before a request line', () => {
    const r = recorder()
    const parser = new RequestParser(r.callbacks)
    const crlf = Buffer.from('\r\n'.repeat(2048))
    let fed = 0
    while (parser.error === undefined && fed < 1024 * 1024) {
      parser.execute(crlf)
      fed += crlf.length
    }
    expect(parser.error?.code).toBe('SH_ERR_PARSE_BAD_REQUEST_LINE')
    // Refused inside the piece that carries the 65,537th byte.
    expect(fed).toBeLessThanOrEqual(65536 + 4096)
  })

  it('streams an endless chunk of zeros as a size without buffering it', () => {
    // Leading zeros keep the size at 0: nothing is stored, so nothing can grow.
    const r = recorder()
    const parser = new RequestParser(r.callbacks)
    parser.execute(Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'))
    for (let i = 0; i < 64; i++) expect(parser.execute(Buffer.alloc(16384, 0x30))).toBe(16384)
    parser.execute(Buffer.from('5\r\nhello\r\n0\r\n\r\n'))
    expect(r.events).toEqual(['head POST /', 'body hello', 'end'])
  })
})

describe('RequestHead', () => {
  it('carries CPython\'s requestline and the framing facts', () => {
    const { requests } = parseRequests(Buffer.from('GET /p?q HTTP/1.0\r\nContent-Length: 0\r\n\r\n'))
    const head = requests[0]
    expect(head?.requestLine).toBe('GET /p?q HTTP/1.0')
    expect(head?.framing).toBe('none')
    expect(head?.contentLength).toBe(0)
    expect(head?.keepAlive).toBe(false)
    expect(head?.expectContinue).toBe(false)
    expect(head?.trailers).toBeUndefined()
  })

  it('says 0 for contentLength when there is no Content-Length at all', () => {
    const { requests } = parseRequests(Buffer.from(GET('/')))
    expect(requests[0]?.contentLength).toBe(0)
  })

  it('gives HTTP/0.9 requests their two-word requestline', () => {
    const { requests } = parseRequests(Buffer.from('GET /x\r\n'))
    expect(requests[0]?.requestLine).toBe('GET /x')
  })
})

describe('parseRequests', () => {
  it('returns the requests before an error, and the error', () => {
    const { requests, error, incomplete } = parseRequests(Buffer.from(GET('/a') + 'GET / HTTP/2.0\r\n\r\n'))
    expect(requests.map((r) => r.target)).toEqual(['/a'])
    expect(error?.code).toBe('SH_ERR_PARSE_VERSION_NOT_SUPPORTED')
    expect(error?.reason).toBe('Invalid HTTP version (2.0)')
    expect(incomplete).toBe(false)
  })

  it('says when the input stops inside a request', () => {
    const { requests, error, incomplete } = parseRequests(Buffer.from(GET('/a') + 'GET /b HTTP/1.1\r\nHo'))
    expect(requests).toHaveLength(1)
    expect(error).toBeUndefined()
    expect(incomplete).toBe(true)
  })

  it('takes the same options as the parser', () => {
    const { error } = parseRequests(Buffer.from('GET /long HTTP/1.1\r\n\r\n'), { maxRequestLineSize: 10 })
    expect(error?.status).toBe(414)
  })
})
