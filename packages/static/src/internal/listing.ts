/**
 * The directory listing, byte for byte as CPython 3.14's `list_directory`, minus what must not
 * be shown: dotfiles (unless allowed) and symlinks that lead out of the root (unless followed).
 * @module
 */
import { readdir, realpath, stat } from 'node:fs/promises'
import path from 'node:path'
import { htmlEscape } from '@simplehttp/handler'
import { fsArg, fsDecode, fsEncode, hasLoneSurrogate } from '../resolver.js'
import { quote } from './url-path.js'

/** What decides which entries a listing shows. */
export interface ListingPolicy {
  readonly dotfiles: boolean
  readonly followSymlinks: boolean
  /** Whether `realPath` is inside the root (only asked when symlinks are not followed). */
  isInside(realPath: string): boolean
}

/** The `<li>` lines of a listing, and whether they may be cached against the directory's mtime. */
export interface ListingItems {
  readonly lines: string
  /** False when a symlink was resolved: its target can change without the directory changing. */
  readonly cacheable: boolean
}

/**
 * Python's `sorted(names, key=str.lower)`: code-point order of the lower-cased names, stable.
 * (`<` on JS strings compares UTF-16 units, which differs for characters beyond U+FFFF.)
 */
function compareLower(a: { key: string }, b: { key: string }): number {
  const x = a.key
  const y = b.key
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const cx = x.codePointAt(i) as number
    const cy = y.codePointAt(i) as number
    if (cx !== cy) return cx - cy
    if (cx > 0xffff) i++
  }
  return x.length - y.length
}

/**
 * Read `dir` and render its entries as CPython does: sorted case-insensitively, `name/` for
 * directories, `name@` for symlinks (whose href keeps the `/` when they lead to a directory),
 * hrefs quoted like `urllib.parse.quote`, text escaped like `html.escape(quote=False)`.
 * Throws what `readdir` throws (the caller answers `404 No permission to list directory`).
 *
 * Deliberate differences: dotfiles are left out unless `dotfiles` is on (`.well-known` stays in
 * the root's listing, since it is served), and a symlink is left out unless its real path is
 * inside the root (or `followSymlinks` is on) — a link that cannot be followed is not offered.
 */
export async function listItems(dir: string, isRoot: boolean, policy: ListingPolicy): Promise<ListingItems> {
  // Names as bytes: one that is not UTF-8 is shown as CPython's os.listdir shows it
  // (surrogateescape), and its href leads back to the same bytes (see `fsDecode`, `quote`).
  const dirents = await readdir(fsArg(dir), { withFileTypes: true, encoding: 'buffer' })
  const named = dirents.map((dirent) => {
    const name = fsDecode(dirent.name)
    return { dirent, name, key: name.toLowerCase() }
  })
  named.sort(compareLower)
  let lines = ''
  let cacheable = true
  for (const { dirent, name } of named) {
    if (!policy.dotfiles && name.charCodeAt(0) === 0x2e && !(isRoot && name === '.well-known')) continue
    // `.simplehttp-*` are the server's own files (upload temporaries, WebDAV property stores): never shown, even with dotfiles on.
    if (name.startsWith('.simplehttp-')) continue
    let display = name
    let link = name
    if (dirent.isSymbolicLink()) {
      cacheable = false
      const full = path.join(dir, name)
      if (!policy.followSymlinks) {
        let real: string
        try {
          real = await realpath(fsArg(full))
        } catch {
          continue // broken link or loop (ELOOP): nothing to offer
        }
        if (!policy.isInside(real)) continue // leads out of the root: not served, so not listed
      }
      let isDirectory = false
      try {
        isDirectory = (await stat(fsArg(full))).isDirectory()
      } catch {
        // os.path.isdir is False for a broken link
      }
      display = name + '@'
      if (isDirectory) link = name + '/'
    } else if (dirent.isDirectory()) {
      display = name + '/'
      link = name + '/'
    }
    lines += `<li><a href="${quote(link)}">${htmlEscape(display, false)}</a></li>\n`
  }
  return { lines, cacheable }
}

/** The listing page around `lines`; `title` is the already unquoted, not yet escaped request path. */
export function renderListing(title: string, lines: string): Buffer {
  const heading = `Directory listing for ${htmlEscape(title, false)}`
  const page =
    '<!DOCTYPE HTML>\n' +
      '<html lang="en">\n' +
      '<head>\n' +
      '<meta charset="utf-8">\n' +
      '<style type="text/css">\n:root {\ncolor-scheme: light dark;\n}\n</style>\n' +
      `<title>${heading}</title>\n</head>\n` +
      `<body>\n<h1>${heading}</h1>\n` +
      '<hr>\n<ul>\n' +
      lines +
    '</ul>\n<hr>\n</body>\n</html>\n'
  // CPython encodes the page with surrogateescape: a name's bytes that are not UTF-8 go out as
  // they are on disk.
  return (hasLoneSurrogate(page) ? fsEncode(page) : undefined) ?? Buffer.from(page, 'utf8')
}
