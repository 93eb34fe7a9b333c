import type { Cluster } from 'node:cluster'
import type * as Crypto from 'node:crypto'
import type * as HTTP2 from 'node:http2'
import type * as TLS from 'node:tls'

// Node's built-in modules that only some servers use (TLS, HTTP/2, cluster workers, a made-up
// certificate), fetched when first needed instead of imported at the top: loading node:tls,
// node:http2 and node:crypto alone costs a plain `simplehttp 8000` a noticeable part of its
// start-up, for nothing (issue 13). Node caches them, so each later call is a lookup.

/** `node:cluster`, whose module object is the `cluster` default export. */
export function cluster(): Cluster {
  return process.getBuiltinModule('node:cluster') as unknown as Cluster
}

export function tls(): typeof TLS {
  return process.getBuiltinModule('node:tls')
}

export function http2(): typeof HTTP2 {
  return process.getBuiltinModule('node:http2')
}

export function crypto(): typeof Crypto {
  return process.getBuiltinModule('node:crypto')
}
