/**
 * Files streamed from disk stay open between requests (nginx's `open_file_cache`): a range
 * request for a large file then costs the per-request `stat` and one read, instead of open,
 * fstat, read and close — each of those a round trip through libuv's thread pool.
 *
 * Safety: an entry is used only when this request's `stat` of the path shows the same device and
 * inode as the descriptor. While we hold the descriptor the inode cannot be freed, so its number
 * cannot be reused on that device: equal numbers prove it is the same file. Size and times come
 * from the request's own `stat`, exactly as when the file was opened per request.
 *
 * Bounds: at most {@link openFilesTuning.maxFiles} descriptors kept (plus those in use by responses
 * in flight, as before); one unused for about {@link openFilesTuning.idleMs} is closed, so a deleted
 * or replaced file does not keep its disk space (or, on Windows, its name) for long. A descriptor
 * is never closed while a response still reads from it (reference counts).
 * @module
 */
import { close, fstatSync, open, read, readSync } from 'node:fs'
import type { FileEntry } from './file-cache.js'
import { fsArg } from '../resolver.js'

/** Limits of the process-wide open-file cache. Tests may change them; nothing else should. */
export const openFilesTuning = {
  /** Descriptors kept open while unused. */
  maxFiles: 64,
  /** A descriptor unused for between this and twice this long is closed. */
  idleMs: 2000,
  /**
   * A read that takes longer than this did not come from the page cache (or the thread was
   * preempted): the next read of that file goes to the thread pool. See {@link OpenFile.read}.
   */
  slowReadMs: 1,
}

/** What reading the file found. */
export type ReadResult = number | Promise<number>

/** One open descriptor, shared by every response that streams the same file. */
export class OpenFile {
  readonly dev: number
  readonly ino: number
  #fd: number
  /** Responses reading from it, plus one while it is in the cache. */
  #refs = 1
  /** Used since the last idle sweep. */
  used = true
  /** The next read may run on the event loop (see {@link read}). */
  #fast = false
  /** Reads in the thread pool in a row that finished within `slowReadMs`. */
  #quickInPool = 0
  /** How many of those it takes to read on the event loop again; doubles after each slow read there. */
  #trustAfter = 1

  constructor(fd: number, dev: number, ino: number) {
    this.#fd = fd
    this.dev = dev
    this.ino = ino
  }

  /** Whether the descriptor is still open (it may have been evicted and closed meanwhile). */
  get open(): boolean {
    return this.#fd !== -1
  }

  /** Take a reference; the descriptor stays open until a matching {@link release}. */
  retain(): void {
    this.#refs++
    this.used = true
  }

