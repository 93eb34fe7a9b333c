// Hello world on @simplehttp/server + @simplehttp/handler, HTTP/1.1 keep-alive, no access log
// (node:http's hello world logs nothing either).
import { BaseHTTPRequestHandler } from '@simplehttp/handler'
import { HTTPServer } from '@simplehttp/server'
import { serveMemoryProbe } from './memory-probe.js'

const body = Buffer.from('Hello, world!\n')

class Hello extends BaseHTTPRequestHandler {
  protocolVersion = 'HTTP/1.1'
  doGET() {
    this.sendResponse(200)
    this.sendHeader('Content-Type', 'text/plain')
    this.sendHeader('Content-Length', body.length)
    this.endHeaders()
    return this.wfile.write(body)
  }
  logMessage() {}
}

const server = new HTTPServer({ host: '127.0.0.1', port: 0 }, Hello, {
  keepAliveTimeout: 120_000,
  headersTimeout: 120_000,
  maxConnections: 20_000,
})
await server.listen()
console.log(JSON.stringify({ port: server.serverPort }))
serveMemoryProbe()
process.on('SIGTERM', () => void server.shutdown().then(() => process.exit(0)))
void server.serveForever()
