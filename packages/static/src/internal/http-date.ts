/**
 * Parsing the dates of `If-Modified-Since`, `If-Unmodified-Since` and `If-Range` the way CPython
 * does (`email.utils.parsedate_to_datetime`), so the same header gives the same 304.
 * @module
 */

const MONTHS = [
  'jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec',
  'january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september',
  'october', 'november', 'december',
]
const DAYS = new Set(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])
/** `email._parseaddr._timezones`, in ±HHMM. */
const ZONES: Readonly<Record<string, number>> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0,
  AST: -400, ADT: -300, EST: -500, EDT: -400, CST: -600, CDT: -500,
  MST: -700, MDT: -600, PST: -800, PDT: -700,
}

/** Python's `int(text)` for the plain cases: optional sign, ASCII digits. */
function pyInt(text: string): number | undefined {
  const t = text.trim()
  let i = t.charCodeAt(0) === 0x2b || t.charCodeAt(0) === 0x2d ? 1 : 0
  if (i === t.length) return undefined
  for (; i < t.length; i++) {
    const c = t.charCodeAt(i)
    if (c < 0x30 || c > 0x39) return undefined
  }
  return Number(t)
}

/**
 * An HTTP date (IMF-fixdate, RFC 850, asctime, and the looser RFC 2822 forms CPython accepts) as
 * milliseconds since the epoch, or `undefined` when CPython would ignore it: unparsable, an
 * impossible date, or a zone other than UTC (CPython only compares dates in UTC; a date without
 * a zone, or `-0000`, counts as UTC).
 *
 * A port of `email._parseaddr._parsedate_tz` plus `parsedate_to_datetime`'s checks. Results are
 * remembered per value (clients revalidate with the `Last-Modified` they were sent, so a few
 * values repeat on most requests; `null` marks one that does not parse).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-5.6.7
 */
export function parseHTTPDate(value: string): number | undefined {
  const known = parsedDates.get(value)
  if (known !== undefined) return known ?? undefined
  const parsed = parseDate(value)
  // Bounded: a client sending a new date each time must not grow it (nor keep long values).
  if (value.length <= 64) {
    if (parsedDates.size >= PARSED_DATES_LIMIT) parsedDates.clear()
    parsedDates.set(value, parsed ?? null)
  }
  return parsed
}

const PARSED_DATES_LIMIT = 256
const parsedDates = new Map<string, number | null>()

function parseDate(value: string): number | undefined {
  let data = value.split(/\s+/).filter((word) => word !== '')
  if (data.length === 0) return undefined
  const first = data[0] as string
  if (first.endsWith(',') || DAYS.has(first.toLowerCase())) {
    data.shift()
  } else {
    const comma = first.lastIndexOf(',')
    if (comma >= 0) data[0] = first.slice(comma + 1)
  }
  if (data.length === 3) {
    // RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`
    const stuff = (data[0] as string).split('-')
    if (stuff.length === 3) data = [...stuff, ...data.slice(1)]
  }
  if (data.length === 4) {
    const s = data[3] as string
    let i = s.indexOf('+')
    if (i === -1) i = s.indexOf('-')
    if (i > 0) data.splice(3, 1, s.slice(0, i), s.slice(i))
    else data.push('')
  }
  if (data.length < 5) return undefined
  let [dd, mm, yy, tm, tz] = data as [string, string, string, string, string]
  if (dd === '' || mm === '' || yy === '') return undefined
  mm = mm.toLowerCase()
  let month = MONTHS.indexOf(mm)
  if (month === -1) {
    ;[dd, mm] = [mm, dd.toLowerCase()]
    month = MONTHS.indexOf(mm)
    if (month === -1) return undefined
  }
  month = (month % 12) + 1
  if (dd.endsWith(',')) dd = dd.slice(0, -1)
  if (yy.indexOf(':') > 0) [yy, tm] = [tm, yy]
  if (yy.endsWith(',')) {
    yy = yy.slice(0, -1)
    if (yy === '') return undefined
  }
  const y0 = yy.charCodeAt(0)
  if (!(y0 >= 0x30 && y0 <= 0x39)) [yy, tz] = [tz, yy]
  if (tm.endsWith(',')) tm = tm.slice(0, -1)
  let clock = tm.split(':')
  if (clock.length === 1 && tm.includes('.')) clock = tm.split('.')
  if (clock.length === 2) clock.push('0')
  if (clock.length !== 3) return undefined
  const year0 = pyInt(yy)
  const day = pyInt(dd)
  const hour = pyInt(clock[0] as string)
  const minute = pyInt(clock[1] as string)
  const second = pyInt(clock[2] as string)
  if (year0 === undefined || day === undefined || hour === undefined || minute === undefined || second === undefined) {
    return undefined
  }
  let year = year0
  if (year < 100) year += year > 68 ? 1900 : 2000
  // The zone: a name, or ±HHMM; anything else means "no zone" (naive, taken as UTC).
  const zone = tz.toUpperCase()
  let offset: number | undefined = ZONES[zone]
  if (offset === undefined) {
    offset = pyInt(zone)
    if (offset === 0 && zone.startsWith('-')) offset = undefined
  }
  // CPython only answers 304 for a UTC date: another offset means "ignore the header".
  if (offset !== undefined && offset !== 0) return undefined
  // datetime() raises ValueError for these; CPython then ignores the header.
  if (year < 1 || year > 9999 || day < 1 || day > daysIn(year, month)) return undefined
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined
  const ms = Date.UTC(year, month - 1, day, hour, minute, second)
  // Date.UTC maps years 0–99 to 1900+; the years that reach here are ≥ 100 or 1969–2068.
  return year < 100 ? undefined : ms
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}
