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

/** What {@link formatBannerDetails} adds below CPython's line. */
export interface BannerDetails {
  /** The port asked for, when it was taken and the server moved to the next free one. */
  readonly movedFrom?: number | undefined
  /** SHA-256 fingerprint of a certificate made at start-up (`--tls-self-signed`). */
  readonly fingerprint?: string | undefined
  /** This machine's interface addresses (`os.networkInterfaces()`), for the network URLs. */
  readonly interfaces?: Readonly<Record<string, readonly { address: string; family: string | number; internal: boolean }[] | undefined>>
  /** Print a QR code of the first network URL (`--qr`). */
  readonly qr?: boolean | undefined
}

/** True for a bind to every interface: `::`, `0.0.0.0` or `''` (what a LAN list needs). */
export function isAllInterfaces(host: string): boolean {
  return host === '' || host === '::' || host === '0.0.0.0' || host === '::0'
}

/** The URLs a phone or another machine on the network can use: one per non-internal address. */
export function networkURLs(server: BannerServer, interfaces: NonNullable<BannerDetails['interfaces']>): string[] {
  const [host, port] = server.serverAddress
  const scheme = server.url.startsWith('https:') ? 'https' : 'http'
  const ipv4Only = host === '0.0.0.0'
  const urls: string[] = []
  for (const entries of Object.values(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue
      const v6 = entry.family === 'IPv6' || entry.family === 6
      if (v6 && ipv4Only) continue
      // A link-local IPv6 address needs its zone to be usable, and browsers refuse zones in URLs.
      if (v6 && entry.address.toLowerCase().startsWith('fe80:')) continue
      urls.push(`${scheme}://${v6 ? `[${entry.address}]` : entry.address}:${port}/`)
    }
  }
  // IPv4 first: what people type and what phones scan.
  return [...urls.filter((url) => !url.includes('[')), ...urls.filter((url) => url.includes('['))]
}

/**
 * The lines after CPython's banner: the moved port, the local and network URLs when bound to
 * every interface, the self-signed certificate's fingerprint, and a QR code. Empty when there
 * is nothing to add, so `simplehttp` with no flags prints exactly CPython's line.
 */
export function formatBannerDetails(server: BannerServer, details: BannerDetails, renderQR?: (text: string) => string): string[] {
  const [host, port] = server.serverAddress
  const scheme = server.url.startsWith('https:') ? 'https' : 'http'
  const lines: string[] = []
  if (details.movedFrom !== undefined) lines.push(`Port ${details.movedFrom} is in use, so this server took port ${port}.`)
  const network = isAllInterfaces(host) && details.interfaces !== undefined ? networkURLs(server, details.interfaces) : []
  if (isAllInterfaces(host)) {
    lines.push(`  Local:   ${scheme}://localhost:${port}/`)
    for (const url of network) lines.push(`  Network: ${url}`)
  }
  if (details.fingerprint !== undefined) {
    lines.push('TLS certificate made for this run (self-signed); check its SHA-256 fingerprint in the browser:')
    lines.push(`  ${details.fingerprint}`)
  }
  if (details.qr === true && renderQR !== undefined) {
    const target = network[0] ?? `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}/`
    lines.push(`QR code for ${target}:`, renderQR(target))
  }
  return lines
}
