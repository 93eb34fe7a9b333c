/**
 * Dead properties (RFC 4918 §4): what PROPPATCH stores and PROPFIND returns, kept on disk in a
 * hidden folder of each directory, as Apache's mod_dav_fs keeps its `.DAV` folder:
 *
 * - a file's properties: `<its directory>/.simplehttp-props/f-<sha256 of its name>.json`;
 * - a directory's own: `<the directory>/.simplehttp-props/self.json`.
 *
 * So a directory's rename, recursive copy or delete carries its properties and all of its
 * children's with it, with no bookkeeping; only a single file's COPY, MOVE and DELETE move its
 * entry by hand. Entry names are hashes, so no property name or file name reaches a path.
 * The folder's name is refused by the write resolver, never served, listed or archived.
 * Node has no extended-attribute API, and a native module for xattrs would also lose the
 * properties on file systems without them (tmpfs with a quota, FAT, many network mounts).
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises'
import path from 'node:path'
import type { DeadProp } from './webdav.js'

/** The hidden folder that holds the properties of a directory and of its files. */
export const PROPS_DIR = '.simplehttp-props'
const SELF = 'self.json'

/** Bounds against filling the disk (or memory) through PROPPATCH. */
export const PROP_LIMITS = {
  /** Largest value of one property, as stored (serialized XML), in bytes. */
  valueBytes: 16 * 1024,
  /** Longest namespace URI plus local name of one property, in bytes. */
  nameBytes: 1024,
  /** Most properties on one resource. */
  count: 256,
  /** Largest stored entry of one resource (all its properties), in bytes. */
  resourceBytes: 64 * 1024,
} as const

interface StoredEntry {
  readonly name: string
  readonly props: readonly { readonly ns: string; readonly local: string; readonly value: string }[]
}

/** Where a resource's entry lives. */
export function entryPath(fsPath: string, isDirectory: boolean): string {
  if (isDirectory) return path.join(fsPath, PROPS_DIR, SELF)
  const hash = createHash('sha256').update(path.basename(fsPath)).digest('base64url')
  return path.join(path.dirname(fsPath), PROPS_DIR, `f-${hash}.json`)
}

function entryName(fsPath: string, isDirectory: boolean): string {
  return isDirectory ? '' : path.basename(fsPath)
}

/** An XML local name, near enough: what a stored entry may name (the parser checked it when it was set). */
const NAME_RE = /^[\p{L}_][\p{L}\p{M}\p{N}_.\-\u00B7\u203F\u2040]*$/u

/** A resource's dead properties (none when it has no entry, or the entry is not ours). */
export async function readProps(fsPath: string, isDirectory: boolean): Promise<DeadProp[]> {
  let text: string
  try {
    // O_NOFOLLOW: a link planted in place of an entry is not followed out of the tree.
    const handle = await open(entryPath(fsPath, isDirectory), constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      const stats = await handle.stat()
      if (!stats.isFile() || stats.size > PROP_LIMITS.resourceBytes * 2) return []
      text = await handle.readFile('utf8')
    } finally {
      await handle.close()
    }
  } catch {
    return []
  }
  let entry: unknown
  try {
    entry = JSON.parse(text)
  } catch {
    return []
  }
  // A hash collision (or an entry copied by hand) names another resource: not its properties.
  if (!isRecord(entry) || entry.name !== entryName(fsPath, isDirectory) || !Array.isArray(entry.props)) return []
  const props: DeadProp[] = []
  for (const p of entry.props as unknown[]) {
    if (!isRecord(p) || typeof p.ns !== 'string' || typeof p.local !== 'string' || typeof p.value !== 'string' || !NAME_RE.test(p.local)) continue
    props.push({ name: { ns: p.ns, local: p.local }, value: p.value })
  }
  return props
}

/** The size a resource's entry would have on disk. */
export function entrySize(fsPath: string, isDirectory: boolean, props: readonly DeadProp[]): number {
  return Buffer.byteLength(serialize(fsPath, isDirectory, props))
}

function serialize(fsPath: string, isDirectory: boolean, props: readonly DeadProp[]): string {
  const entry: StoredEntry = { name: entryName(fsPath, isDirectory), props: props.map((p) => ({ ns: p.name.ns, local: p.name.local, value: p.value })) }
  return JSON.stringify(entry)
}

/**
 * Replace a resource's properties (none: the entry is removed). Written to a temporary file in
 * the store and renamed over the entry, so a crash leaves the old set or the new one.
 */
export async function writeProps(fsPath: string, isDirectory: boolean, props: readonly DeadProp[]): Promise<void> {
  const entry = entryPath(fsPath, isDirectory)
  if (props.length === 0) {
    await unlink(entry).catch(ignoreMissing)
    return
  }
  const store = path.dirname(entry)
  await ensureStore(store)
  const temp = path.join(store, `.tmp-${randomBytes(9).toString('base64url')}`)
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
  try {
    await handle.writeFile(serialize(fsPath, isDirectory, props))
    await handle.sync()
  } catch (error) {
    await handle.close().catch(() => undefined)
    await unlink(temp).catch(() => undefined)
    throw error
  }
  await handle.close()
  try {
    await rename(temp, entry)
  } catch (error) {
    await unlink(temp).catch(() => undefined)
    throw error
  }
}

/** The store must be a real directory: a symlink or a file in its place is refused (EACCES). */
async function ensureStore(store: string): Promise<void> {
  try {
    await mkdir(store)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const stats = await lstat(store)
  if (!stats.isDirectory()) throw Object.assign(new Error(`${store} is not a directory`), { code: 'EACCES' })
}

/** A file was deleted (or is about to be replaced by a copy or a move): its properties go too. */
export async function removeFileProps(fsPath: string): Promise<void> {
  await unlink(entryPath(fsPath, false)).catch(ignoreMissing)
}

/** COPY: the destination gets the source's properties (a directory's own, for `Depth: 0`). */
export async function copyProps(from: string, to: string, isDirectory: boolean): Promise<void> {
  const props = await readProps(from, isDirectory)
  await writeProps(to, isDirectory, props)
}

/** MOVE of a file: its entry follows it (a directory's rename carries its store already). */
export async function moveFileProps(from: string, to: string): Promise<void> {
  const props = await readProps(from, false)
  await writeProps(to, false, props)
  await removeFileProps(from)
}

/** The names of the entries in a directory's store, to skip reading entries that do not exist. */
export async function storedEntries(directory: string): Promise<ReadonlySet<string>> {
  try {
    return new Set(await readdir(path.join(directory, PROPS_DIR)))
  } catch {
    return new Set()
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value != null
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
}

/** Updates of one entry run one after another (two PROPPATCHes must not lose each other's changes). */
const queues = new Map<string, Promise<unknown>>()

/** Run `fn` once the other updates of `key` have finished. */
export async function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const before = queues.get(key) ?? Promise.resolve()
  const run = before.then(fn, fn)
  const settled = run.then(
    () => undefined,
    () => undefined,
  )
  queues.set(key, settled)
  try {
    return await run
  } finally {
    if (queues.get(key) === settled) queues.delete(key)
  }
}