  /** Drop a reference; the last one closes the descriptor. */
  release(): void {
    if (--this.#refs > 0) return
    const fd = this.#fd
    this.#fd = -1
    if (fd !== -1) close(fd, ignore)
  }

  /** Nobody but the cache holds it. */
  get idle(): boolean {
    return this.#refs === 1
  }

  /**
   * Read up to `length` bytes at `position` into `buffer`; the number of bytes read (0 at the
   * end of the file).
   *
   * Blocking the event loop on a read is a deliberate trade-off. Most reads of a static site come
   * from the page cache, where `readSync` is a memory copy of a few microseconds, while a trip
   * through the thread pool costs two context switches and a wake-up: more CPU than the copy,
   * once per chunk. But a read that has to wait for a disk (cold cache, slow or network file
   * system) would stall every other client. So:
   *
   * - a freshly opened file is read in the thread pool (`fs.read`);
   * - once a read there finished within `slowReadMs`, its pages are very likely cached, and the
   *   next reads run on the event loop (`readSync`), each one timed;
   * - a read on the event loop slower than `slowReadMs` sends the file back to the thread pool,
   *   and it takes twice as many quick reads there as the last time (up to 16) before the event
   *   loop is trusted again.
   *
   * A read in the thread pool is timed from request to callback, so a busy pool or event loop
   * also counts as slow: under load a file may stay in the pool longer than needed, never the
   * other way round. The event loop waits on the disk at most once per file before the file is
   * read in the pool, and ever more rarely if the file keeps being slow.
   */
  read(buffer: Buffer, length: number, position: number): ReadResult {
    if (!this.#fast) return this.readAsync(buffer, length, position)
    const started = performance.now()
    const n = readSync(this.#fd, buffer, 0, length, position)
    if (performance.now() - started > openFilesTuning.slowReadMs) {
      this.#fast = false
      this.#quickInPool = 0
      this.#trustAfter = Math.min(this.#trustAfter * 2, 16)
    }
    return n
  }

  /** Read in the thread pool (the callback API: cheaper than `FileHandle.read`'s promises). */
  readAsync(buffer: Buffer, length: number, position: number): Promise<number> {
    const started = performance.now()
    return new Promise((resolve, reject) => {
      read(this.#fd, buffer, 0, length, position, (error, n) => {
        if (error != null) {
          reject(error)
          return
        }
        if (performance.now() - started > openFilesTuning.slowReadMs) this.#quickInPool = 0
        else if (++this.#quickInPool >= this.#trustAfter) this.#fast = true
        resolve(n)
      })
    })
  }

  /** Whether the next {@link read} runs on the event loop (callers read ahead otherwise). */
  get readsFast(): boolean {
    return this.#fast
  }
}

/** Why an open file could not be had. */
export type OpenFailure = 'missing' | 'changed'

/** Path → open descriptor, least recently used first (a `Map` keeps insertion order). */
class OpenFiles {
  readonly #files = new Map<string, OpenFile>()
  readonly #opening = new Map<string, Promise<OpenFile | 'missing'>>()
  #sweeper: ReturnType<typeof setInterval> | undefined
  #sweepEvery = 0

  /**
   * The open file for `fsPath`, with a reference the caller must {@link OpenFile.release}, if
   * `entry` (this request's stat) shows the same file; otherwise it is opened (in the thread
   * pool). Resolves `'missing'` when it cannot be opened, `'changed'` when what was opened is not
   * the file `entry` describes (another file took the name: look it up again).
   */
  acquire(fsPath: string, entry: FileEntry): OpenFile | Promise<OpenFile | OpenFailure> {
    const known = this.#files.get(fsPath)
    if (known !== undefined) {
      if (known.ino === entry.ino && known.dev === entry.dev) {
        // To the recent end: eviction takes the least recently used first.
        this.#files.delete(fsPath)
        this.#files.set(fsPath, known)
        known.retain()
        return known
      }
      // The path names another file now: this one goes once its readers are done.
      this.forget(fsPath)
    }
    let opening = this.#opening.get(fsPath)
    if (opening === undefined) {
      opening = this.#open(fsPath)
      this.#opening.set(fsPath, opening)
    }
    return opening.then((file) => {
      if (file === 'missing') return file
      // Evicted and closed before this caller got its turn: rare; look the file up again.
      if (!file.open) return 'changed'
      if (file.ino !== entry.ino || file.dev !== entry.dev) return 'changed'
      file.retain()
      return file
    })
  }

  /** The path no longer names a file: close its descriptor once its readers are done. */
  forget(fsPath: string): void {
    const known = this.#files.get(fsPath)
    if (known === undefined) return
    this.#files.delete(fsPath)
    known.release()
  }

  async #open(fsPath: string): Promise<OpenFile | 'missing'> {
    try {
      const fd = await new Promise<number>((resolve, reject) => {
        open(fsArg(fsPath), 'r', (error, descriptor) => {
          if (error == null) resolve(descriptor)
          else reject(error)
        })
      })
      let stats
      try {
        // An fstat of an open descriptor does no I/O on a local file system: no thread-pool trip.
        stats = fstatSync(fd)
      } catch (error) {
        close(fd, ignore)
        throw error
      }
      const file = new OpenFile(fd, stats.dev, stats.ino)
      this.#keep(fsPath, file)
      return file
    } catch {
      // ENOENT, EACCES, EISDIR…: CPython's "File not found".
      return 'missing'
    } finally {
      this.#opening.delete(fsPath)
    }
  }

  #keep(fsPath: string, file: OpenFile): void {
    const files = this.#files
    this.forget(fsPath)
    files.set(fsPath, file)
    if (files.size > openFilesTuning.maxFiles) {
      for (const [key, oldest] of files) {
        if (files.size <= openFilesTuning.maxFiles) break
        files.delete(key)
        oldest.release()
      }
    }
    // A changed idleMs takes effect at the next open, not after the old interval runs out.
    if (this.#sweeper === undefined || this.#sweepEvery !== openFilesTuning.idleMs) {
      clearInterval(this.#sweeper)
      this.#sweepEvery = openFilesTuning.idleMs
      this.#sweeper = setInterval(() => {
        this.#sweep()
      }, openFilesTuning.idleMs)
      // An idle server with open files must still be able to exit.
      this.#sweeper.unref()
    }
  }

  /** Close what nobody used since the last sweep; stop sweeping when nothing is left. */
  #sweep(): void {
    for (const [key, file] of this.#files) {
      if (file.idle && !file.used) {
        this.#files.delete(key)
        file.release()
      } else {
        file.used = false
      }
    }
    if (this.#files.size === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper)
      this.#sweeper = undefined
    }
  }

  /** Descriptors held by the cache (for tests). */
  get size(): number {
    return this.#files.size
  }

  /** Close every descriptor nobody is reading from, and forget the rest (for tests). */
  clear(): void {
    for (const file of this.#files.values()) file.release()
    this.#files.clear()
  }
}

function ignore(): void {
  // Closing a descriptor we opened for reading: nothing useful to do on failure.
}

/** The process-wide open-file cache. */
export const openFiles = new OpenFiles()
