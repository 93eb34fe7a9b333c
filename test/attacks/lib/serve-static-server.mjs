// The `--target serve-static` server: an Express 5 app serving the fixture through
// @simplehttp/static's serveStatic() (serve-static's options and behaviour): at "/" and
// "/static" with CPython's listing for directories without an index page, and at "/strict" with
// `fallthrough: false`, whose errors reach Express's own error handler (it prints err.stack when
// NODE_ENV is not "production", so a message naming the root would show). The app's 404 does
// not echo the URL, so a marker in an answer can only come from serveStatic. Prints the app's
// banner so the suite finds the port.
import console from 'node:console'
import process from 'node:process'
import { serveStatic } from '@simplehttp/static'
import express from 'express'

const root = process.argv[2]
const app = express()
app.use('/strict', serveStatic(root, { fallthrough: false }))
app.use('/static', serveStatic(root, { listing: 'python' }))
app.use(serveStatic(root, { listing: 'python' }))
app.use((req, res) => {
  res.status(404).type('text/plain').send('Not Found\n')
})
const server = app.listen(0, '127.0.0.1', () => {
  const { port } = server.address()
  console.log(`Serving HTTP on 127.0.0.1 port ${port} (http://127.0.0.1:${port}/) ...`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
