import http from 'node:http'
import { serveStatic } from './dist/index.js'
const hs = http.createServer(serveStatic('/tmp/smoke/root', { dotfiles: true }))
await new Promise((r) => hs.listen(0, '127.0.0.1', r))
const res = await fetch(`http://127.0.0.1:${hs.address().port}/cmp/`)
process.stdout.write(await res.text())
hs.close()
