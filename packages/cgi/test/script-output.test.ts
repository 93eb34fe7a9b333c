import { describe, expect, it } from 'vitest'
import { readScriptHead } from '../src/index.js'

/** The parts as a pipe would deliver them: one chunk per turn of the event loop. */
async function* chunksOf(...parts: string[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    await new Promise((resolve) => setImmediate(resolve))
    yield Buffer.from(part, 'latin1')
  }
}

function read(parts: string[], limit = 65536): ReturnType<typeof readScriptHead> {
  return readScriptHead(chunksOf(...parts), limit)
}

describe('readScriptHead (RFC 3875 §6)', () => {
  it('reads LF and CRLF header blocks, and keeps the body bytes that came along', async () => {
    const lf = await read(['Content-Type: text/plain\nX-A:  b \n\nbody'])
    expect(lf).toEqual({ status: undefined, reason: undefined, headers: [['Content-Type', 'text/plain'], ['X-A', 'b']], rest: Buffer.from('body') })
    const crlf = await read(['Content-Type: text/plain\r\n\r\nbody\r\n'])
    expect(crlf).toMatchObject({ headers: [['Content-Type', 'text/plain']], rest: Buffer.from('body\r\n') })
  })

  it('finds the blank line across chunk boundaries', async () => {
    const head = await read(['Content-Type: text/pl', 'ain\r', '\n\r', '\nhello'])
    expect(head).toMatchObject({ headers: [['Content-Type', 'text/plain']], rest: Buffer.from('hello') })
  })

  it('takes Status with or without a reason', async () => {
    expect(await read(['Status: 404 Not Here\n\n'])).toMatchObject({ status: 404, reason: 'Not Here', headers: [] })
    expect(await read(['status: 302\nLocation: /x\n\n'])).toMatchObject({ status: 302, reason: undefined, headers: [['Location', '/x']] })
  })

  it('accepts an empty header block', async () => {
    expect(await read(['\nbody'])).toMatchObject({ headers: [], rest: Buffer.from('body') })
  })

  it('reports output without a header block, malformed lines and oversized blocks', async () => {
    expect(await read(['no blank line\n'])).toBe('no-header-block')
    expect(await read([])).toBe('no-header-block')
    expect(await read(['not a header\n\n'])).toBe('malformed-header')
    expect(await read(['Bad Name: x\n\n'])).toBe('malformed-header')
    expect(await read(['X: a\x00b\n\n'])).toBe('malformed-header')
    expect(await read(['Status: 99 Low\n\n'])).toBe('malformed-header')
    expect(await read(['Status: 200OK\n\n'])).toBe('malformed-header')
    // An interim status cannot end a response.
    expect(await read(['Status: 100 Continue\n\n'])).toBe('malformed-header')
    expect(await read(['X: ' + 'a'.repeat(100), 'b'.repeat(100)], 64)).toBe('header-block-too-large')
  })
})
