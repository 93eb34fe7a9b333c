/**
 * Small pieces of CPython's string handling that show up on the wire or in the log.
 * @module
 */
import { pyRepr } from '@simplehttp/parser'

/**
 * Python's `format % args` for the conversions the handler's log methods use:
 * `%s`, `%d`/`%i`, `%r` and `%%`. Unknown conversions are left as they are.
 */
export function percentFormat(format: string, args: readonly unknown[]): string {
  let next = 0
  return format.replace(/%([sdir%])/g, (whole, conversion: string) => {
    if (conversion === '%') return '%'
    if (next >= args.length) return whole
    const value = args[next++]
    if (conversion === 'r') return typeof value === 'string' ? pyRepr(value) : String(value)
    if (conversion === 'd' || conversion === 'i') return String(Math.trunc(Number(value)))
    return String(value)
  })
}

/** Python's `format % mapping` for `%(name)s`, `%(name)d` and `%%` (the error page template). */
export function mappingFormat(format: string, values: Readonly<Record<string, string | number>>): string {
  return format.replace(/%(?:\((\w+)\)([sd])|%)/g, (whole, name: string | undefined, conversion: string) => {
    if (name === undefined) return '%'
    const value = values[name]
    if (value === undefined) return whole
    return conversion === 'd' ? String(Math.trunc(Number(value))) : String(value)
  })
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' }

/** Python's `html.escape(text, quote)`. */
export function htmlEscape(text: string, quote = true): string {
  return text.replace(quote ? /[&<>"']/g : /[&<>]/g, (ch) => HTML_ESCAPES[ch] as string)
}

/**
 * What CPython 3.12+ does to a log message: C0 controls, DEL and C1 controls become `\xNN`, and
 * a backslash becomes `\\`, so a request cannot forge log lines or send terminal escapes.
 */
export function escapeLogText(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\x00-\x1f\x7f-\x9f\\]/g, (ch) =>
    ch === '\\' ? '\\\\' : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
}

/** Control characters a reason phrase must not carry (RFC 9112 §4: HTAB, SP, VCHAR, obs-text). */
export function safeReasonPhrase(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/.test(text) ? escapeLogText(text).replace(/[^\x00-\xff]/g, '?') : text
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

/** CPython's `log_date_time_string`: local time as `25/Nov/2026 11:23:53`. */
export function logDateTime(date: Date): string {
  return `${pad2(date.getDate())}/${MONTHS[date.getMonth()] as string}/${date.getFullYear()} ${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`
}

let cachedSecond = -1
let cachedDate = ''

/**
 * An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7), as CPython's
 * `email.utils.formatdate(usegmt=True)`. The current time's string is reused within a second.
 */
export function httpDate(timestampMs?: number): string {
  if (timestampMs !== undefined) return new Date(timestampMs).toUTCString()
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedDate = new Date(now).toUTCString()
  }
  return cachedDate
}
