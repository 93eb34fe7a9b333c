// Peers for bench/adapters.js: one static middleware inside one framework. Usage:
//   node adapter.js <express-ours|express-static|express-floor|hono-ours|hono-static> <root>
// Prints { port }. Each app serves only files, as a user's app mounting it at "/" would.
// express-floor is no static middleware at all: the ceiling any of them could reach in Express.
import { serve } from '@hono/node-server'
import { serveStatic as honoServeStatic } from '@hono/node-server/serve-static'
import { createFetchHandler, serveStatic as ourServeStatic } from '@simplehttp/static'
import express from 'express'
import { Hono } from 'hono'
import { readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import expressServeStatic from 'serve-static'

const [kind, root] = process.argv.slice(2)

function listen(server) {
  server.on('listening', () => console.log(JSON.stringify({ port: server.address().port })))
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
}

if (kind === 'express-ours' || kind === 'express-static') {
  const app = express()
  app.use(kind === 'express-ours' ? ourServeStatic(root) : expressServeStatic(root))
  listen(app.listen(0, '127.0.0.1'))
} else if (kind === 'express-floor') {
  // serve-static's headers for the bench's one file, computed once at start-up: no path mapping,
  // no stat, no read per request. What is left is Express and node:http writing the response.
  const file = path.join(root, '1k.html')
  const body = readFileSync(file)
  const stats = statSync(file)
  const etag = `W/"${stats.size.toString(16)}-${stats.mtime.getTime().toString(16)}"`
  const lastModified = stats.mtime.toUTCString()
  const app = express()
  app.use((req, res, next) => {
    if (req.path !== '/1k.html') return next()
    res.setHeader('Accept-Ranges', 'bytes')
    res.setHeader('Cache-Control', 'public, max-age=0')
    res.setHeader('Last-Modified', lastModified)
    res.setHeader('ETag', etag)
    if (req.headers['if-none-match'] === etag || req.headers['if-modified-since'] === lastModified) {
      res.statusCode = 304
      return res.end()
    }
    res.setHeader('Content-Type', 'text/html; charset=utf-8')
    res.setHeader('Content-Length', body.length)
    res.end(body)
  })
  listen(app.listen(0, '127.0.0.1'))
} else if (kind === 'hono-ours' || kind === 'hono-static') {
  const app = new Hono()
  if (kind === 'hono-ours') {
    const files = createFetchHandler(root, { fallthrough: true })
    app.use('*', async (c, next) => (await files(c.req.raw)) ?? next())
  } else {
    app.use('*', honoServeStatic({ root }))
  }
  listen(serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }))
} else {
  console.error(`unknown kind ${kind}`)
  process.exit(2)
}
