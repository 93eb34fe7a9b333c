// The references for `bench upload`: bare node:http receiving a PUT body. `file` streams it to a
// temporary file, fsyncs and renames it (the promise our PUT keeps, without any of its checks);
// `discard` reads and drops it: the most any Node server can do with this client on this machine.
import { createWriteStream } from 'node:fs'
import { open, rename, unlink } from 'node:fs/promises'
import http from 'node:http'
import path from 'node:path'

const [mode, root] = process.argv.slice(2)
const server = http.createServer((req, res) => {
  const done = (status) => {
    res.writeHead(status, { 'Content-Length': 0 })
    res.end()
  }
  if (mode === 'discard') {
    req.resume()
    req.on('end', () => done(201))
    return
  }
  const target = path.join(root, path.basename(req.url ?? 'upload'))
  const temp = `${target}.part-${process.pid}`
  const out = createWriteStream(temp)
  req.pipe(out)
  out.on('finish', async () => {
    const handle = await open(temp, 'r+')
    await handle.sync()
    await handle.close()
    await rename(temp, target)
    done(201)
  })
  out.on('error', () => {
    void unlink(temp).catch(() => undefined)
    done(500)
  })
})
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }))
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
