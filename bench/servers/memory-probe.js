// Answers { memory } over the IPC channel after a full GC, so the bench can measure what a
// server holds per connection. Needs --expose-gc.
export function serveMemoryProbe() {
  if (!process.send) return
  process.on('message', (message) => {
    if (message !== 'memory') return
    globalThis.gc?.()
    globalThis.gc?.()
    const m = process.memoryUsage()
    process.send({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers })
  })
  // The IPC channel must not keep the process alive on its own.
  process.channel?.unref()
}
