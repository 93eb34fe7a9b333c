/**
 * A throw-away HTTPS certificate made in memory at start-up, so `--tls-self-signed` needs no
 * openssl and writes no key to disk. ECDSA P-256 keys come from `node:crypto`; the X.509
 * structure is a few DER values written here (RFC 5280), which is all a self-signed leaf needs.
 * @module
 */
import { isIP } from 'node:net'
import { hostname, networkInterfaces } from 'node:os'
import { crypto } from './internal/builtins.js'

/** What {@link generateSelfSignedCertificate} makes. */
export interface SelfSignedCertificate {
  /** The certificate, PEM. Give it to a client as its trust anchor (curl `--cacert`). */
  readonly cert: string
  /** The PKCS#8 private key, PEM. Lives only in memory unless the caller writes it. */
  readonly key: string
  /** SHA-256 fingerprint, colon-separated hex, as browsers and `openssl x509 -fingerprint` show it. */
  readonly fingerprint256: string
  /** The DNS names and IP addresses the certificate is valid for. */
  readonly hosts: readonly string[]
  /** Valid from (one hour in the past, for clients whose clocks run behind). */
  readonly validFrom: Date
  /** Valid until. */
  readonly validTo: Date
}

/** Options for {@link generateSelfSignedCertificate}. */
export interface SelfSignedOptions {
  /** Names and IP addresses to cover. Default: {@link defaultCertificateHosts}. */
  readonly hosts?: readonly string[] | undefined
  /** How long the certificate is valid, in days. Default `7`. */
  readonly days?: number | undefined
  /** The subject's common name. Default `'simplehttp self-signed'`. */
  readonly commonName?: string | undefined
  /** "Now", for tests. Default: the clock. */
  readonly now?: Date | undefined
}

/**
 * The names a local server is reached by: `localhost`, `127.0.0.1`, `::1`, this machine's host
 * name and every non-internal interface address.
 */
export function defaultCertificateHosts(): string[] {
  const hosts = new Set(['localhost', '127.0.0.1', '::1'])
  const name = hostname()
  if (name !== '') hosts.add(name)
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (!entry.internal) hosts.add(entry.address.replace(/%.*$/, ''))
    }
  }
  return [...hosts]
}

/** Make an ECDSA P-256 key and a self-signed certificate for `hosts`, valid for about a week. */
export function generateSelfSignedCertificate(options: SelfSignedOptions = {}): SelfSignedCertificate {
  const hosts = [...(options.hosts ?? defaultCertificateHosts())]
  const days = options.days ?? 7
  if (!(days > 0)) throw new RangeError(`certificate validity must be a positive number of days, got ${String(days)}`)
  const now = options.now ?? new Date()
  const validFrom = new Date(now.getTime() - 60 * 60 * 1000)
  const validTo = new Date(now.getTime() + days * 24 * 60 * 60 * 1000)

  const { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } = crypto()
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  const keyId = createHash('sha1').update(subjectPublicKeyBits(spki)).digest()
  const name = der(0x30, der(0x31, der(0x30, oid('2.5.4.3'), der(0x0c, Buffer.from(options.commonName ?? 'simplehttp self-signed')))))

  const tbs = der(
    0x30,
    der(0xa0, integer(Buffer.from([2]))), // v3
    integer(randomBytes(16)),
    ECDSA_WITH_SHA256,
    name,
    der(0x30, time(validFrom), time(validTo)),
    name,
    spki,
    der(0xa3, der(0x30, ...extensions(hosts, keyId))),
  )
  const signature = sign('sha256', tbs, privateKey) // DER ECDSA-Sig-Value, what X.509 expects
  const certificate = der(0x30, tbs, ECDSA_WITH_SHA256, der(0x03, Buffer.from([0]), signature))

  const cert = pem('CERTIFICATE', certificate)
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  return { cert, key, fingerprint256: new X509Certificate(cert).fingerprint256, hosts, validFrom, validTo }
}

const ECDSA_WITH_SHA256 = der(0x30, oid('1.2.840.10045.4.3.2'))

