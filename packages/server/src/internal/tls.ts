import { readFile } from 'node:fs/promises'
import type { TlsOptions as NodeTLSOptions } from 'node:tls'
import { ServerError } from '../errors.js'
import type { TLSOptions } from '../types.js'
import { tls } from './builtins.js'
import { errorCode, quote } from './system-errors.js'

/** Catch the mistakes that need no file access, so the constructor can throw them. */
export function checkTLSOptions(settings: TLSOptions): void {
  if (settings.selfSigned != null && settings.selfSigned !== false) {
    if (settings.cert != null || settings.certFile != null || settings.key != null || settings.keyFile != null) {
      throw new ServerError(
        'SH_ERR_SERVER_TLS',
        'TLS certificate given twice: expected tls.selfSigned or a certificate (tls.certFile, tls.cert), got both',
      )
    }
    return
  }
  if (settings.cert == null && settings.certFile == null) {
    throw new ServerError('SH_ERR_SERVER_TLS', 'TLS needs a certificate: expected tls.certFile or tls.cert, got neither')
  }
  if (settings.cert != null && settings.certFile != null) {
    throw new ServerError('SH_ERR_SERVER_TLS', 'TLS certificate given twice: expected tls.certFile or tls.cert, got both')
  }
  if (settings.key != null && settings.keyFile != null) {
    throw new ServerError('SH_ERR_SERVER_TLS', 'TLS key given twice: expected tls.keyFile or tls.key, got both')
  }
}

async function readPEM(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (error) {
    throw new ServerError(
      'SH_ERR_SERVER_TLS',
      `cannot read the TLS ${what} file: expected a readable PEM file, got ${quote(path)} (${errorCode(error) ?? String(error)})`,
      { cause: error },
    )
  }
}

/**
 * Read the files and build the options for `tls.createServer`, as CPython 3.14's `HTTPSServer`
 * does with `load_cert_chain(certfile, keyfile, password)`: with no key given, the key is read
 * from the certificate file. ALPN offers `http/1.1` only, like CPython's default (the server adds
 * `h2` first when it speaks HTTP/2).
 */
export async function loadTLS(settings: TLSOptions): Promise<NodeTLSOptions> {
  const cert = settings.cert ?? (await readPEM(settings.certFile ?? '', 'certificate'))
  const key = settings.key ?? (settings.keyFile != null ? await readPEM(settings.keyFile, 'key') : cert)
  const options: NodeTLSOptions = { cert, key, ALPNProtocols: ['http/1.1'] }
  if (settings.password != null) options.passphrase = settings.password
  try {
    // Build a context once here only to turn OpenSSL's errors into ours before we bind.
    tls().createSecureContext(options)
  } catch (error) {
    throw new ServerError('SH_ERR_SERVER_TLS', describeTLSError(error, settings), { cause: error })
  }
  return options
}

function describeTLSError(error: unknown, settings: TLSOptions): string {
  const code = errorCode(error)
  const keySource = settings.keyFile ?? settings.certFile ?? 'tls.key'
  if (code === 'ERR_OSSL_BAD_DECRYPT') {
    return settings.password == null
      ? `cannot decrypt the TLS key in ${quote(keySource)}: it is encrypted, expected tls.password, got none`
      : `cannot decrypt the TLS key in ${quote(keySource)}: expected its password, got a wrong one`
  }
  if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH') {
    return `the TLS key in ${quote(keySource)} does not match the certificate: expected the certificate's private key`
  }
  const message = error instanceof Error ? error.message : String(error)
  const hint = settings.key == null && settings.keyFile == null ? ' (with no tls.keyFile, the key is read from the certificate)' : ''
  return `cannot use the TLS certificate and key: expected PEM data with a certificate and its private key${hint}, got an error from OpenSSL: ${message}`
}
