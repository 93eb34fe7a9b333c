/**
 * Request-target helpers: the one view of a target that both the CGI check and the static
 * fallback must agree on, and the quoting that keeps a decoded path from being decoded twice.
 * @module
 */

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Request lines are read as Latin-1, so raw UTF-8 bytes arrive as `fÃ¼nf`: read them as the
 * UTF-8 they are (as `@simplehttp/static` does), or keep the text when they are not UTF-8.
 */
export function fromWire(text: string): string {
  // Only Latin-1 text with bytes above 0x7f can be UTF-8 read as Latin-1.
  let high = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c > 0xff) return text
    if (c > 0x7f) high = true
  }
  if (!high) return text
  try {
    return UTF8.decode(Buffer.from(text, 'latin1'))
  } catch {
    return text
  }
}

/**
 * `scheme://authority/p?q#f` → `/p?q`, `/p?q#f` → `/p?q`, raw UTF-8 read as such. The static
 * handler maps absolute-form targets (RFC 9112 §3.2.2) to their path; if the CGI check did not,
 * `GET http://host/cgi-bin/script` would be served as a file and show the script's source.
 */
export function originForm(target: string): string {
  let rest = target
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(rest)
  if (scheme != null) rest = rest.slice(scheme[0].length)
  if (!rest.startsWith('/')) rest = `/${rest}`
  const hash = rest.indexOf('#')
  if (hash !== -1) rest = rest.slice(0, hash)
  return fromWire(rest)
}

/** The query of a target: everything after the first `?`, `''` when there is none. */
export function queryOf(target: string): string {
  const mark = target.indexOf('?')
  return mark === -1 ? '' : target.slice(mark + 1)
}

/**
 * Percent-encode each segment of an already decoded URL path, so that `translatePath` (which
 * decodes, as CPython's does) decodes it exactly once. CPython decodes twice: `%252e%252e`
 * becomes `..` on the second pass and lets `/cgi-bin/%252e%252e/x` run `/x` as a script.
 */
export function quotePath(decoded: string): string {
  return decoded.split('/').map(encodeURIComponent).join('/')
}
