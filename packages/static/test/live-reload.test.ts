import { mkdirSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import net from 'node:net'
import { RawClient, readResponses } from '@simplehttp/test-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LiveReload, SimpleHTTPRequestHandler } from '../src/index.js'
import { findInsertionPoint, injectScript } from '../src/internal/html-inject.js'
import { request, startHandler, type RunningServer } from './helpers.js'

function quiet<T extends typeof SimpleHTTPRequestHandler>(Base: T): T {
  const Quiet = class extends (Base as typeof SimpleHTTPRequestHandler) {
    override logMessage(): void {
      // quiet: no access log in test output
    }
  }
  return Quiet as unknown as T
}

const TAG = '<script src="/.simplehttp/client.js"></script>'
const at = (html: string): string => {
  const offset = findInsertionPoint(html)
  return offset === undefined ? 'opted out' : `${html.slice(0, offset)}|${html.slice(offset)}`
}

describe('where the script goes in a page', () => {
  it('goes before the last </body>, else </html>, else the end', () => {
    expect(at('<html><body><p>hi</p></body></html>')).toBe('<html><body><p>hi</p>|</body></html>')
    expect(at('<html><p>hi</p></html>')).toBe('<html><p>hi</p>|</html>')
    expect(at('<p>fragment')).toBe('<p>fragment|')
    expect(at('<BODY>x</BODY >\n</HTML>')).toBe('<BODY>x|</BODY >\n</HTML>')
  })

  it('is never inside a script, a comment, a textarea, a style or a title', () => {
    expect(at('<body><script>document.write("</body>")</script>x</body>')).toBe('<body><script>document.write("</body>")</script>x|</body>')
    expect(at('<body><!-- </body> -->x</body>')).toBe('<body><!-- </body> -->x|</body>')
    expect(at('<body><textarea></body></textarea></body>')).toBe('<body><textarea></body></textarea>|</body>')
    expect(at('<body><style>a::after{content:"</body>"}</style></body>')).toBe('<body><style>a::after{content:"</body>"}</style>|</body>')
    expect(at('<title></body></title><body>x')).toBe('<title></body></title><body>x|')
    // An unclosed script swallows the rest of the page: the end is the only safe place.
    expect(at('<body><script>if (a < b) { "</body>"')).toBe('<body><script>if (a < b) { "</body>"|')
    expect(at('<body><div title="</body>">x</div></body>')).toBe('<body><div title="</body>">x</div>|</body>')
  })

  it('stays out of a page that opts out with data-no-live-reload on <html> or <body>', () => {
    expect(at('<html data-no-live-reload><body></body></html>')).toBe('opted out')
    expect(at('<body class="x" data-no-live-reload="">y</body>')).toBe('opted out')
    expect(at('<body title="data-no-live-reload">y</body>')).toBe('<body title="data-no-live-reload">y|</body>')
    expect(at('<div data-no-live-reload></div></body>')).toBe('<div data-no-live-reload></div>|</body>')
  })

  it('keeps every byte of a page in another charset', () => {
    const page = Buffer.from([0x3c, 0x70, 0x3e, 0xe9, 0xff, 0x3c, 0x2f, 0x62, 0x6f, 0x64, 0x79, 0x3e]) // <p>\xe9\xff</body>
    const out = injectScript(page, TAG)
    expect(out?.subarray(0, 5)).toEqual(page.subarray(0, 5))
    expect(out?.subarray(5).toString('latin1')).toBe(`${TAG}</body>`)
  })
})

describe('live reload in the handler', () => {
  let root: string
  let live: LiveReload
  let server: RunningServer
  const page = '<!doctype html><html><head><title>t</title></head><body><h1>Hello</h1></body></html>\n'

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-live-'))
    await writeFile(path.join(root, 'index.html'), page)
    await writeFile(path.join(root, 'style.css'), 'h1 { color: red }')
    await writeFile(path.join(root, 'app.js'), 'console.log(1)')
    await mkdir(path.join(root, 'sub'))
    await mkdir(path.join(root, '.hidden'))
    const old = new Date(Date.now() - 60_000)
    await utimes(path.join(root, 'index.html'), old, old)
    live = new LiveReload(root, { debounceMs: 50 }).start()
    server = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: root, liveReload: live })))
  })
  afterAll(async () => {
    live.close()
    await server.close()
    await rm(root, { recursive: true, force: true })
  })

  it('puts the script into pages sent whole to GET, with the right length and its own ETag', async () => {
    const response = await request(server.port, '/')
    expect(response.status).toBe(200)
    expect(response.body.toString()).toBe(page.replace('</body>', `${TAG}</body>`))
    expect(response.header('content-length')).toBe(String(response.body.length))
    const etag = response.header('etag') ?? ''
    expect(etag).toMatch(/-lr"$/)
    const again = await request(server.port, '/', { headers: { 'If-None-Match': etag } })
    expect(again.status).toBe(304)
  })

  it('leaves ranges, HEAD and other types alone', async () => {
    const range = await request(server.port, '/index.html', { headers: { Range: 'bytes=0-14' } })
    expect(range.status).toBe(206)
    expect(range.body.toString()).toBe('<!doctype html>')
    expect(range.header('etag')).not.toMatch(/-lr"$/)
    const head = await request(server.port, '/index.html', { method: 'HEAD' })
    expect(head.header('content-length')).toBe(String(Buffer.byteLength(page)))
    const js = await request(server.port, '/app.js')
    expect(js.body.toString()).toBe('console.log(1)')
  })

  it('serves the client script as an external file under the reserved prefix', async () => {
    const response = await request(server.port, '/.simplehttp/client.js')
    expect(response.status).toBe(200)
    expect(response.header('content-type')).toBe('text/javascript; charset=utf-8')
    expect(response.body.toString()).toContain("new EventSource(base + 'events')")
    expect((await request(server.port, '/.simplehttp/other')).status).toBe(404)
  })

  it('tells open pages to reload on a change, once for a burst, and to swap a stylesheet in place', async () => {
    const stream = await openEvents(server.port, live.eventsPath)
    try {
      expect(await stream.next()).toBe('retry: 1000')
      // Written synchronously, so the whole burst is queued before the watcher reads any of it,
      // however slow the machine: it must come out as one event.
      for (let i = 0; i < 5; i++) writeFileSync(path.join(root, 'app.js'), `console.log(${String(i)})`)
      expect(await stream.next()).toBe('event: reload\ndata: ["/app.js"]')
      await writeFile(path.join(root, 'style.css'), 'h1 { color: blue }')
      expect(await stream.next()).toBe('event: css\ndata: ["/style.css"]')
      // A new subdirectory is watched too; a hidden one never reports.
      await writeFile(path.join(root, '.hidden', 'secret.txt'), 'x')
      // Written straight after the mkdir, before the new directory's watch can exist: the file
      // is still reported, found when that watch starts.
      mkdirSync(path.join(root, 'sub', 'deeper'))
      writeFileSync(path.join(root, 'sub', 'deeper', 'page.html'), 'new')
      const seen: string[] = []
      while (!seen.some((event) => event.includes('/sub/deeper/page.html'))) seen.push(await stream.next())
      expect(seen.every((event) => event.startsWith('event: reload'))).toBe(true)
      expect(seen.join('\n')).not.toContain('.hidden')
      expect(live.clientCount).toBe(1)
    } finally {
      stream.close()
    }
    await until(() => live.clientCount === 0)
  })

  it('never follows a symlink out of the root', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-live-outside-'))
    try {
      await symlink(outside, path.join(root, 'link-out'))
      await new Promise((resolve) => setTimeout(resolve, 150))
      const stream = await openEvents(server.port, live.eventsPath)
      try {
        await stream.next() // retry
        await writeFile(path.join(outside, 'secret.txt'), 'x')
        await new Promise((resolve) => setTimeout(resolve, 200))
        await writeFile(path.join(root, 'app.js'), 'console.log("after")')
        expect(await stream.next()).toBe('event: reload\ndata: ["/app.js"]')
      } finally {
        stream.close()
      }
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })

  it('picks another prefix when the root holds a .simplehttp of its own, so a real file is never shadowed', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-live-prefix-'))
    try {
      await mkdir(path.join(other, '.simplehttp'))
      const watcher = new LiveReload(other).start()
      expect(watcher.prefix).toBe('/.simplehttp-2/')
      watcher.close()
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })

  it('has no reserved paths without the option', async () => {
    const plain = await startHandler(quiet(SimpleHTTPRequestHandler.withOptions({ directory: root })))
    try {
      expect((await request(plain.port, '/.simplehttp/client.js')).status).toBe(404)
      expect((await request(plain.port, '/')).body.toString()).toBe(page)
    } finally {
      await plain.close()
    }
  })
})

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10))
}

