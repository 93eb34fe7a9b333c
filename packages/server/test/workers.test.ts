import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { body, get, listening } from './helpers.js'

// The fixture imports ../../dist, so this needs a build first (turbo's test task has one).
const fixture = fileURLToPath(new URL('fixtures/workers.mjs', import.meta.url))
const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode == null) child.kill('SIGKILL')
})

/** Start the fixture; resolve with its first JSON line and a way to read the next. */
async function start(port = 0): Promise<{ child: ChildProcess; first: Record<string, unknown>; next: () => Promise<unknown> }> {
  // Round-robin is Node's default on Linux; pin it so "more than one worker answered" holds anywhere.
  const env = { ...process.env, NODE_CLUSTER_SCHED_POLICY: 'rr' }
  const child = spawn(process.execPath, [fixture, String(port)], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  children.push(child)
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]()
  const next = async (): Promise<unknown> => {
    const line = await lines.next()
    return line.done === true ? undefined : JSON.parse(line.value)
  }
  return { child, first: (await next()) as Record<string, unknown>, next }
}

describe('workers', () => {
  it('spreads connections over worker processes on one port, and stops on SIGTERM', async () => {
    const { child, first, next } = await start()
    const port = first.port as number
    expect(port).toBeGreaterThan(0)

    const pids = new Set<string>()
    for (let i = 0; i < 20; i++) pids.add(body(await get(port)))
    expect(pids.size).toBeGreaterThan(1)
    expect(pids.has(String(first.pid))).toBe(false)

    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    expect(await next()).toEqual({ stopped: true })
    expect(await exited).toEqual([0, null])
  })

  it("rejects the primary's listen() with the worker's error code", async () => {
    const taken = await listening()
    const { child, first } = await start(taken.serverPort)
    expect(first).toEqual({ error: 'SH_ERR_SERVER_ADDRESS_IN_USE' })
    const [code] = (await once(child, 'exit')) as [number]
    expect(code).toBe(3)
  })
})
