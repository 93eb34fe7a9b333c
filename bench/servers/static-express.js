// Peer for bench/static.js: Express with serve-static, then serve-index for directory listings
// (the usual pair: serve-static passes a directory without an index page on). Prints { port }.
import express from 'express'
import serveIndex from 'serve-index'
import serveStatic from 'serve-static'

const root = process.argv[2]
const app = express()
app.use(serveStatic(root))
app.use(serveIndex(root))
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }))
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
