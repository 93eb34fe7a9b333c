// Issue: @simplehttp/server + handler against node:http, hello world, keep-alive.
// Throughput and p99 from the same load in the same run; then memory per idle connection.
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { ask, compare, cpuTimeOf, fmt, load, printTable, startServer } from './lib.js'

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const contenders = [
  { name: 'simplehttp', script: here('./servers/hello-simplehttp.js') },
  { name: 'node:http', script: here('./servers/hello-node.js') },
]
const seconds = Number(process.env.BENCH_SECONDS ?? 8)

export async function benchHello() {
  const results = await compare(contenders, async ({ script }) => {
    const server = await startServer(process.execPath, [script])
    try {
      await load(`http://127.0.0.1:${server.port}/`, { seconds: 1, connections: 50 }) // warm-up
      // CPU time per request is what other load on the machine disturbs least.
      const cpuBefore = await cpuTimeOf(server.child.pid)
      const result = await load(`http://127.0.0.1:${server.port}/`, { seconds, connections: 50 })
      const cpuMs = (await cpuTimeOf(server.child.pid)) - cpuBefore
      return { ...result, cpuPerRequest: (cpuMs * 1000) / result.requests }
    } finally {
      await server.stop()
    }
  })
  const base = results.get('node:http')
  printTable(
    `hello world, 50 keep-alive connections, ${seconds}s, server and load on separate cores`,
    contenders.map((c) => ({ name: c.name, ...results.get(c.name) })),
    [
      { label: 'server', format: (r) => r.name },
      { label: 'req/s', format: (r) => fmt.int(r.rps) },
      { label: 'vs node:http', format: (r) => fmt.ratio(r.rps / base.rps) },
      { label: 'p50 ms', format: (r) => fmt.ms(r.p50) },
      { label: 'p99 ms', format: (r) => fmt.ms(r.p99) },
      { label: 'server CPU µs/req', format: (r) => fmt.ms(r.cpuPerRequest) },
      { label: 'errors', format: (r) => `${r.errors}${r.socketErrors ? ` (${r.socketErrors})` : ''}` },
    ],
  )

  const memory = []
  for (const c of contenders) memory.push({ name: c.name, ...(await idleConnectionMemory(c.script, 5000)) })
  printTable('memory held per idle keep-alive connection (5,000 open, after GC)', memory, [
    { label: 'server', format: (r) => r.name },
    { label: 'heap+external B/conn', format: (r) => fmt.int(r.heapPerConn) },
    { label: 'RSS B/conn', format: (r) => fmt.int(r.rssPerConn) },
  ])
  return { results, memory }
}

/** Open `count` connections, make one keep-alive request on each, then measure the server. */
async function idleConnectionMemory(script, count) {
  const server = await startServer(process.execPath, ['--expose-gc', script])
  const sockets = []
  try {
    const before = await ask(server.child, 'memory')
    for (let i = 0; i < count; i += 250) {
      const batch = []
      for (let j = i; j < Math.min(count, i + 250); j++) batch.push(oneRequest(server.port))
      sockets.push(...(await Promise.all(batch)))
    }
    const after = await ask(server.child, 'memory')
    return {
      heapPerConn: (after.heapUsed + after.external - before.heapUsed - before.external) / count,
      rssPerConn: (after.rss - before.rss) / count,
    }
  } finally {
    for (const s of sockets) s.destroy()
    await server.stop()
  }
}

function oneRequest(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n')
    })
    let seen = ''
    socket.setEncoding('latin1')
    socket.on('data', (d) => {
      seen += d
      if (seen.includes('Hello, world!')) {
        socket.removeAllListeners('data')
        resolve(socket)
      }
    })
    socket.on('error', reject)
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchHello()
