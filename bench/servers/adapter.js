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
  // serve-static's headers for the bench's one file, computed once at start-up and written in one
  // writeHead: no path mapping, no stat, no read, no per-header calls. What is left is Express
  // routing the request and node:http writing the response: no middleware can do less.
  const file = path.join(root, '1k.html')
  const body = readFileSync(file)
  const stats = statSync(file)
  const etag = `W/"${stats.size.toString(16)}-${stats.mtime.getTime().toString(16)}"`
  const lastModified = stats.mtime.toUTCString()
  const validators = ['Accept-Ranges', 'bytes', 'Cache-Control', 'public, max-age=0', 'Last-Modified', lastModified, 'ETag', etag]
  const full = [...validators, 'Content-Type', 'text/html; charset=utf-8', 'Content-Length', String(body.length)]
  const app = express()
  app.use((req, res, next) => {
    if (req.url !== '/1k.html') return next()
    if (req.headers['if-none-match'] === etag || req.headers['if-modified-since'] === lastModified) return void res.writeHead(304, validators).end()
    res.writeHead(200, full).end(body)
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
