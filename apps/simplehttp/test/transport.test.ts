/**
 * Transport flags end to end (issue 18): `--tls-self-signed` checked by curl, Python's ssl and
 * openssl against the certificate the server presents; `--http2` spoken to curl, Node's http2
 * client, h2load and Chromium; `--compress` decoded by curl, Python's urllib and Chromium.
 */
import { X509Certificate } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readdir, writeFile } from 'node:fs/promises'
import { connect as connectHTTP2 } from 'node:http2'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { chromium } from 'playwright-core'
import { afterEach, describe, expect, it } from 'vitest'
import { cleanup, makeTree, mustRun, runApp, runCommand, startApp, tempDir, type App } from './helpers.js'

afterEach(cleanup)

const CHROMIUM = '/usr/bin/chromium'
const TEXT = Array.from({ length: 400 }, (_, i) => `line ${String(i)} of a compressible text file\n`).join('')

/** The certificate the server presents, as PEM (what a user would save from the browser). */
async function servedCertificate(app: App): Promise<string> {
  const shown = await mustRun('sh', ['-c', `echo | openssl s_client -connect 127.0.0.1:${String(app.port)} 2>/dev/null | openssl x509`])
  return shown.toString()
}

async function saveCertificate(app: App): Promise<string> {
  const file = path.join(await tempDir('simplehttp-ca-'), 'served.pem')
  await writeFile(file, await servedCertificate(app))
  return file
}

describe('--tls-self-signed', () => {
  it('serves HTTPS that curl and Python verify against the served certificate, and prints its fingerprint', async () => {
    const root = await makeTree({ 'hello.txt': 'hello\n' })
    const app = await startApp(root, '--tls-self-signed')
    expect(app.banner).toBe(`Serving HTTPS on 127.0.0.1 port ${String(app.port)} (https://127.0.0.1:${String(app.port)}/) ...`)
    const ca = await saveCertificate(app)
    const fingerprint = new X509Certificate(await servedCertificate(app)).fingerprint256
    await app.process.waitForStdout(new RegExp(`SHA-256 fingerprint in the browser:\\n  ${fingerprint}\\n`))

    // Verified, not -k: the certificate covers 127.0.0.1 and localhost.
    expect((await mustRun('curl', ['-sS', '--cacert', ca, `https://localhost:${String(app.port)}/hello.txt`])).toString()).toBe('hello\n')
    const python = await mustRun('python3', [
      '-c',
      'import ssl,sys,urllib.request;c=ssl.create_default_context(cafile=sys.argv[1]);print(urllib.request.urlopen(sys.argv[2],context=c).read().decode(),end="")',
      ca,
      `https://127.0.0.1:${String(app.port)}/hello.txt`,
    ])
    expect(python.toString()).toBe('hello\n')
    const sans = await mustRun('sh', ['-c', `openssl x509 -in ${ca} -noout -ext subjectAltName`])
    expect(sans.toString()).toMatch(/DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/)
    // Nothing was written where the files are served from.
    expect(await readdir(root)).toEqual(['hello.txt'])
  })

  it('is a usage error together with --tls-cert, and --http2 without TLS says why', async () => {
    const root = await makeTree({ 'x.txt': 'x' })
    const both = await runApp(['--tls-self-signed', '--tls-cert', 'c.pem', '0'], root)
    expect(both.exit.code).toBe(2)
    expect(both.stderr.trimEnd().split('\n')[1]).toBe('simplehttp: error: argument --tls-self-signed: not allowed with argument --tls-cert')
    const plain = await runApp(['--http2', '0'], root)
    expect(plain.exit.code).toBe(2)
    expect(plain.stderr.trimEnd().split('\n')[1]).toBe(
      'simplehttp: error: argument --http2: needs --tls-cert or --tls-self-signed (browsers speak HTTP/2 only over TLS)',
    )
  })
})