function extensions(hosts: readonly string[], keyId: Buffer): Buffer[] {
  const names = hosts.map((host) => {
    const family = isIP(host.replace(/^\[|\]$/g, ''))
    if (family === 0) return der(0x82, Buffer.from(host, 'ascii')) // dNSName
    return der(0x87, ipBytes(host.replace(/^\[|\]$/g, ''), family)) // iPAddress
  })
  return [
    extension('2.5.29.19', true, der(0x30)), // basicConstraints: not a CA
    extension('2.5.29.15', true, der(0x03, Buffer.from([0x07, 0x80]))), // keyUsage: digitalSignature
    extension('2.5.29.37', false, der(0x30, oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
    extension('2.5.29.17', false, der(0x30, ...names)), // subjectAltName
    extension('2.5.29.14', false, der(0x04, keyId)), // subjectKeyIdentifier
    extension('2.5.29.35', false, der(0x30, der(0x80, keyId))), // authorityKeyIdentifier (itself)
  ]
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return der(0x30, oid(id), ...(critical ? [der(0x01, Buffer.from([0xff]))] : []), der(0x04, value))
}

/** The BIT STRING inside a SubjectPublicKeyInfo: what the key identifier hashes (RFC 5280 §4.2.1.2). */
function subjectPublicKeyBits(spki: Buffer): Buffer {
  // SEQUENCE { AlgorithmIdentifier, BIT STRING }: skip the outer header and the algorithm.
  const [, outerBody] = readHeader(spki, 0)
  const [algorithmEnd] = readHeader(spki, outerBody)
  const [bitsEnd, bitsBody] = readHeader(spki, algorithmEnd)
  return spki.subarray(bitsBody + 1, bitsEnd) // past the unused-bits byte
}

/** Returns [end of this value, start of its contents] for the DER value at `offset`. */
function readHeader(buffer: Buffer, offset: number): [number, number] {
  let length = buffer[offset + 1] ?? 0
  let body = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    length = buffer.readUIntBE(body, count)
    body += count
  }
  return [body + length, body]
}

function ipBytes(address: string, family: number): Buffer {
  if (family === 4) return Buffer.from(address.split('.').map(Number))
  const [head, tail] = address.split('::') as [string, string | undefined]
  const words = (part: string) => (part === '' ? [] : part.split(':'))
  const left = words(head)
  const right = tail == null ? [] : words(tail)
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two words.
  const expand = (list: string[]) =>
    list.flatMap((word) => {
      if (!word.includes('.')) return [parseInt(word, 16)]
      const [a = 0, b = 0, c = 0, d = 0] = word.split('.').map(Number)
      return [(a << 8) | b, (c << 8) | d]
    })
  const l = expand(left)
  const r = expand(right)
  const all = [...l, ...Array<number>(8 - l.length - r.length).fill(0), ...r]
  const bytes = Buffer.alloc(16)
  all.forEach((word, i) => bytes.writeUInt16BE(word, i * 2))
  return bytes
}

function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents)
  const n = body.length
  let header: Buffer
  if (n < 0x80) header = Buffer.from([tag, n])
  else if (n < 0x100) header = Buffer.from([tag, 0x81, n])
  else if (n < 0x10000) header = Buffer.from([tag, 0x82, n >> 8, n & 0xff])
  else header = Buffer.from([tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff])
  return Buffer.concat([header, body])
}

/** A non-negative INTEGER: a leading zero byte keeps a high first bit from reading as negative. */
function integer(bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  const trimmed = bytes.subarray(start)
  return der(0x02, (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed)
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number)
  const bytes = [first * 40 + second]
  for (const arc of rest) {
    const chunk = [arc & 0x7f]
    for (let value = arc >>> 7; value > 0; value >>>= 7) chunk.unshift((value & 0x7f) | 0x80)
    bytes.push(...chunk)
  }
  return der(0x06, Buffer.from(bytes))
}

/** UTCTime up to 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString() // 2026-12-04T12:00:00.000Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '') + 'Z'
  return date.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(digits.slice(2))) : der(0x18, Buffer.from(digits))
}

function pem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}
