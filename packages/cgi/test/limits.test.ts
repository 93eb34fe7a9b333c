import { writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { readResponses } from '@simplehttp/test-client'
import { describe, expect, it } from 'vitest'
import {
  alive,
  childProcesses,
  eventually,
  get,
  handlerFor,
  MemoryLog,
  pidFrom,
  RawClient,
  serve,
  useCGIServer,
} from './helpers.js'

/** Every pid a script reported: all must be gone by the end. */
const pids: number[] = []
// No script, grandchild or zombie outlives the tests: Node reaps the scripts, the process
// group kill takes what they started.
const cgi = useCGIServer(pids)
const start = cgi.start.bind(cgi)

describe('timeouts', () => {
  it('504 when the script says nothing before scriptTimeout; it and its grandchild are killed', async () => {
    const { port, log } = await start({ scriptTimeout: 300 })
    const res = await get(port, '/cgi-bin/hang.sh?t1')
    expect([res.status, res.reason]).toEqual([504, 'CGI script timed out'])
    const pid = await pidFrom(cgi.fixture, 'pid-t1')
    const grandchild = await pidFrom(cgi.fixture, 'grandchild-t1')
    pids.push(pid, grandchild)
    await eventually(() => !alive(pid) && !alive(grandchild), 'the script and its grandchild killed')
    await eventually(() => log.text.includes('CGI script timed out after 300 ms and was killed'), 'the timeout logged')
  })

  it('a script killed by the timeout mid-body has its response cut (a reset, never a clean end)', async () => {
    const { port } = await start({ scriptTimeout: 300 })
    const client = await RawClient.connect(port)
    let reset = false
    client.socket.on('error', () => {
      reset = true
    })
    await client.send('GET /cgi-bin/stall.sh HTTP/1.0\r\n\r\n')
    await client.whenClosed
    expect(client.text).toMatch(/^HTTP\/1\.0 200 Script output follows\r\n[\s\S]*\r\n\r\nbegun\n$/)
    expect(reset).toBe(true)
  })
})

describe('concurrency', () => {
  it('20 concurrent requests all get their own answer', async () => {
    const { port } = await start()
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await get(port, `/cgi-bin/args.sh?request${i}`)
        return [res.status, res.body.toString()]
      }),
    )
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => [200, `1\nrequest${i}\n`]))
  })

  it('past maxConcurrentScripts, requests wait in line: the next script starts only once one has exited', async () => {
    const { port } = await start({ maxConcurrentScripts: 1, maxQueuedScripts: 1 })
    const first = await RawClient.connect(port)
    await first.send('GET /cgi-bin/wait.sh?q1 HTTP/1.0\r\n\r\n')
    await first.waitFor(() => first.text.includes('started\n'), 'the first script running')
    const firstPid = await pidFrom(cgi.fixture, 'pid-q1')
    const second = await RawClient.connect(port)
    await second.send('GET /cgi-bin/wait.sh?q2 HTTP/1.0\r\n\r\n')
    await writeFile(cgi.fixture.statePath('release-q2'), '')
    await writeFile(cgi.fixture.statePath('release-q1'), '')
    const secondPid = await pidFrom(cgi.fixture, 'pid-q2')
    pids.push(firstPid, secondPid)
    // Had it not waited for the slot, the second would have started while the first was alive.
    expect(alive(firstPid)).toBe(false)
    await first.whenClosed
    await second.whenClosed
    expect(first.text.endsWith('started\nreleased\n')).toBe(true)
    expect(second.text.endsWith('started\nreleased\n')).toBe(true)
  })

  it('past maxQueuedScripts, 503', async () => {
    const { port, log } = await start({ maxConcurrentScripts: 1, maxQueuedScripts: 0 })
    const first = await RawClient.connect(port)
    await first.send('GET /cgi-bin/wait.sh?q3 HTTP/1.0\r\n\r\n')
    await first.waitFor(() => first.text.includes('started\n'), 'the first script running')
    const pid = await pidFrom(cgi.fixture, 'pid-q3')
    pids.push(pid)
    const second = await get(port, '/cgi-bin/args.sh?second')
    expect([second.status, second.reason]).toEqual([503, 'Too many CGI scripts running'])
    expect(log.text).toContain('code 503, message Too many CGI scripts running')
    await writeFile(cgi.fixture.statePath('release-q3'), '')
    await first.whenClosed
    // Once it has exited, its slot is free again.
    await eventually(() => !alive(pid), 'the first script gone')
    expect((await get(port, '/cgi-bin/args.sh?third')).body.toString()).toBe('1\nthird\n')
  })
})

