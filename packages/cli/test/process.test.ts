import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const FIXTURE = fileURLToPath(new URL('./fixtures/run-cli.mjs', import.meta.url))

interface Child {
  readonly process: ChildProcess
  stdout: string
  stderr: string
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves with the first match once stdout has one. */
  waitForStdout(pattern: RegExp): Promise<RegExpMatchArray>
}

const children = new Set<ChildProcess>()
afterEach(() => {
  for (const child of children) if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
  children.clear()
})

function spawnCli(args: string[]): Child {
  const proc = spawn(process.execPath, [FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(proc)
  const waiters = new Set<() => void>()
  const child: Child = {
    process: proc,
    stdout: '',
    stderr: '',
    exit: new Promise((resolve) => {
      proc.once('close', (code, signal) => {
        resolve({ code, signal })
        for (const waiter of waiters) waiter()
      })
    }),
    waitForStdout(pattern) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(child.stdout)
          if (match != null) {
            waiters.delete(check)
            resolve(match)
          } else if (proc.exitCode != null || proc.signalCode != null) {
            waiters.delete(check)
            reject(new Error(`exited before ${String(pattern)}; stdout ${child.stdout}; stderr ${child.stderr}`))
          }
        }
        waiters.add(check)
        check()
      })
    },
  }
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    child.stdout += chunk
    for (const waiter of waiters) waiter()
  })
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    child.stderr += chunk
  })
  return child
}

describe('a real process', () => {
  it('serves, then Ctrl+C (SIGINT) prints the keyboard-interrupt line and exits 0', async () => {
    const child = spawnCli(['-b', '127.0.0.1', '0'])
    const [, port] = await child.waitForStdout(/^Serving HTTP on 127\.0\.0\.1 port (\d+) \(http:\/\/127\.0\.0\.1:\d+\/\) \.\.\.\n/)
    const response = await fetch(`http://127.0.0.1:${port ?? ''}/`)
    expect(await response.text()).toMatch(/^hello from \d+\n$/)
    child.process.kill('SIGINT')
    expect(await child.exit).toEqual({ code: 0, signal: null })
    expect(child.stdout).toMatch(/\.\.\.\n\nKeyboard interrupt received, exiting\.\n$/)
    expect(child.stderr).toMatch(/"GET \/ HTTP\/1\.1" 200 -\n$/)
  })

  it('SIGTERM exits 0 without the keyboard-interrupt line', async () => {
    const child = spawnCli(['-b', '127.0.0.1', '0'])
    await child.waitForStdout(/^Serving HTTP/)
    child.process.kill('SIGTERM')
    expect(await child.exit).toEqual({ code: 0, signal: null })
    expect(child.stdout).not.toContain('Keyboard interrupt')
  })

  it('a bad port is two lines on stderr, exit 2, no stack trace', async () => {
    const child = spawnCli(['abc'])
    expect(await child.exit).toEqual({ code: 2, signal: null })
    const lines = child.stderr.split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^usage: simplehttp \[-h\] /)
    expect(lines[1]).toBe("simplehttp: error: argument port: invalid int value: 'abc'")
    expect(child.stderr).not.toMatch(/\n\s+at /)
    expect(child.stdout).toBe('')
  })

  it('--workers: the primary prints the banner once, workers serve, Ctrl+C stops them all', async () => {
    const child = spawnCli(['-b', '127.0.0.1', '--workers', '2', '0'])
    const [, port] = await child.waitForStdout(/^Serving HTTP on 127\.0\.0\.1 port (\d+) /)
    const response = await fetch(`http://127.0.0.1:${port ?? ''}/`)
    const worker = Number(/hello from (\d+)/.exec(await response.text())?.[1])
    expect(worker).not.toBe(child.process.pid)
    child.process.kill('SIGINT')
    expect(await child.exit).toEqual({ code: 0, signal: null })
    expect(child.stdout.match(/Serving HTTP/g)).toHaveLength(1)
    expect(child.stdout.match(/Keyboard interrupt/g)).toHaveLength(1)
    expect(child.stderr).not.toMatch(/\n\s+at /)
  })
})
