import net from 'node:net'
import http from 'node:http'
import { SimpleHTTPRequestHandler, serveStatic } from './dist/index.js'
const H = SimpleHTTPRequestHandler.withOptions({ directory: '/tmp/smoke/root' })
const srv = net.createServer((socket) => { socket.setNoDelay(true); void new H(socket, [socket.remoteAddress, socket.remotePort], { serverName: 'localhost', serverPort: 0 }).handle() })
await new Promise((r) => srv.listen(0, '127.0.0.1', r))
const port = srv.address().port
async function raw(req, p = port) {
  return new Promise((resolve) => { const s = net.connect(p, '127.0.0.1', () => s.write(req)); const chunks = []; s.on('data', (c) => chunks.push(c)); s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1'))) })
}
for (const t of ['/a.txt', '/dir', '/dir/', '/sub/', '/../secret.txt', '/%2e%2e/secret.txt', '/a.txt/', '/nope']) {
  console.log('=== ' + t); console.log(await raw(`GET ${t} HTTP/1.0\r\nRange: bytes=0-1\r\n\r\n`))
}
const hs = http.createServer(serveStatic('/tmp/smoke/root'))
await new Promise((r) => hs.listen(0, '127.0.0.1', r))
console.log(await raw('GET /dir HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', hs.address().port))
console.log(await raw('GET /a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', hs.address().port))
console.log(await raw('GET /zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', hs.address().port))
srv.close(); hs.close()
