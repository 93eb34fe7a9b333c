/** The platform's opener: `xdg-open` on Linux and the BSDs, `open` on macOS, `start` on Windows. */
export function openerFor(platform: NodeJS.Platform): { command: string; args: (url: string) => string[] } {
  if (platform === 'darwin') return { command: 'open', args: (url) => [url] }
  // `start` is a cmd built-in; its first quoted argument is a window title.
  if (platform === 'win32') return { command: 'cmd', args: (url) => ['/c', 'start', '""', url.replaceAll('&', '^&')] }
  return { command: 'xdg-open', args: (url) => [url] }
}

/**
 * Open `url` in the default browser, detached. Resolves with `undefined` once the opener has
 * started, or with a one-line reason when it could not (no opener installed), so the caller can
 * warn: a missing browser is never a reason to stop serving.
 */
export function openBrowser(url: string, platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  const { command, args } = openerFor(platform)
  return new Promise((resolve) => {
    let child
    try {
      // Fetched here, not imported at the top: only --open needs it (start-up time, issue 13).
      child = process.getBuiltinModule('node:child_process').spawn(command, args(url), { detached: true, stdio: 'ignore' })
    } catch (error) {
      resolve(`cannot start ${command}: ${(error as Error).message}`)
      return
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ENOENT' ? `${command} not found` : `cannot start ${command}: ${error.message}`)
    })
    child.once('spawn', () => {
      child.unref()
      resolve(undefined)
    })
  })
}
