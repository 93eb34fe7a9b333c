/**
 * The CGI/1.1 environment (RFC 3875 §4.1): what CPython sets, plus what the RFC asks for and
 * CPython leaves out, minus what lets a request reach into the script's environment.
 * @module
 */
import type { HeaderList } from '@simplehttp/parser'
import { fromWire } from '@simplehttp/static'

/** What the environment is built from. */
export interface CGIRequestInfo {
  serverSoftware: string
  serverName: string
  serverPort: number
  serverAddress: string
  protocolVersion: string
  method: string
  /** The request-target, as the handler's `path` holds it. */
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
 * Variables passed from the server's own environment, along with every `LC_*`. CPython copies
 * all of `os.environ`; a server's secrets (tokens, keys, `HTTP_PROXY`) have no business in
 * every script, so only these go through.
 */
export const INHERITED_VARIABLES: readonly string[] = Object.freeze([
  'PATH',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  // What programs need to start at all on Windows.
  'SYSTEMROOT',
  'COMSPEC',
  'PATHEXT',
  'WINDIR',
])

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
const UNSAFE_VALUE = /[\r\n\0]/

/**
 * Build the script's environment. Every value is a string; header values with CR, LF or NUL are
 * dropped rather than passed on.
 */
export function buildCGIEnvironment(info: CGIRequestInfo): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(info.baseEnvironment)) {
    // Windows spells them `Path`, `SystemRoot`: its variable names ignore case.
    const key = process.platform === 'win32' ? name.toUpperCase() : name
    if (value !== undefined && (INHERITED_VARIABLES.includes(key) || key.startsWith('LC_'))) env[name] = value
  }

  // Other request headers, as RFC 3875 §4.1.18 describes (CPython passes only four). Names
  // with `_` or other punctuation are skipped: `X_Forwarded_For` must not be able to pose as
  // `X-Forwarded-For` (nginx and Apache drop them too).
  for (const [name, value] of info.headers) {
    const lower = name.toLowerCase()
    if (NOT_PASSED.has(lower) || !PLAIN_NAME.test(name) || UNSAFE_VALUE.test(value)) continue
    const key = `HTTP_${name.toUpperCase().replaceAll('-', '_')}`
    const text = fromWire(value) ?? value
    env[key] = key in env ? `${env[key] as string}, ${text}` : text
  }

  const headers = info.headers
  // Header values are read as Latin-1; a script gets UTF-8 text as the UTF-8 it was sent as.
  const safe = (value: string | undefined): string | undefined =>
    value === undefined || UNSAFE_VALUE.test(value) ? undefined : (fromWire(value) ?? value)
  // CPython's `headers.get(name)`: the first field of that name.
  const first = (name: string): string | undefined => safe(headers.getAll(name)[0])

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
  const auth = basicAuth(first('authorization'))
  if (auth.type !== undefined) env.AUTH_TYPE = auth.type
  if (auth.user !== undefined) env.REMOTE_USER = auth.user
  // CPython: `headers.get_content_type()`, which is text/plain when absent.
  env.CONTENT_TYPE = first('content-type') ?? 'text/plain'
  env.CONTENT_LENGTH = first('content-length') ?? ''
  env.HTTP_REFERER = first('referer') ?? ''
  env.HTTP_ACCEPT = headers
    .getAll('accept')
    .map(safe)
    .filter((v) => v !== undefined)
    .join(',')
  env.HTTP_USER_AGENT = first('user-agent') ?? ''
  env.HTTP_COOKIE = headers
    .getAll('cookie')
    .map(safe)
    .filter((v) => v !== undefined && v !== '')
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
  if (!/^[\x20-\x7e]*$/.test(decoded)) return { type }
  const parts = decoded.split(':')
  return parts.length === 2 ? { type, user: parts[0] as string } : { type }
}
