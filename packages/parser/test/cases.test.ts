/**
 * One test per rule: every case in test/cases/*.ts, parsed in one chunk and one byte at a time
 * (the two must agree exactly), and through parseRequests.
 */
import { describe, expect, it } from 'vitest'
import { parseRequests } from '../src/index.js'
import { caseTables } from './cases/index.js'
import { expectCase, run } from './helpers.js'

for (const [topic, cases] of Object.entries(caseTables)) {
  describe(topic, () => {
    for (const c of cases) {
      it(c.title, () => {
        const bytes = Buffer.from(c.raw, 'latin1')
        const whole = run(bytes, c.options, 'whole')
        expectCase(whole, c)
        expect(run(bytes, c.options, 'bytes')).toEqual(whole)

        // The one-shot helper reports the same requests, and the error unless it is only the
        // end of the stream (parseRequests does not call finish(): it says `incomplete`).
        const result = parseRequests(bytes, c.options)
        expect(result.requests.map((r) => r.method + ' ' + r.target)).toEqual(whole.requests.map((r) => r.method + ' ' + r.target))
        expect(result.requests.map((r) => r.body.toString('latin1'))).toEqual(whole.requests.map((r) => r.body))
        if (whole.error?.code === 'SH_ERR_PARSE_INCOMPLETE') {
          expect(result.error).toBeUndefined()
          expect(result.incomplete).toBe(true)
        } else {
          expect(result.error?.code).toBe(whole.error?.code)
          expect(result.incomplete).toBe(false)
        }
      })
    }
  })
}
