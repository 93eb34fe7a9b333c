/**
 * Reading a script's response: its header block (RFC 3875 §6), then the body.
 * @module
 */

/** The header block a script printed, read as RFC 3875 §6.3 says. */
export interface ScriptHead {
  /** From a `Status:` line; `undefined` when the script sent none. */
  status: number | undefined
  /** The reason phrase of the `Status:` line, if it had one. */
  reason: string | undefined
  /** Every other header line, in order, names as printed. */
  headers: [name: string, value: string][]
  /** Body bytes that came in the same chunk as the end of the header block. */
  rest: Buffer
}

/** Why a script's output could not be used. */
export type ScriptHeadProblem = 'no-header-block' | 'header-block-too-large' | 'malformed-header'

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// eslint-disable-next-line no-control-regex -- control characters in a value are refused
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/

/**
 * Read chunks from `chunks` until the blank line that ends the script's header block (LF or
 * CRLF line ends, as RFC 3875 allows). At most `limit` bytes of header block are accepted.
 */
export async function readScriptHead(
  chunks: AsyncIterator<Buffer>,
  limit: number,
): Promise<ScriptHead | ScriptHeadProblem> {
  let buffered: Buffer = Buffer.alloc(0)
  for (;;) {
    const end = findBlankLine(buffered)
    if (end !== undefined && end.headEnd > limit) return 'header-block-too-large'
    if (end !== undefined) return parseHead(buffered.subarray(0, end.headEnd), buffered.subarray(end.bodyStart))
    if (buffered.length > limit) return 'header-block-too-large'
    const next = await chunks.next()
    if (next.done === true) return 'no-header-block'
    buffered = buffered.length === 0 ? next.value : Buffer.concat([buffered, next.value])
  }
}

function findBlankLine(buf: Buffer): { headEnd: number; bodyStart: number } | undefined {
  for (let i = buf.indexOf(0x0a); i !== -1; i = buf.indexOf(0x0a, i + 1)) {
    // A header block that is empty ends at once.
    if (i === 0) return { headEnd: 0, bodyStart: 1 }
    if (buf[i - 1] === 0x0a) return { headEnd: i - 1, bodyStart: i + 1 }
    if (buf[i - 1] === 0x0d && (i === 1 || buf[i - 2] === 0x0a)) return { headEnd: i - 1, bodyStart: i + 1 }
  }
  return undefined
}

function parseHead(block: Buffer, rest: Buffer): ScriptHead | ScriptHeadProblem {
  const head: ScriptHead = { status: undefined, reason: undefined, headers: [], rest }
  for (const rawLine of block.toString('latin1').split('\n')) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine
    if (line === '') continue
    const colon = line.indexOf(':')
    const name = colon === -1 ? '' : line.slice(0, colon)
    const value = line.slice(colon + 1).trim()
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) return 'malformed-header'
    if (name.toLowerCase() === 'status') {
      const match = /^([2-5][0-9][0-9])(?:\s+(.*))?$/.exec(value)
      if (match == null) return 'malformed-header'
      head.status = Number(match[1])
      head.reason = match[2]
    } else {
      head.headers.push([name, value])
    }
  }
  return head
}
