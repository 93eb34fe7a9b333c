import type { Http2Server, Http2Session, ServerHttp2Stream } from 'node:http2'
import type { TLSSocket } from 'node:tls'
import type { HTTP2Options } from '../types.js'
import { http2 } from './builtins.js'

/** The settled limits of one server's HTTP/2 side. */
export interface HTTP2Limits {
  readonly maxConcurrentStreams: number
  readonly maxHeaderListSize: number
  readonly idleTimeout: number
  readonly settingsTimeout: number
  readonly maxResetsPerSecond: number
}

/**
 * HTTP/2 for TLS connections that chose `h2` by ALPN. Node's own `node:http2` does the framing;
 * we only hand it sockets the TLS server has already accepted (so the connection table, the cap
 * and shutdown see HTTP/1.1 and HTTP/2 alike) and add the limits Node leaves open: a settings
 * timeout for clients that never speak, and a cut for clients that reset streams faster than any
 * browser would (CVE-2023-44487, "rapid reset").
 */
export class HTTP2Sessions {
  readonly #server: Http2Server
  readonly #sessions = new Set<Http2Session>()
  readonly #limits: HTTP2Limits
  readonly #onSessionClosed: () => void

  /** `onSessionClosed` lets the server's shutdown wait notice that a session has gone. */
  constructor(options: HTTP2Options, limits: HTTP2Limits, onSessionClosed: () => void) {
    this.#limits = limits
    this.#onSessionClosed = onSessionClosed
    this.#server = http2().createServer({
      settings: {
        maxConcurrentStreams: limits.maxConcurrentStreams,
        maxHeaderListSize: limits.maxHeaderListSize,
        enablePush: false,
      },
      maxHeaderListPairs: 128,
      // Streams above the advertised limit are refused by nghttp2 itself; this bounds the
      // frames and memory a single session may queue before it is cut.
      maxSessionMemory: 10,
    })
    this.#server.on('request', options.onRequest)
    this.#server.on('session', (session: Http2Session) => {
      this.#watch(session)
    })
    // A protocol error concerns that session only.
    this.#server.on('sessionError', () => undefined)
  }

  /** Serve one ALPN-`h2` TLS socket. The caller tracks and destroys the socket as for HTTP/1.1. */
  serve(socket: TLSSocket): void {
    this.#server.emit('connection', socket)
  }

  /** Open sessions (one per connection). */
  get size(): number {
    return this.#sessions.size
  }

  /** Graceful stop: GOAWAY to every session; streams in flight finish, no new ones start. */
  close(): void {
    for (const session of this.#sessions) {
      try {
        session.close()
      } catch {
        // Already closing.
      }
    }
  }

  #watch(session: Http2Session): void {
    this.#sessions.add(session)
    session.once('close', () => {
      this.#sessions.delete(session)
      this.#onSessionClosed()
    })
    session.on('error', () => undefined)

    // A client that completes the handshake and then sends no SETTINGS holds a slot for nothing.
    const settingsTimer = setTimeout(() => {
      session.destroy()
    }, this.#limits.settingsTimeout)
    session.once('remoteSettings', () => {
      clearTimeout(settingsTimer)
    })
    session.once('close', () => {
      clearTimeout(settingsTimer)
    })

    session.setTimeout(this.#limits.idleTimeout, () => {
      session.close()
      // A client that ignores GOAWAY with streams open still goes, a moment later.
      setTimeout(() => {
        session.destroy()
      }, 1000).unref()
    })

    let windowStart = 0
    let resets = 0
    session.on('stream', (stream: ServerHttp2Stream) => {
      stream.on('error', () => undefined)
      stream.once('aborted', () => {
        const now = Date.now()
        if (now - windowStart > 1000) {
          windowStart = now
          resets = 0
        }
        resets += 1
        if (resets > this.#limits.maxResetsPerSecond && !session.destroyed) {
          session.goaway(http2().constants.NGHTTP2_ENHANCE_YOUR_CALM)
          session.destroy()
        }
      })
    })
  }
}