describe('--http2', () => {
  it('speaks HTTP/2 to curl with the same files, ranges, conditionals, listings and extra headers as HTTP/1.1', async () => {
    const root = await makeTree({ 'hello.txt': 'hello over h2\n', 'dir/a.txt': 'a\n' })
    const app = await startApp(root, '--tls-self-signed', '--http2', '-H', 'X-Extra: yes')
    const ca = await saveCertificate(app)
    const url = `https://localhost:${String(app.port)}`
    const curl = (...args: string[]) => mustRun('curl', ['-sS', '--cacert', ca, ...args]).then(String)

    const h2 = await curl('--http2', '-i', `${url}/hello.txt`)
    expect(h2).toMatch(/^HTTP\/2 200 \r\n/)
    expect(h2).toContain('x-extra: yes\r\n')
    expect(h2).toContain('server: SimpleHTTP/0.6 Node.js/')
    expect(h2.endsWith('\r\n\r\nhello over h2\n')).toBe(true)
    const h1 = await curl('--http1.1', '-i', `${url}/hello.txt`)
    expect(h1).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    const etag = /etag: (.*)\r\n/i.exec(h1)?.[1] ?? ''
    expect(h2.toLowerCase()).toContain(`etag: ${etag.toLowerCase()}`)

    expect(await curl('--http2', '-r', '6-9', `${url}/hello.txt`)).toBe('over')
    expect(await curl('--http2', '-o', '/dev/null', '-w', '%{http_code}', '-H', `If-None-Match: ${etag}`, `${url}/hello.txt`)).toBe('304')
    expect(await curl('--http2', `${url}/dir/`)).toContain('<a href="a.txt">a.txt</a>')
    expect(await curl('--http2', '-o', '/dev/null', '-w', '%{http_code} %{http_version}', `${url}/missing`)).toBe('404 2')
    // HTTP/2 requests are in the access log like HTTP/1.1 ones.
    await app.process.waitForStderr('"GET /hello.txt HTTP/2.0" 200 -')
    await app.process.waitForStderr('"GET /hello.txt HTTP/2.0" 304 -')
    await app.process.waitForStderr('"GET /missing HTTP/2.0" 404 -')
    await app.process.waitForStderr('"GET /hello.txt HTTP/1.1" 200 -')
  })

  it('serves many streams on one connection to Node’s http2 client, and a bounded h2load run', async () => {
    const files: Record<string, string> = {}
    for (let i = 0; i < 20; i++) files[`f${String(i)}.txt`] = `file ${String(i)}\n`
    const root = await makeTree(files)
    const app = await startApp(root, '--tls-self-signed', '--http2', '-q')
    const session = connectHTTP2(`https://localhost:${String(app.port)}`, { ca: await servedCertificate(app) })
    try {
      const bodies = await Promise.all(
        Object.keys(files).map(
          (name) =>
            new Promise<string>((resolve, reject) => {
              const stream = session.request({ ':path': `/${name}` })
              let body = ''
              stream.setEncoding('utf8')
              stream.on('data', (chunk: string) => (body += chunk))
              stream.on('end', () => {
                resolve(body)
              })
              stream.on('error', reject)
            }),
        ),
      )
      expect(bodies).toEqual(Object.values(files))
    } finally {
      session.close()
    }
    const load = await runCommand('h2load', ['-n', '2000', '-c', '4', '-m', '10', `https://127.0.0.1:${String(app.port)}/f1.txt`])
    expect(load.stdout.toString()).toMatch(/requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored/)
    expect(load.stdout.toString()).toContain('Application protocol: h2')
  })

  it('keeps the Host check of --watch and --allowed-hosts, with :authority as the Host', async () => {
    const root = await makeTree({ 'index.html': '<!doctype html><body>page</body>' })
    const app = await startApp(root, '--tls-self-signed', '--http2', '--watch', '--allowed-hosts', 'files.example', '-q')
    const session = connectHTTP2(`https://localhost:${String(app.port)}`, { ca: await servedCertificate(app), servername: 'localhost' })
    const get = (authority: string, target: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ':path': target, ':authority': authority })
        let status = 0
        let body = ''
        stream.on('response', (headers) => {
          status = Number(headers[':status'])
        })
        stream.setEncoding('utf8')
        stream.on('data', (chunk: string) => (body += chunk))
        stream.on('end', () => {
          resolve({ status, body })
        })
        stream.on('error', reject)
      })
    try {
      for (const authority of [`localhost:${String(app.port)}`, `127.0.0.1:${String(app.port)}`, 'files.example']) {
        const page = await get(authority, '/index.html')
        expect(page.status, authority).toBe(200)
        expect(page.body, authority).toContain('/.simplehttp/client.js')
      }
      for (const target of ['/index.html', '/.simplehttp/client.js', '/.simplehttp/events']) {
        const refused = await get('evil.example', target)
        expect(refused.status, target).toBe(403)
        expect(refused.body, target).toContain('DNS rebinding protection')
      }
    } finally {
      session.close()
    }
  })

  it('is what Chromium uses (nextHopProtocol h2)', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true)
    const root = await makeTree({ 'index.html': '<!doctype html><title>h2</title><p>over h2</p>' })
    const app = await startApp(root, '--tls-self-signed', '--http2')
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      timeout: 30_000,
    })
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true })
      const page = await context.newPage()
      const response = await page.goto(`https://localhost:${String(app.port)}/`)
      expect(response?.status()).toBe(200)
      // Evaluated in the page, where performance entries are DOM types (this project's lib is Node's).
      const protocol = await page.evaluate<string>('performance.getEntriesByType("navigation")[0].nextHopProtocol')
      expect(protocol).toBe('h2')
      expect(await page.locator('p').textContent()).toBe('over h2')
    } finally {
      await browser.close()
    }
  })
})

