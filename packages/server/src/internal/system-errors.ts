import { ServerError } from '../errors.js'
import { formatHostPort } from './address.js'

/** The `code` of a Node system error, if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

/** Quote a user-supplied value for a message: JSON escapes control characters. */
export function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/**
 * Turn a bind failure into a {@link ServerError} that says what went wrong in words. Codes we
 * have no better words for are returned unchanged, so nothing is hidden.
 */
export function listenError(error: unknown, host: string, port: number): unknown {
  const code = errorCode(error) ?? ''
  const where = formatHostPort(host, port)
  const options = { cause: error }
  if (code === 'EADDRINUSE') {
    return new ServerError(
      'SH_ERR_SERVER_ADDRESS_IN_USE',
      `address ${where} is already in use: expected a free port; stop the other server or pick another port (0 lets the system choose)`,
      options,
    )
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new ServerError(
      'SH_ERR_SERVER_PERMISSION_DENIED',
      `permission denied to listen on ${where}: ports below 1024 need root or CAP_NET_BIND_SERVICE; expected a port such as 8000 (${code})`,
      options,
    )
  }
  if (code === 'EADDRNOTAVAIL') {
    return new ServerError(
      'SH_ERR_SERVER_ADDRESS_NOT_AVAILABLE',
      `cannot listen on ${where}: expected an address of one of this machine's interfaces, got ${quote(host)} (${code})`,
      options,
    )
  }
  if (code === 'ENOTFOUND' || code.startsWith('EAI_')) {
    return new ServerError(
      'SH_ERR_SERVER_HOST_NOT_FOUND',
      `cannot resolve the host to listen on: expected an IP address or a host name that resolves, got ${quote(host)} (${code})`,
      options,
    )
  }
  return error
}
