/**
 * One test per response rule: every case in test/response-cases/index.ts, parsed in one chunk
 * and one byte at a time (the two must agree exactly), and through parseResponses.
 */
import { describe, expect, it } from 'vitest'
import { parseResponses } from '../src/index.js'
import { responseCaseTables } from './response-cases/index.js'
import { expectResponseCase, runResponses } from './response-helpers.js'

for (const [topic, cases] of Object.entries(responseCaseTables)) {
  describe(topic, () => {
    for (const c of cases) {
      it(c.title, () => {
        const bytes = Buffer.from(c.raw, 'latin1')
        const whole = runResponses(bytes, c.methods, c.options, 'whole')
        expectResponseCase(whole, c)
        expect(runResponses(bytes, c.methods, c.options, 'bytes')).toEqual(whole)

        // The one-shot helper: the same responses; the end of its input is the close.
        const result = parseResponses(bytes, { ...c.options, methods: c.methods ?? [] })
        expect(result.responses.map((r) => [r.status, r.body.toString('latin1')])).toEqual(
          whole.responses.map((r) => [r.status, r.body]),
        )
        if (whole.error?.code === 'SH_ERR_PARSE_INCOMPLETE') {
          expect(result.error).toBeUndefined()
          expect(result.incomplete).toBe(true)
        } else {
          expect(result.error?.code).toBe(whole.error?.code)
          expect(result.incomplete).toBe(false)
        }
        expect(result.rest?.toString('latin1')).toBe(whole.rest)
      })
    }
  })
}

describe('ResponseParser API', () => {
  it('expect() queues methods for pipelined responses; 1xx does not use one up', async () => {
    const { ResponseParser } = await import('../src/index.js')
    const seen: string[] = []
    const parser = new ResponseParser({ onHead: (h) => seen.push(`${h.status} ${h.method} ${h.framing}`) })
    parser.expect({ method: 'HEAD' })
    parser.expect({ method: 'GET' })
    parser.execute(
      Buffer.from(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n' +
          'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n',
      ),
    )
    expect(seen).toEqual(['100 HEAD none', '200 HEAD none', '200 GET length', '200 GET none'])
    expect(parser.idle).toBe(true)
  })

  it('defaultMethod applies when nothing was expected', async () => {
    const { parseResponses: parse } = await import('../src/index.js')
    const { responses } = parse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n'), { defaultMethod: 'HEAD' })
    expect(responses.map((r) => [r.method, r.framing])).toEqual([['HEAD', 'none']])
  })

  it('finish() ends a close-delimited body without an error, and the parser is finished', async () => {
    const { ResponseParser } = await import('../src/index.js')
    const ends: number[] = []
    const parser = new ResponseParser({ onHead: () => undefined, onEnd: () => ends.push(1) })
    parser.execute(Buffer.from('HTTP/1.1 200 OK\r\n\r\nbody'))
    expect(ends).toEqual([])
    expect(parser.finish()).toBeUndefined()
    expect(ends).toEqual([1])
    expect(parser.finished).toBe(true)
    expect(parser.error).toBeUndefined()
  })

  it('pause() stops after a response, and the rest parses later', async () => {
    const { ResponseParser } = await import('../src/index.js')
    const statuses: number[] = []
    const parser: InstanceType<typeof ResponseParser> = new ResponseParser({
      onHead: (h) => statuses.push(h.status),
      onEnd: () => {
        parser.pause()
      },
    })
    const bytes = Buffer.from('HTTP/1.1 204 A\r\n\r\nHTTP/1.1 204 B\r\n\r\n')
    const first = parser.execute(bytes)
    expect(statuses).toEqual([204])
    expect(first).toBe(18)
    expect(parser.execute(bytes.subarray(first))).toBe(bytes.length - first)
    expect(statuses).toEqual([204, 204])
  })
})
