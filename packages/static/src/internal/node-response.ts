/**
 * Sending a response body on a `node:http` (or `node:http2` compatibility) response, with
 * back-pressure: shared by `serveStatic()` and `createRequestListener()`.
 * @module
 */
import type { ServerResponse } from 'node:http'
import { StaticError, simpleHTTPErrorCode } from '../errors.js'
import type { BodyWriter, ResponseBody } from '../response-body.js'

/** Write `body` to `res` and end it; a body that cannot be completed cuts the response instead. */
export async function sendBody(res: ServerResponse, body: ResponseBody): Promise<void> {
  try {
    await body.writeTo(responseWriter(res))
  } catch (error) {
    // File shrank (length promised) or client gone: either way the response cannot complete.
    res.destroy()
    const code = simpleHTTPErrorCode(error)
    if (code === 'SH_ERR_STATIC_FILE_CHANGED' || code === 'SH_ERR_STATIC_RESPONSE_CLOSED') return
    throw error
  }
  res.end()
}

/** Write to a `ServerResponse`, waiting for `drain` when it asks to; rejects if it closes first. */
function responseWriter(res: ServerResponse): BodyWriter {
  return {
    write(chunk) {
      if (res.destroyed) return Promise.reject(closed())
      if (res.write(chunk)) return undefined
      return new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          res.off('close', onClose)
          resolve()
        }
        const onClose = (): void => {
          res.off('drain', onDrain)
          reject(closed())
        }
        res.once('drain', onDrain)
        res.once('close', onClose)
      })
    },
  }
}

function closed(): StaticError {
  return new StaticError('SH_ERR_STATIC_RESPONSE_CLOSED', 'the client closed the connection before the body was sent')
}