/**
 * An event-stream reader over the shared raw-socket client: `next()` resolves with each event
 * block's text (keep-alive comments skipped); the stream's body is read by its ResponseParser.
 */
async function openEvents(port: number, target: string): Promise<{ next(): Promise<string>; close(): void }> {
  const client = await RawClient.connect(port)
  await client.send(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n`)
  const blocksSoFar = (): string[] => {
    const { partial, responses, error } = readResponses(client.data)
    if (error !== undefined) throw new Error(`the event stream is not HTTP: ${error.code} ${error.message}`)
    const response = partial ?? responses[0]
    if (response === undefined) return []
    if (response.status !== 200 || !(response.header('content-type') ?? '').startsWith('text/event-stream')) throw new Error(response.head)
    return response.body
      .toString('utf8')
      .split('\n\n')
      .slice(0, -1)
      .filter((block) => !block.startsWith(':'))
  }
  let taken = 0
  return {
    next: async () => {
      await client.waitFor(() => blocksSoFar().length > taken, 'the next event')
      const block = blocksSoFar()[taken]
      taken += 1
      if (block === undefined) throw new Error('the event went missing')
      return block
    },
    close: () => {
      client.destroy()
    },
  }
}

describe('open pages and the connection timeouts', () => {
  let root: string
  let live: LiveReload
  let server: net.Server
  const sockets = new Set<net.Socket>()

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'simplehttp-live-many-'))
    await writeFile(path.join(root, 'index.html'), '<body>x</body>')
    live = new LiveReload(root, { debounceMs: 20 }).start()
    const Handler = quiet(SimpleHTTPRequestHandler.withOptions({ directory: root, liveReload: live }))
    // Every timeout far shorter than the time the pages stay open below. The header timeout is
    // the longest: it runs from the connection's accept, and a hundred connections opened at once
    // on a busy machine may wait that long for their head to be read at all.
    const timeouts = { headersTimeout: 1000, keepAliveTimeout: 200, bodyTimeout: 200, writeTimeout: 200 }
    server = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      const port = (server.address() as net.AddressInfo).port
      void new Handler(socket, [socket.remoteAddress ?? '', socket.remotePort ?? 0], {
        serverName: 'localhost',
        serverPort: port,
        ...timeouts,
      }).handle()
    })
    // A backlog for all of them at once: a dropped SYN would cost the test a retransmit (1 s, 3 s, ...).
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, resolve))
  })
  afterAll(async () => {
    live.close()
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
    await rm(root, { recursive: true, force: true })
  })

  it('keeps 1,000 open pages past the header, idle, body and write timeouts, and tells every one', async () => {
    const port = (server.address() as net.AddressInfo).port
    // A hundred at a time, each batch answered before the next: the listen queue stays short
    // even when the test's own event loop is starved.
    const pages: Awaited<ReturnType<typeof openEvents>>[] = []
    try {
      for (let batch = 0; batch < 10; batch++) {
        const opened = await Promise.all(Array.from({ length: 100 }, () => openEvents(port, live.eventsPath)))
        pages.push(...opened)
        for (const page of opened) expect(await page.next()).toBe('retry: 1000')
      }
      await until(() => live.clientCount === 1000)
      // Longer than every timeout (twice the longest), with nothing sent either way.
      await new Promise((resolve) => setTimeout(resolve, 2000))
      expect(live.clientCount).toBe(1000)
      await writeFile(path.join(root, 'index.html'), '<body>y</body>')
      const events = await Promise.all(pages.map((page) => page.next()))
      expect(new Set(events)).toEqual(new Set(['event: reload\ndata: ["/index.html"]']))
    } finally {
      for (const page of pages) page.close()
    }
    await until(() => live.clientCount === 0)
  }, 180_000) // a thousand requests in one process: seconds alone, minutes on a machine shared with other test runs
})
