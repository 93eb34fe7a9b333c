/**
 * Atomic file writes: a hidden temporary file in the target's directory, written, fsynced and
 * renamed over the target. Until the rename the old file is untouched; after a failure the
 * temporary file is removed. A reader sees the old bytes or the new ones, never a mix.
 * @module
 */
import { randomBytes } from 'node:crypto'
import type { Stats } from 'node:fs'
import { open, rename, stat, unlink, link, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { TEMP_PREFIX } from './write-path.js'

/** Writes are gathered up to this many bytes per `writev` (fewer system calls than one per socket chunk). */
const BATCH_BYTES = 1024 * 1024
/**
 * After this many bytes written since the last one, an `fdatasync` starts in the background, so
 * the disk writes while the body still arrives and the final fsync only has the tail to flush
 * (Node has no `sync_file_range`; this is the portable way to start write-back early).
 */
const EARLY_SYNC_BYTES = 16 * 1024 * 1024

/** The body passed the size limit: nothing was written. */
export class TooLarge extends Error {
  override readonly name = 'TooLarge'
}

/** A temporary file being filled; {@link commit} or {@link discard} it. */
export class TempFile {
  readonly path: string
  #handle: FileHandle | undefined
  #pending: Buffer[] = []
  #pendingBytes = 0
  /** The `writev` in flight: one at a time, while the next batch gathers from the socket. */
  #writing: Promise<void> | undefined
  /** The background `fdatasync` in flight, if any. */
  #syncing: Promise<void> | undefined
  #unsynced = 0
  /** Bytes taken so far. */
  written = 0

  private constructor(tempPath: string, handle: FileHandle) {
    this.path = tempPath
    this.#handle = handle
  }

  /** A new, empty, hidden file in `directory` (created exclusively: never an existing file). */
  static async create(directory: string, mode?: number): Promise<TempFile> {
    const tempPath = path.join(directory, `${TEMP_PREFIX}${randomBytes(9).toString('base64url')}`)
    // A new file gets the usual 0666 minus the umask; a replaced file keeps its mode.
    const handle = await open(tempPath, 'wx', mode ?? 0o666)
    try {
      if (mode !== undefined) await handle.chmod(mode)
    } catch (error) {
      await handle.close().catch(() => undefined)
      await unlink(tempPath).catch(() => undefined)
      throw error
    }
    return new TempFile(tempPath, handle)
  }

  /**
   * Add bytes; throws {@link TooLarge} once more than `limit` bytes have come. A full batch is
   * handed to the disk without waiting for it, so reading the body goes on meanwhile; only
   * when the next batch is full too does it wait (at most two batches held: memory stays flat).
   */
  async write(chunk: Buffer, limit: number): Promise<void> {
    this.written += chunk.length
    if (this.written > limit) throw new TooLarge(`more than ${limit} bytes`)
    this.#pending.push(chunk)
    this.#pendingBytes += chunk.length
    if (this.#pendingBytes >= BATCH_BYTES) {
      if (this.#writing !== undefined) await this.#writing
      this.#startWrite()
    }
  }

  /** Fill from an async source (a request body or a multipart part), up to `limit` bytes. */
  async fill(source: AsyncIterable<Buffer>, limit: number): Promise<void> {
    for await (const chunk of source) await this.write(chunk, limit)
  }

  /** Start writing the gathered batch (its failure surfaces at the next wait for it). */
  #startWrite(): void {
    const handle = this.#handle
    if (handle === undefined || this.#pending.length === 0) return
    const buffers = this.#pending
    const bytes = this.#pendingBytes
    this.#pending = []
    this.#pendingBytes = 0
    const writing = this.#writeAll(handle, buffers, bytes)
    // Awaited later (next batch, finish or discard); never an unhandled rejection meanwhile.
    writing.catch(() => undefined)
    this.#writing = writing
  }

  async #writeAll(handle: FileHandle, buffers: Buffer[], bytes: number): Promise<void> {
    await handle.writev(buffers)
    this.#unsynced += bytes
    if (this.#unsynced >= EARLY_SYNC_BYTES && this.#syncing === undefined) {
      this.#unsynced = 0
      const syncing = handle.datasync().finally(() => {
        if (this.#syncing === syncing) this.#syncing = undefined
      })
      syncing.catch(() => undefined)
      this.#syncing = syncing
    }
  }

  /** Wait for the write and the background sync in flight (throwing their failure). */
  async #settle(): Promise<void> {
    if (this.#writing !== undefined) await this.#writing
    this.#writing = undefined
    if (this.#syncing !== undefined) await this.#syncing
  }

  /** Write what is left, fsync and close; the file is complete on disk but still has its temporary name. */
  async finish(): Promise<void> {
    const handle = this.#handle
    if (handle === undefined) throw new Error('temporary file already closed')
    await this.#settle()
    this.#startWrite()
    await this.#settle()
    await handle.sync()
    this.#handle = undefined
    await handle.close()
  }

  /** Rename over `target` (replacing what is there) and return the new file's stats. */
  async commit(target: string): Promise<Stats> {
    await this.finish()
    await rename(this.path, target)
    await syncDirectory(path.dirname(target))
    return stat(target)
  }

  /**
   * Put the file at `target` only if nothing is there (a hard link fails with EEXIST instead of
   * replacing, so two uploads of one name cannot both win). Returns false when the name is taken.
   */
  async commitNew(target: string): Promise<boolean> {
    if (this.#handle !== undefined) await this.finish()
    try {
      await link(this.path, target)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw error
    }
    await unlink(this.path)
    await syncDirectory(path.dirname(target))
    return true
  }

  /** Close and remove the temporary file (after a failure); never throws. */
  async discard(): Promise<void> {
    const handle = this.#handle
    this.#handle = undefined
    this.#pending = []
    // Operations in flight finish before the handle closes (their errors no longer matter).
    await this.#settle().catch(() => undefined)
    if (handle !== undefined) await handle.close().catch(() => undefined)
    await unlink(this.path).catch(() => undefined)
  }
}

/** fsync a directory so a rename in it survives a crash; file systems that refuse it are let be. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(directory, 'r')
    await handle.sync()
  } catch {
    // Some file systems (and platforms) cannot fsync a directory; the rename itself is done.
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

/**
 * Write `source` to `target` atomically. On any failure (the client went away, a short body,
 * a full disk, {@link TooLarge}) the target is as it was and no temporary file remains.
 */
export async function writeAtomically(target: string, source: AsyncIterable<Buffer>, limit: number, mode?: number): Promise<Stats> {
  const temp = await TempFile.create(path.dirname(target), mode)
  try {
    await temp.fill(source, limit)
    return await temp.commit(target)
  } catch (error) {
    await temp.discard()
    throw error
  }
}
