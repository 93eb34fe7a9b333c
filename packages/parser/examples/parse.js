// `pnpm --filter @simplehttp/parser example`: parse a few requests, then show a refused one.
// (Inside this repo the package name resolves to its own dist/, so this is what a user writes.)
import { Buffer } from 'node:buffer'
import console from 'node:console'
import { RequestParser, parseRequests } from '@simplehttp/parser'

// Two pipelined requests in one buffer: a GET, then a chunked POST with a trailer.
const bytes = Buffer.from(
  'GET /hello?name=world HTTP/1.1\r\nHost: example.com\r\nAccept: text/plain\r\n\r\n' +
    'POST /echo HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 5eb63bbb\r\n\r\n',
)

const { requests } = parseRequests(bytes)
for (const request of requests) {
  console.log(`${request.method} ${request.target} ${request.version}`)
  console.log(`  host: ${request.headers.get('host')}, framing: ${request.framing}, keep-alive: ${request.keepAlive}`)
  if (request.body.length > 0) console.log(`  body: ${JSON.stringify(request.body.toString())}`)
  if (request.trailers) console.log(`  trailers: ${JSON.stringify(request.trailers.toObject())}`)
}

// The same bytes fed one at a time, as a slow socket would deliver them.
const seen = []
const parser = new RequestParser({
  onHead: (head) => seen.push(head.target),
  onError: (error) => console.log('unexpected', error.code),
})
for (const byte of bytes) parser.execute(Buffer.of(byte))
console.log(`byte by byte: ${seen.join(', ')}`)

// Refused: Content-Length together with Transfer-Encoding is the classic smuggling pair.
const smuggled = Buffer.from(
  'POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
)
const { error } = parseRequests(smuggled)
console.log(`refused: ${error.status} ${error.code}`)

// Errors carry CPython's reason phrase where CPython has one.
const { error: h2 } = parseRequests(Buffer.from('GET / HTTP/2.0\r\n\r\n'))
console.log(`refused: ${h2.status} ${h2.code} (${h2.reason})`)
