import { isIPv4, isIPv6 } from 'node:net'
import { hostname } from 'node:os'

/** The host we bind when none is given: IPv6 any, dual-stack, like `python -m http.server`. */
export const DEFAULT_HOST = '::'

const WILDCARDS = new Set(['', '0.0.0.0', '::', '::0', '0:0:0:0:0:0:0:0'])

/** `0.0.0.0`, `::` or empty: every interface. */
export function isWildcard(host: string): boolean {
  return WILDCARDS.has(host)
}

/** `localhost`, 127.0.0.0/8, `::1`, or an IPv4-mapped loopback address. */
export function isLoopback(host: string): boolean {
  const v4 = host.toLowerCase().startsWith('::ffff:') ? host.slice(7) : host
  return (
    host.toLowerCase() === 'localhost' ||
    (isIPv4(v4) && v4.startsWith('127.')) ||
    (isIPv6(host) && /^(0{0,4}:){2,7}0{0,3}1$/.test(host))
  )
}

/**
 * CPython's `server_name` without its `socket.getfqdn()` call: that reverse DNS lookup can stall
 * startup for tens of seconds on a machine with slow or broken DNS (cpython#106505), so we name
 * the server from what we already know instead.
 */
export function serverNameFor(requested: string, bound: string): string {
  if (isWildcard(bound)) return hostname()
  if (isLoopback(bound) || isLoopback(requested)) return 'localhost'
  return requested === '' ? bound : requested
}

/** `127.0.0.1:8000`, `[::1]:8000`: for messages. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** The authority part of a URL: IPv6 in brackets, a zone's `%` escaped (RFC 6874). */
export function urlAuthority(host: string, port: number): string {
  return host.includes(':') ? `[${host.replace('%', '%25')}]:${port}` : `${host}:${port}`
}
