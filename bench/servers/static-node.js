// The floor for bench/static.js: node:http + fs.stat + fs.createReadStream and as little else
// as still answers the scenarios (Last-Modified/ETag, If-None-Match/If-Modified-Since, one
// byte range). No listing, no path-safety beyond a prefix check: for scale, not for use.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'

const root = path.resolve(process.argv[2])
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' }

const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?')
  const file = path.join(root, decodeURIComponent(q === -1 ? req.url : req.url.slice(0, q)))
  if (!file.startsWith(root + path.sep)) return void res.writeHead(404).end()
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) return void res.writeHead(404).end()
    const etag = `"${st.size.toString(16)}-${Math.round(st.mtimeMs).toString(16)}"`
    const lastModified = st.mtime.toUTCString()
    const inm = req.headers['if-none-match']
    const ims = req.headers['if-modified-since']
    if (inm !== undefined ? inm === etag : ims !== undefined && Math.floor(st.mtimeMs / 1000) * 1000 <= Date.parse(ims)) {
      return void res.writeHead(304, { ETag: etag }).end()
    }
    const headers = {
      'Content-Type': types[path.extname(file)] ?? 'application/octet-stream',
      'Last-Modified': lastModified,
      ETag: etag,
      'Accept-Ranges': 'bytes',
    }
    let start = 0
    let end = st.size - 1
    let status = 200
    const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '')
    if (range && Number(range[1]) <= Number(range[2]) && Number(range[1]) < st.size) {
      start = Number(range[1])
      end = Math.min(Number(range[2]), st.size - 1)
      status = 206
      headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`
    }
    headers['Content-Length'] = end - start + 1
    res.writeHead(status, headers)
    if (req.method === 'HEAD') return void res.end()
    fs.createReadStream(file, { start, end }).pipe(res)
  })
})
// An optional second argument is the port (the cold-start bench polls a port it chose).
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: server.address().port }))
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
