/**
 * Stopping the app as people do: Ctrl+C (SIGINT) in the terminal, or SIGTERM from a process
 * manager. Both exit with code 0; Ctrl+C says so as CPython does.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { RawClient, readResponses } from '@simplehttp/test-client'
import { afterEach, describe, expect, it } from 'vitest'
import { WAIT_MS, cleanup, isListening, makeTree, pattern, startApp } from './helpers.js'

afterEach(cleanup)

// Larger than any socket buffers on the way (tcp_rmem's maximum is 32 MiB on common kernels), so
// a client that stops reading leaves the server with most of the file still to send.
const BIG = Buffer.alloc(64 * 1024 * 1024, pattern(65_521, 5))

/** Poll (bounded) until nothing accepts connections on `port`. */
async function waitUntilClosed(port: number): Promise<void> {
  for (let waited = 0; waited < WAIT_MS; waited += 20) {
    if (!(await isListening(port))) return
    await sleep(20)
  }
  throw new Error(`port ${port} still accepts connections after ${WAIT_MS} ms`)
}

describe('stopping', () => {
  it('Ctrl+C (SIGINT): "Keyboard interrupt received, exiting." and exit code 0', async () => {
    const root = await makeTree({ 'hello.txt': 'hello\n' })
    const app = await startApp(root)
    // A kept-alive connection from a client that is done: it must not hold the exit up.
    const response = await fetch(`${app.origin}/hello.txt`)
    expect(await response.text()).toBe('hello\n')

    process.kill(app.process.pid, 'SIGINT')
    expect(await app.process.waitForExit()).toEqual({ code: 0, signal: null })
    // The terminal shows `^C`, then CPython's line on a line of its own.
    expect(app.process.stdout).toBe(`${app.banner}\n\nKeyboard interrupt received, exiting.\n`)
    expect(app.process.stdout.endsWith('Keyboard interrupt received, exiting.\n')).toBe(true)
    expect(app.process.stderr).not.toMatch(/\n\s+at /)
    expect(await isListening(app.port)).toBe(false)
  })

  it('SIGTERM: exit code 0, no keyboard-interrupt line', async () => {
    const root = await makeTree({ 'hello.txt': 'hello\n' })
    const app = await startApp(root)
    const response = await fetch(`${app.origin}/hello.txt`)
    expect(await response.text()).toBe('hello\n')

    process.kill(app.process.pid, 'SIGTERM')
    expect(await app.process.waitForExit()).toEqual({ code: 0, signal: null })
    expect(app.process.stdout).toBe(`${app.banner}\n`)
    expect(app.process.stderr).not.toMatch(/\n\s+at /)
  })

  it('SIGTERM lets a download in progress finish, then exits 0', async () => {
    const root = await makeTree({ 'big.bin': BIG })
    const app = await startApp(root)

    // A slow client: asks for 64 MiB and reads only the first chunk for now.
    const client = await RawClient.connect(app.port)
    client.socket.once('data', () => client.socket.pause())
    await client.send('GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    await client.waitFor(() => client.received > 0, 'the first chunk')

    process.kill(app.process.pid, 'SIGTERM')
    // The server stops accepting at once…
    await waitUntilClosed(app.port)
    expect(app.process.running).toBe(true)
    // …and the download it had started still completes.
    client.socket.resume()
    const { responses, rest, partial, error } = readResponses(await client.untilClosed(), { closed: true })
    // Named, so a download cut short shows how far it got.
    expect({ statuses: responses.map((r) => r.statusLine), cutAt: partial?.body.length, error: error?.code, rest: rest.length }).toEqual({
      statuses: ['HTTP/1.1 200 OK'],
      cutAt: undefined,
      error: undefined,
      rest: 0,
    })
    expect(responses[0]?.body.equals(BIG)).toBe(true)
    expect(await app.process.waitForExit()).toEqual({ code: 0, signal: null })
  })
})