describe('a client that goes away', () => {
  it('gets its script killed with its process group', async () => {
    const { port, log } = await start()
    const client = await RawClient.connect(port)
    await client.send('GET /cgi-bin/forever.sh?d1 HTTP/1.0\r\n\r\n')
    await client.waitFor(() => client.text.includes('tick\n'), 'the script running')
    const pid = await pidFrom(cgi.fixture, 'pid-d1')
    const grandchild = await pidFrom(cgi.fixture, 'grandchild-d1')
    pids.push(pid, grandchild)
    expect(alive(pid) && alive(grandchild)).toBe(true)
    // The leftover check at the end would see a script still running.
    expect(childProcesses().some((line) => line.includes('forever.sh'))).toBe(true)
    client.socket.destroy()
    await eventually(() => !alive(pid) && !alive(grandchild), 'the script and its grandchild killed')
    await eventually(() => log.text.includes('CGI script killed: the client went away'), 'the kill logged')
  })

  it('that resets the connection gets its script killed too', async () => {
    const { port } = await start()
    const client = await RawClient.connect(port)
    await client.send('GET /cgi-bin/forever.sh?d2 HTTP/1.0\r\n\r\n')
    await client.waitFor(() => client.text.includes('tick\n'), 'the script running')
    const pid = await pidFrom(cgi.fixture, 'pid-d2')
    const grandchild = await pidFrom(cgi.fixture, 'grandchild-d2')
    pids.push(pid, grandchild)
    client.socket.resetAndDestroy()
    await eventually(() => !alive(pid) && !alive(grandchild), 'the script and its grandchild killed')
  })
})

describe('a client that leaves while its request waits for a script slot', () => {
  it('starts no script: its unfinished body is read first (a slow-body flood ending costs no fork per client)', async () => {
    const log = new MemoryLog()
    const served = await serve(handlerFor(cgi.fixture.root, log, { maxConcurrentScripts: 1, maxQueuedScripts: 2 }))
    const first = await RawClient.connect(served.port)
    await first.send('GET /cgi-bin/wait.sh?w1 HTTP/1.0\r\n\r\n')
    await first.waitFor(() => first.text.includes('started\n'), 'the first script running')
    pids.push(await pidFrom(cgi.fixture, 'pid-w1'))
    // 3 of the 100 body bytes it promised, then its FIN: it waits in line for the slot.
    const second = await RawClient.connect(served.port)
    await second.send('POST /cgi-bin/echo.sh HTTP/1.0\r\nContent-Length: 100\r\n\r\nabc')
    second.socket.end()
    await eventually(() => served.handlers[1]?.connection.readableEnded === true, 'the server seeing the second client leave')
    await writeFile(cgi.fixture.statePath('release-w1'), '')
    await first.whenClosed
    // The one slot passes on in order: once a third script has run, the second had its turn.
    expect((await get(served.port, '/cgi-bin/args.sh?w3')).body.toString()).toBe('1\nw3\n')
    await second.whenClosed
    expect(second.text).toMatch(/^HTTP\/1\.0 400 /)
    // A script started for it would have been killed when its body failed, and logged so.
    expect(log.text).not.toMatch(/CGI script (exit code|killed)/)
  })
})

describe('back-pressure', () => {
  it('a client that does not read holds the script back; nothing piles up in the server', async () => {
    const log = new MemoryLog()
    const served = await serve(handlerFor(cgi.fixture.root, log))
    const total = 64 * 1024 * 1024
    const client = await RawClient.connect(served.port)
    client.socket.pause()
    await client.send(`GET /cgi-bin/flood.py?${total} HTTP/1.0\r\n\r\n`)
    const progress = (): number => {
      try {
        return Number(readFileSync(cgi.fixture.statePath('flood-progress'), 'utf8')) || 0
      } catch {
        return 0
      }
    }
    await eventually(() => progress() > 0, 'the script writing')
    const socket = served.handlers[0]?.connection
    // However long we look, the script cannot get far ahead of a client that reads nothing:
    // the socket's and the pipe's kernel buffers hold the difference, not the server's memory.
    for (let i = 0; i < 25; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(progress()).toBeLessThan(total)
      expect(socket?.writableLength).toBeLessThan(1024 * 1024)
    }
    client.socket.resume()
    await client.whenClosed
    const { responses } = readResponses(client.data, { closed: true })
    expect(responses[0]?.body.length).toBe(total)
  })
})
