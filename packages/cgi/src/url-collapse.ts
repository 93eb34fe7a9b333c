/**
 * CPython's `_url_collapse_path`, which decides whether a request names a CGI script.
 * @module
 */

/**
 * Percent-decode the path (not the query), resolve `.` and `..` segments and collapse repeated
 * slashes, URL-style rather than OS-style: `/cgi-bin/../cgi-bin/x` → `/cgi-bin/x`,
 * `//cgi-bin/x` → `/cgi-bin/x`. The query string is kept on the last segment. Returns
 * `undefined` where CPython raises (more `..` than segments) or the escapes are invalid.
 */
export function urlCollapsePath(target: string): string | undefined {
  const q = target.indexOf('?')
  const rawPath = q === -1 ? target : target.slice(0, q)
  const query = q === -1 ? '' : target.slice(q + 1)
  let path: string
  try {
    path = decodeURIComponent(rawPath)
  } catch {
    return undefined
  }
  const parts = path.split('/')
  const last = parts.pop() ?? ''
  const head: string[] = []
  for (const part of parts) {
    if (part === '..') {
      if (head.pop() === undefined) return undefined
    } else if (part !== '' && part !== '.') {
      head.push(part)
    }
  }
  let tail = last
  if (tail === '..') {
    if (head.pop() === undefined) return undefined
    tail = ''
  } else if (tail === '.') {
    tail = ''
  }
  if (query !== '') tail = `${tail}?${query}`
  return `/${head.join('/')}/${tail}`
}
