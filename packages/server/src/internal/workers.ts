import type { Address, Worker } from 'node:cluster'
import { SERVER_ERRORS, ServerError } from '../errors.js'
import type { ServerErrorCode } from '../errors.js'
import { cluster } from './builtins.js'
import { deferred } from './deferred.js'
import { errorCode } from './system-errors.js'

// The primary and its workers talk over cluster's IPC channel with these small messages.
const SHUTDOWN = { simplehttp: 'shutdown' } as const
interface ListenErrorMessage {
  simplehttp: 'listen-error'
  code: ServerErrorCode
  message: string
}

/** How long past its own grace period a worker may take to exit before it is killed. */
const EXIT_MARGIN_MS = 2000

/** True for the primary's "stop now" message. */
export function isShutdownMessage(message: unknown): boolean {
  return (message as { simplehttp?: unknown } | null)?.simplehttp === SHUTDOWN.simplehttp
}

function isListenError(message: unknown): message is ListenErrorMessage {
  const m = message as Partial<ListenErrorMessage> | null
  return m?.simplehttp === 'listen-error' && typeof m.code === 'string' && m.code in SERVER_ERRORS
}

/**
 * In a worker: tell the primary why `listen()` failed, so its own `listen()` rejects with the
 * same code instead of a vague "worker exited". Resolves once the message is on its way.
 */
export async function reportListenError(error: unknown): Promise<void> {
  const code = errorCode(error)
  const send = process.send?.bind(process)
  if (send == null || code == null || !(code in SERVER_ERRORS)) return
  const message: ListenErrorMessage = {
    simplehttp: 'listen-error',
    code: code as ServerErrorCode,
    message: error instanceof Error ? error.message : String(error),
  }
  await new Promise<void>((resolve) => {
    send(message, undefined, undefined, () => {
      resolve()
    })
  })
}

/** Where the workers listen, as the primary learns it from cluster's `listening` event. */
export interface BoundAddress {
  readonly address: string
  readonly port: number
}

/**
 * The primary's side of `workers: n`: fork the workers (they re-run the main script, where the
 * same `new HTTPServer(...)` listens on the shared port), ask them to stop, and notice when
 * they have all gone. Workers that die are not restarted: this is a file server, not a
 * process manager.
 */
export class WorkerPool {
  readonly #workers = new Set<Worker>()
  readonly #gone = deferred()

  /** Resolves when every worker has exited, whatever the reason. */
  get gone(): Promise<void> {
    return this.#gone.promise
  }

  /** Fork `count` workers and resolve with the address once all of them are listening. */
  async start(count: number, where: string, env?: Record<string, string>): Promise<BoundAddress> {
    const workers = Array.from({ length: count }, () => this.#fork(env))
    try {
      const addresses = await Promise.all(workers.map((worker) => whenListening(worker, where)))
      return addresses[0] as BoundAddress
    } catch (error) {
      this.#kill()
      await this.gone
      throw error
    }
  }

  /**
   * Ask every worker to shut down gracefully; kill the ones still alive `gracePeriod` (plus a
   * margin) later, or at once when `force` settles. Resolves when all have exited.
   */
  async stop(gracePeriod: number, force: Promise<void>): Promise<void> {
    if (this.#workers.size === 0) return
    for (const worker of this.#workers) {
      try {
        worker.send(SHUTDOWN)
      } catch {
        // Its channel is already closed: it is exiting anyway.
      }
    }
    const timer = setTimeout(() => {
      this.#kill()
    }, gracePeriod + EXIT_MARGIN_MS)
    void force.then(() => {
      this.#kill()
    })
    await this.gone
    clearTimeout(timer)
  }

  #fork(env: Record<string, string> | undefined): Worker {
    const worker = cluster().fork(env)
    this.#workers.add(worker)
    // A send to a worker that has just died reports here; it must not crash the primary.
    worker.on('error', () => undefined)
    worker.once('exit', () => {
      this.#workers.delete(worker)
      if (this.#workers.size === 0) this.#gone.resolve()
    })
    return worker
  }

  #kill(): void {
    for (const worker of this.#workers) worker.process.kill('SIGKILL')
  }
}

function whenListening(worker: Worker, where: string): Promise<BoundAddress> {
  return new Promise((resolve, reject) => {
    worker.once('listening', (address: Address) => {
      resolve({ address: address.address, port: address.port })
    })
    worker.on('message', (message: unknown) => {
      if (isListenError(message)) reject(new ServerError(message.code, message.message))
    })
    worker.once('exit', (code: number | null, signal: string | null) => {
      reject(
        new ServerError(
          'SH_ERR_SERVER_WORKER_EXITED',
          `worker process ${worker.process.pid ?? '?'} exited before listening on ${where}: expected it to listen, got ${signal ?? `exit code ${String(code)}`}`,
        ),
      )
    })
  })
}
