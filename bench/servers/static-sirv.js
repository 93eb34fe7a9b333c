// Peer for bench/static.js: sirv on a plain node:http server, production mode (it walks the
// root once at start-up and serves from that index), weak ETags on. Prints { port }.
import http from 'node:http'
import sirv from 'sirv'

const root = process.argv[2]
const server = http.createServer(sirv(root, { etag: true, dev: false }))
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }))
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
