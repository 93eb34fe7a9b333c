/**
 * Test doubles for `run()`: output sinks a test can wait on, and a `handlerFor` that records
 * the options it got and returns a small real handler built on `@simplehttp/handler`.
 */
import { EventEmitter } from 'node:events'
import { BaseHTTPRequestHandler } from '@simplehttp/handler'
import { HTTPServer } from '@simplehttp/server'
import { run } from '../src/index.js'
import type { CliDeps, HandlerClass, HandlerSettings } from '../src/index.js'

/** A `write()` target that keeps the text and lets a test wait for a pattern. */
export class Sink {
  text = ''
  readonly #waiters = new Set<() => void>()

  write(chunk: string): boolean {
    this.text += chunk
    for (const waiter of this.#waiters) waiter()
    return true
  }

  /** Resolve with the first match of `pattern` once the text has one. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve) => {
      const check = (): void => {
        const match = pattern.exec(this.text)
        if (match != null) {
          this.#waiters.delete(check)
          resolve(match)
        }
      }
      this.#waiters.add(check)
      check()
    })
  }
}

/** What the test handler answers: enough to see how the CLI configured it. */
export interface Echo {
  protocolVersion: string
  directory: string
}

/** A `handlerFor` that records its calls, with a handler that echoes its settings and writes its log to `log`. */
export function recordingHandlerFor(log: Sink): {
  handlerFor: (options: HandlerSettings) => HandlerClass
  calls: HandlerSettings[]
} {
  const calls: HandlerSettings[] = []
  const handlerFor = (options: HandlerSettings): HandlerClass => {
    calls.push(options)
    return class EchoHandler extends BaseHTTPRequestHandler {
      override logStream = log

      async doGET(): Promise<void> {
        const echo: Echo = { protocolVersion: this.protocolVersion, directory: options.directory }
        const body = Buffer.from(JSON.stringify(echo))
        this.sendResponse(200)
        for (const [name, value] of options.extraHeaders) this.sendHeader(name, value)
        this.sendHeader('Content-Type', 'application/json')
        this.sendHeader('Content-Length', body.length)
        this.endHeaders()
        await this.wfile.write(body)
      }
    }
  }
  return { handlerFor, calls }
}

/** One `run()` in this process, with everything observable. */
export interface Started {
  readonly exit: Promise<number>
  readonly stdout: Sink
  readonly stderr: Sink
  readonly log: Sink
  readonly signals: EventEmitter
  readonly calls: HandlerSettings[]
}

const running = new Set<Started>()

/** Start `run(argv)` with the real `HTTPServer` and the recording handler. */
export function start(argv: string[], deps: Partial<CliDeps> = {}): Started {
  const stdout = new Sink()
  const stderr = new Sink()
  const log = new Sink()
  const signals = new EventEmitter()
  const { handlerFor, calls } = recordingHandlerFor(log)
  const exit = run(argv, { Server: HTTPServer, handlerFor, stdout, stderr, signals, ...deps })
  const started = { exit, stdout, stderr, log, signals, calls }
  running.add(started)
  void exit.finally(() => running.delete(started))
  return started
}

/** For afterEach: stop every server a test left running (SIGTERM, as a supervisor would). */
export async function stopAll(): Promise<void> {
  const left = [...running]
  for (const started of left) started.signals.emit('SIGTERM')
  await Promise.all(left.map((started) => started.exit))
}

/** The port from a banner, once it is printed. */
export async function bannerPort(started: Started): Promise<number> {
  const match = await Promise.race([
    started.stdout.waitFor(/ port (\d+) \(/),
    started.exit.then((code) => {
      throw new Error(`run() exited with ${code} before the banner; stderr: ${started.stderr.text}`)
    }),
  ])
  return Number(match[1])
}
