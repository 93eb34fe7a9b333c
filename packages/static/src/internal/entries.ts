/**
 * A directory's visible entries with their stats, for the rich and JSON listings and for
 * archives. The same visibility rules as the CPython-style listing (`listing.ts`): no dotfiles
 * unless allowed (`.well-known` stays in the root), no symlink whose real path leaves the root
 * unless symlinks are followed.
 * @module
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import type { ListingPolicy } from './listing.js'

/** What an entry is, as the listings show it. */
export type EntryType = 'file' | 'directory' | 'symlink'

/** One visible entry of a directory. */
export interface VisibleEntry {
  readonly name: string
  readonly type: EntryType
  /** Whether it is (or, for a symlink, leads to) a directory. */
  readonly isDirectory: boolean
  /** Bytes of the file (or of the file a symlink leads to); 0 for directories. */
  readonly size: number
  readonly mtimeMs: number
  /** Permission bits. */
  readonly mode: number
  readonly dev: number
  readonly ino: number
  readonly fsPath: string
}

/** The visible entries, and whether they may be cached against the directory's stat. */
export interface VisibleEntries {
  readonly entries: VisibleEntry[]
  /** False when a symlink was resolved: its target can change without the directory changing. */
  readonly cacheable: boolean
}

/**
 * Read `dir` and stat each entry that may be shown. Entries that are neither files nor
 * directories (FIFOs, sockets, devices) and broken links are left out: they cannot be served.
 * Throws what `readdir` throws. The order is `readdir`'s; callers sort.
 */
export async function readVisibleEntries(dir: string, isRoot: boolean, policy: ListingPolicy): Promise<VisibleEntries> {
  const dirents = await readdir(dir, { withFileTypes: true })
  const entries: VisibleEntry[] = []
  let cacheable = true
  for (const dirent of dirents) {
    const name = dirent.name
    if (!policy.dotfiles && name.charCodeAt(0) === 0x2e && !(isRoot && name === '.well-known')) continue
    // `.simplehttp-*` are the server's own files (upload temporaries, WebDAV property stores): never shown, even with dotfiles on.
    if (name.startsWith('.simplehttp-')) continue
    const fsPath = path.join(dir, name)
    const isLink = dirent.isSymbolicLink()
    if (!isLink && !dirent.isFile() && !dirent.isDirectory()) continue
    if (isLink) {
      cacheable = false
      if (!policy.followSymlinks) {
        let real: string
        try {
          real = await realpath(fsPath)
        } catch {
          continue // broken link or loop
        }
        if (!policy.isInside(real)) continue // leads out of the root: not served, so not listed
      }
    }
    let stats
    try {
      stats = isLink ? await stat(fsPath) : await lstat(fsPath)
    } catch {
      continue // gone since readdir, or a broken link
    }
    const isDirectory = stats.isDirectory()
    if (!isDirectory && !stats.isFile()) continue
    entries.push({
      name,
      type: isLink ? 'symlink' : isDirectory ? 'directory' : 'file',
      isDirectory,
      size: isDirectory ? 0 : stats.size,
      mtimeMs: stats.mtimeMs,
      mode: stats.mode & 0o777,
      dev: stats.dev,
      ino: stats.ino,
      fsPath,
    })
  }
  return { entries, cacheable }
}
