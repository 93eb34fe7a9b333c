/**
 * The start-up line `python -m http.server` prints.
 * @module
 */

/** What {@link formatBanner} reads from a server: `@simplehttp/server`'s `HTTPServer` has both. */
export interface BannerServer {
  /** `[host, port]` as bound: the real port when 0 was asked. */
  readonly serverAddress: readonly [host: string, port: number]
  /** The server's URL; only its scheme is read (`https:` means TLS). */
  readonly url: string
}

/**
 * CPython's banner, byte for byte: `Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ...`.
 * `HTTPS`/`https://` with TLS; an IPv6 host is bracketed in the URL only
 * (`Serving HTTP on :: port 8000 (http://[::]:8000/) ...`). No trailing newline.
 */
export function formatBanner(server: BannerServer): string {
  const [host, port] = server.serverAddress
  const protocol = server.url.startsWith('https:') ? 'HTTPS' : 'HTTP'
  const urlHost = host.includes(':') ? `[${host}]` : host
  return `Serving ${protocol} on ${host} port ${port} (${protocol.toLowerCase()}://${urlHost}:${port}/) ...`
}
