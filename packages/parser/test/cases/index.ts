/** Every case table, by topic. */
import { chunkedCases } from './chunked.js'
import { framingCases } from './framing.js'
import { headerCases } from './headers.js'
import { limitCases } from './limits.js'
import { lineEndingCases } from './line-endings.js'
import { requestLineCases } from './request-line.js'
import type { ParseCase } from './types.js'

export type { ExpectedError, ExpectedRequest, ParseCase } from './types.js'

export const caseTables: Record<string, ParseCase[]> = {
  'request line': requestLineCases,
  'header fields': headerCases,
  'framing (Content-Length, Transfer-Encoding)': framingCases,
  'chunked bodies': chunkedCases,
  'line endings': lineEndingCases,
  limits: limitCases,
}

export const allCases: ParseCase[] = Object.values(caseTables).flat()
