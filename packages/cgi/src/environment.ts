/**
 * The CGI/1.1 environment (RFC 3875 §4.1): what CPython sets, plus what the RFC asks for and
 * CPython leaves out, minus what lets a request reach into the script's environment.
 * @module
 */
import type { HeaderList } from '@simplehttp/parser'

/** What the environment is built from. */
export interface CGIRequestInfo {
  serverSoftware: string
  serverName: string
  serverPort: number
  serverAddress: string
  protocolVersion: string
  method: string
  /** The raw request-target, as sent. */
  requestURI: string
  scriptName: string
  scriptFilename: string
  pathInfo: string
  pathTranslated: string
  query: string
  remoteAddress: string
  remotePort: number
  headers: HeaderList
  /** The server's own environment, filtered through `inheritEnvironment`. */
  baseEnvironment: Readonly<Record<string, string | undefined>>
}

/**
 * Variables passed from the server's own environment. CPython copies all of `os.environ`; a
 * server's secrets (tokens, keys) have no business in every script, so only these go through.
 */
export const INHERITED_VARIABLES = [
  'PATH',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'SYSTEMROOT',
  'COMSPEC',
  'PATHEXT',
  'WINDIR',
] as const

/**
 * Request headers that never become `HTTP_*` variables:
 * - `Proxy` would become `HTTP_PROXY`, which many HTTP clients read as their proxy (httpoxy,
 *   CVE-2016-5385);
 * - `Authorization` and `Proxy-Authorization` carry credentials (RFC 3875 §4.1.18 says not to
 *   pass them; `AUTH_TYPE` and `REMOTE_USER` say who it was);
 * - `Content-Type` and `Content-Length` have their own variables.
 */
const NOT_PASSED = new Set(['proxy', 'authorization', 'proxy-authorization', 'content-type', 'content-length'])

/** A header name that maps onto a variable name unambiguously. */
const PLAIN_NAME = /^[A-Za-z0-9-]+$/
// eslint-disable-next-line no-control-regex -- CR, LF and NUL must never reach an environment
const UNSAFE_VALUE = /[\r\n\0]/

/**
 * Build the script's environment. Every value is a string; header values with CR, LF or NUL are
 * dropped rather than passed on.
 */
export function buildCGIEnvironment(info: CGIRequestInfo): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of INHERITED_VARIABLES) {
    const value = info.baseEnvironment[name]
    if (value !== undefined) env[name] = value
  }

  // Other request headers, as RFC 3875 §4.1.18 describes (CPython passes only five). Names
  // with `_` or other punctuation are skipped: `X_Forwarded_For` must not be able to pose as
  // `X-Forwarded-For` (nginx and Apache drop them too).
  for (const [name, value] of info.headers) {
    const lower = name.toLowerCase()
    if (NOT_PASSED.has(lower) || !PLAIN_NAME.test(name) || UNSAFE_VALUE.test(value)) continue
    const key = `HTTP_${name.toUpperCase().replaceAll('-', '_')}`
    env[key] = key in env ? `${env[key] as string}, ${value}` : value
  }

  const headers = info.headers
  const safe = (value: string | undefined): string | undefined =>
    value === undefined || UNSAFE_VALUE.test(value) ? undefined : value

  // CPython's variables, in CPython's order.
  env.SERVER_SOFTWARE = info.serverSoftware
  env.SERVER_NAME = info.serverName
  env.GATEWAY_INTERFACE = 'CGI/1.1'
  env.SERVER_PROTOCOL = info.protocolVersion
  env.SERVER_PORT = String(info.serverPort)
  env.REQUEST_METHOD = info.method
  env.PATH_INFO = info.pathInfo
  env.PATH_TRANSLATED = info.pathTranslated
  env.SCRIPT_NAME = info.scriptName
  env.QUERY_STRING = info.query
  env.REMOTE_ADDR = info.remoteAddress
  const auth = basicAuth(safe(headers.get('authorization')))
  if (auth.type !== undefined) env.AUTH_TYPE = auth.type
  if (auth.user !== undefined) env.REMOTE_USER = auth.user
  // CPython: `headers.get_content_type()`, which is text/plain when absent.
  env.CONTENT_TYPE = safe(headers.get('content-type')) ?? 'text/plain'
  env.CONTENT_LENGTH = safe(headers.get('content-length')) ?? ''
  env.HTTP_REFERER = safe(headers.get('referer')) ?? ''
  env.HTTP_ACCEPT = headers.getAll('accept').filter((v) => safe(v) !== undefined).join(',')
  env.HTTP_USER_AGENT = safe(headers.get('user-agent')) ?? ''
  env.HTTP_COOKIE = headers
    .getAll('cookie')
    .filter((v) => v !== '' && safe(v) !== undefined)
    .join(', ')
  env.REMOTE_HOST = ''

  // RFC 3875 asks for these; CPython leaves them out.
  env.REMOTE_PORT = String(info.remotePort)
  env.SERVER_ADDR = info.serverAddress
  env.REQUEST_URI = info.requestURI
  env.SCRIPT_FILENAME = info.scriptFilename
  return env
}

/** CPython's reading of `Authorization`: the scheme, and the user name of Basic credentials. */
function basicAuth(header: string | undefined): { type?: string; user?: string } {
  if (header === undefined) return {}
  const words = header.split(/\s+/).filter((w) => w !== '')
  if (words.length !== 2) return {}
  const [type, credentials] = words as [string, string]
  if (type.toLowerCase() !== 'basic' || !/^[A-Za-z0-9+/]+=*$/.test(credentials)) return { type }
  const decoded = Buffer.from(credentials, 'base64').toString('latin1')
  // CPython requires ASCII and exactly one colon.
  // eslint-disable-next-line no-control-regex -- the printable-ASCII check is the point
  if (!/^[\x20-\x7e]*$/.test(decoded)) return { type }
  const parts = decoded.split(':')
  return parts.length === 2 ? { type, user: parts[0] as string } : { type }
}
