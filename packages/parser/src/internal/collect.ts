/**
 * Gathering whole messages from a parser's callbacks, for the one-shot helpers
 * (`parseRequests`, `parseResponses`).
 * @module
 */
import type { HeaderList } from '../headers.js'

/** Collects each message as its head plus its decoded body and trailers. */
export class MessageCollector<Head extends object> {
  /** Every message that ended, in order. */
  readonly messages: (Head & { readonly body: Buffer; readonly trailers: HeaderList | undefined })[] = []
  /** The head of the message still being read, if any. */
  pending: Head | undefined
  #body: Buffer[] = []

  /** The parser callbacks that feed this collector. */
  readonly callbacks = {
    onHead: (head: Head): void => {
      this.pending = head
      this.#body = []
    },
    onBody: (chunk: Buffer): void => {
      this.#body.push(chunk)
    },
    onEnd: (trailers: HeaderList | undefined): void => {
      if (this.pending === undefined) return
      this.messages.push({ ...this.pending, body: Buffer.concat(this.#body), trailers })
      this.pending = undefined
    },
  }
}
