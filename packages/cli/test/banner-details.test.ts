import { describe, expect, it } from 'vitest'
import { formatBanner, formatBannerDetails, networkURLs } from '../src/index.js'

const interfaces = {
  lo: [
    { address: '127.0.0.1', family: 'IPv4', internal: true },
    { address: '::1', family: 'IPv6', internal: true },
  ],
  eth0: [
    { address: '192.168.1.20', family: 'IPv4', internal: false },
    { address: '2001:db8::20', family: 'IPv6', internal: false },
    { address: 'fe80::1', family: 'IPv6', internal: false },
  ],
  wlan0: [{ address: '10.0.0.7', family: 4, internal: false }],
}

describe('the lines after the banner', () => {
  it('list the local and each network URL when bound to every interface, IPv4 first, IPv6 bracketed', () => {
    const server = { serverAddress: ['::', 8000] as const, url: 'http://[::]:8000/' }
    expect(formatBanner(server)).toBe('Serving HTTP on :: port 8000 (http://[::]:8000/) ...')
    expect(formatBannerDetails(server, { interfaces })).toEqual([
      '  Local:   http://localhost:8000/',
      '  Network: http://192.168.1.20:8000/',
      '  Network: http://10.0.0.7:8000/',
      '  Network: http://[2001:db8::20]:8000/',
    ])
  })

  it('leave out IPv6 on an IPv4-only bind, and link-local addresses (unusable in a URL)', () => {
    const server = { serverAddress: ['0.0.0.0', 8443] as const, url: 'https://0.0.0.0:8443/' }
    expect(networkURLs(server, interfaces)).toEqual(['https://192.168.1.20:8443/', 'https://10.0.0.7:8443/'])
  })

  it('add nothing for a loopback bind with no flags, so the output is CPython’s line alone', () => {
    const server = { serverAddress: ['127.0.0.1', 8000] as const, url: 'http://127.0.0.1:8000/' }
    expect(formatBannerDetails(server, { interfaces })).toEqual([])
  })

  it('say where a taken default port went, show a fingerprint, and a QR code of the first network URL', () => {
    const server = { serverAddress: ['::', 8001] as const, url: 'https://[::]:8001/' }
    const lines = formatBannerDetails(server, { interfaces, movedFrom: 8000, fingerprint: 'AB:CD', qr: true }, (text) => `<qr ${text}>`)
    expect(lines[0]).toBe('Port 8000 is in use, so this server took port 8001.')
    expect(lines).toContain('  AB:CD')
    expect(lines.slice(-2)).toEqual(['QR code for https://192.168.1.20:8001/:', '<qr https://192.168.1.20:8001/>'])
  })
})
