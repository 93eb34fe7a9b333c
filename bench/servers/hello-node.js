// The reference: node:http's hello world, same body and headers.
import http from 'node:http'
import { serveMemoryProbe } from './memory-probe.js'

const body = Buffer.from('Hello, world!\n')
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length })
  res.end(body)
})
server.keepAliveTimeout = 120_000
server.headersTimeout = 120_000
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }))
})
serveMemoryProbe()
process.on('SIGTERM', () => server.close(() => process.exit(0)))