describe('--compress', () => {
  it('is decoded by curl --compressed, Python urllib (gzip) and Chromium, with ranges on the encoded bytes', async () => {
    const root = await makeTree({ 'big.txt': TEXT, 'page.html': `<!doctype html><title>c</title><pre>${TEXT}</pre>` })
    const app = await startApp(root, '--compress')
    const url = `${app.origin}/big.txt`
    const headers = (await mustRun('curl', ['-sS', '-D', '-', '-o', '/dev/null', '--compressed', url])).toString()
    expect(headers).toMatch(/Content-Encoding: (br|gzip)\r\n/)
    expect(headers).toContain('Vary: Accept-Encoding\r\n')
    expect((await mustRun('curl', ['-sS', '--compressed', url])).toString()).toBe(TEXT)

    const python = await mustRun('python3', [
      '-c',
      'import gzip,sys,urllib.request as u;r=u.urlopen(u.Request(sys.argv[1],headers={"Accept-Encoding":"gzip"}));sys.stdout.write(r.headers["Content-Encoding"]+"\\n"+gzip.decompress(r.read()).decode())',
      url,
    ])
    expect(python.toString()).toBe(`gzip\n${TEXT}`)

    // A resumed download of the gzip variant: the two parts are the encoded bytes, exactly.
    const whole = await mustRun('curl', ['-sS', '-H', 'Accept-Encoding: gzip', url])
    const tail = await mustRun('curl', ['-sS', '-H', 'Accept-Encoding: gzip', '-r', '100-', url])
    expect(Buffer.concat([whole.subarray(0, 100), tail]).equals(whole)).toBe(true)
    expect(gunzipSync(whole).toString()).toBe(TEXT)

    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true)
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      timeout: 30_000,
    })
    try {
      const page = await browser.newPage()
      const response = await page.goto(`${app.origin}/page.html`)
      expect(await response?.headerValue('content-encoding')).toMatch(/^(br|gzip)$/)
      expect(await page.locator('pre').textContent()).toBe(TEXT)
    } finally {
      await browser.close()
    }
  })
})

describe('--compress with a file over 8 MiB', () => {
  it('streams it compressed over HTTP/1.1 and HTTP/2, and curl and Python decode the whole file', async () => {
    // 9.5 MiB: over the cached size, so it is compressed while sent.
    const large = Array.from({ length: 250_000 }, (_, i) => `row ${String(i)}: lorem ipsum dolor sit\n`).join('')
    const root = await makeTree({ 'large.txt': large })
    const app = await startApp(root, '--compress', '--tls-self-signed', '--http2')
    const url = `${app.origin}/large.txt`
    const head = (await mustRun('curl', ['-sSk', '--http1.1', '-D', '-', '-o', '/dev/null', '--compressed', url])).toString()
    expect(head).toMatch(/Content-Encoding: (br|gzip)\r\n/)
    expect(head).toMatch(/ETag: W\/"/)
    expect(head).not.toMatch(/Content-Length/i)
    for (const protocol of ['--http1.1', '--http2']) {
      const body = await mustRun('curl', ['-sSk', protocol, '--compressed', url])
      expect(body.length).toBe(large.length)
      expect(body.toString() === large).toBe(true)
    }
    const python = await mustRun('python3', [
      '-c',
      'import gzip,ssl,sys,urllib.request as u;r=u.urlopen(u.Request(sys.argv[1],headers={"Accept-Encoding":"gzip"}),context=ssl._create_unverified_context());b=gzip.decompress(r.read());sys.stdout.write(r.headers["Content-Encoding"]+" "+str(len(b)))',
      url,
    ])
    expect(python.toString()).toBe(`gzip ${String(large.length)}`)
  })
})
