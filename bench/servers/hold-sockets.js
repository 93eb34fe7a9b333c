// The floor for holding open event streams: node:net keeping each socket after one short answer.
// Prints {"port": n} as its first line, like the other bench servers.
import net from 'node:net'

const held = new Set()
const server = net.createServer((socket) => {
  held.add(socket)
  socket.on('close', () => held.delete(socket))
  socket.on('error', () => {})
  socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-type: text/event-stream\r\nConnection: close\r\n\r\nretry: 1000\n\n'))
})
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })))
