// Peers for bench/adapters.js: one static middleware inside one framework. Usage:
//   node adapter.js <express-ours|express-static|hono-ours|hono-static> <root>
// Prints { port }. Each app serves only files, as a user's app mounting it at "/" would.
import { serve } from '@hono/node-server'
import { serveStatic as honoServeStatic } from '@hono/node-server/serve-static'
import { createFetchHandler, serveStatic as ourServeStatic } from '@simplehttp/static'
import express from 'express'
import { Hono } from 'hono'
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
