/**
 * `DAVRequestHandler`: static's file server plus writes (PUT, multipart POST, MKCOL, DELETE) and
 * WebDAV class 1 (OPTIONS, PROPFIND, PROPPATCH, COPY, MOVE). Every write goes through
 * {@link resolveForWriting} and lands atomically.
 * @module
 */
import { once } from 'node:events'
import { createReadStream, type Stats } from 'node:fs'
import { cp, lstat, mkdir, opendir, rename, rm, stat, unlink } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { SimpleHTTPRequestHandler, isSimpleHTTPError } from '@simplehttp/static'
import busboy from 'busboy'
import { TempFile, TooLarge, writeAtomically } from './internal/atomic.js'
import { PROPS_DIR, PROP_LIMITS, copyProps, entryPath, entrySize, moveFileProps, readProps, removeFileProps, serialized, storedEntries, writeProps } from './internal/dead-props.js'
import { escapeXML, multistatus, parsePropfind, parseProppatch, propfindEntry, selectProps, type DeadProp, type PropChange, type PropRequest, type QName } from './internal/webdav.js'
import { baseName, fileETag, hrefOf, isServerName, resolveForWriting, writeResolver, type WriteTarget } from './internal/write-path.js'
import { DEFAULT_MAX_UPLOAD, checkDAVOptions, type DAVHandlerOptions, type OnDuplicate } from './options.js'

type Target = Extract<WriteTarget, { ok: true }>

/** Largest XML request body (PROPFIND, PROPPATCH) read into memory. */
const MAX_XML_BODY = 64 * 1024

/**
 * CPython's `SimpleHTTPRequestHandler` (from `@simplehttp/static`) made writable. Nothing is
 * written unless an option asks: `upload` (PUT, form POST, MKCOL, COPY), `delete` (DELETE, and
 * MOVE with `upload`), `webdav` (WebDAV class 1 on the same tree).
 *
 * Writes use the same checks as reads and more: no `..`, no NUL, no backslash or drive, no
 * dotfile unless `dotfiles`, no path through a symlink, no reserved path. A file is written to
 * a hidden temporary file beside it, fsynced and renamed into place, so a failed upload leaves
 * the old file exactly as it was.
 *
 * @example
 * const Handler = DAVRequestHandler.withOptions({ directory: 'share', upload: true, webdav: true })
 * const server = new HTTPServer({ host: '127.0.0.1', port: 8000 }, Handler)
 */
export class DAVRequestHandler extends SimpleHTTPRequestHandler {
  /** Allow PUT, form POST, MKCOL and COPY. Default `false`. */
  upload = false
  /** Allow DELETE (and MOVE, with `upload`). Default `false`. */
  delete = false
  /** Answer WebDAV class 1 methods. Default `false`. */
  webdav = false
  /** Largest body accepted for a write, in bytes. Default 1 GiB. */
  maxUpload = DEFAULT_MAX_UPLOAD
  /** What a form upload does over an existing file. Default `'error'` (409). */
  onDuplicate: OnDuplicate = 'error'

  /**
   * A subclass with these settings baked in (static's options plus {@link DAVHandlerOptions}).
   * Options are checked now (throws `SH_ERR_DAV_INVALID_OPTION` or `SH_ERR_STATIC_INVALID_OPTION`).
   */
  static override withOptions<T extends typeof SimpleHTTPRequestHandler>(this: T, options: DAVHandlerOptions): T {
    checkDAVOptions(options)
    const { upload, delete: allowDelete, webdav, maxUpload, onDuplicate, ...staticOptions } = options
    // With uploads on, the rich listing offers a form that posts to the folder.
    const Base = SimpleHTTPRequestHandler.withOptions.call(this, { uploadForm: upload === true, ...staticOptions }) as unknown as typeof DAVRequestHandler
    class Configured extends Base {
      constructor(...args: ConstructorParameters<typeof SimpleHTTPRequestHandler>) {
        super(...args)
        if (upload !== undefined) this.upload = upload
        if (allowDelete !== undefined) this.delete = allowDelete
        if (webdav !== undefined) this.webdav = webdav
        if (maxUpload !== undefined) this.maxUpload = maxUpload
        if (onDuplicate !== undefined) this.onDuplicate = onDuplicate
      }
    }
    Object.defineProperty(Configured, 'name', { value: Base.name })
    return Configured as unknown as T
  }

  // ---- reads: temporary files are never served ---------------------------------------------

  override doGET(): Promise<void> | undefined {
    if (this.#isTempPath()) {
      this.sendError(404, 'File not found')
      return undefined
    }
    return super.doGET()
  }

  override doHEAD(): Promise<void> | undefined {
    if (this.#isTempPath()) {
      this.sendError(404, 'File not found')
      return undefined
    }
    return super.doHEAD()
  }

  /** Refuse a body that is announced too large before the client sends it (no `100 Continue`). */
  override handleExpect100(): boolean {
    if (this.#announcedTooLarge()) {
      this.#refuseTooLarge()
      return false
    }
    return super.handleExpect100()
  }

  // ---- writes -------------------------------------------------------------------------------

  /** The methods this handler answers, for `Allow` and `OPTIONS`. */
  allowedMethods(): string[] {
    const methods = ['GET', 'HEAD', 'OPTIONS']
    if (this.upload) methods.push('PUT', 'POST', 'MKCOL')
    if (this.delete) methods.push('DELETE')
    if (this.webdav) {
      methods.push('PROPFIND', 'PROPPATCH')
      if (this.upload) methods.push('COPY')
      if (this.upload && this.delete) methods.push('MOVE')
    }
    return methods
  }

  /** `OPTIONS`: `Allow`, and `DAV: 1` when WebDAV is on (class 1 only: no locks are claimed). */
  doOPTIONS(): void {
    this.sendResponse(200)
    this.sendHeader('Allow', this.allowedMethods().join(', '))
    if (this.webdav) {
      this.sendHeader('DAV', '1')
      // Windows' WebDAV client looks for this before it talks WebDAV.
      this.sendHeader('MS-Author-Via', 'DAV')
    }
    this.sendHeader('Content-Length', '0')
    this.endHeaders()
  }

  /** `PUT`: create (`201`) or replace (`204`) a file atomically, with its new `ETag`. */
  async doPUT(): Promise<void> {
    if (!this.#allowed(this.upload)) return
    if (this.#announcedTooLarge()) {
      this.#refuseTooLarge()
      return
    }
    const target = await this.#resolve(this.path)
    if (target === undefined) return
    if (target.segments.length === 0 || target.trailingSlash || target.stats?.isDirectory() === true) {
      this.#refuse(405, 'Cannot PUT to a directory')
      return
    }
    if (!target.parentIsDirectory) {
      this.#refuse(409, 'Parent directory does not exist')
      return
    }
    if (!this.#preconditionsHold(target.stats)) {
      this.#refuse(412)
      return
    }
    const existed = target.stats !== undefined
    let stats: Stats
    try {
      stats = await writeAtomically(target.fsPath, this.rfile, this.maxUpload, existed ? (target.stats).mode & 0o7777 : undefined)
      // A new file starts with no properties, whatever a file of that name once had. A replaced
      // one keeps them (its content changed, not what it is).
      if (!existed) await removeFileProps(target.fsPath)
    } catch (error) {
      this.#writeFailed(error)
      return
    }
    this.sendResponse(existed ? 204 : 201)
    this.sendHeader('ETag', fileETag(stats))
    if (!existed) this.sendHeader('Location', hrefOf(target.segments, false))
    this.sendHeader('Content-Length', '0')
    this.endHeaders()
  }

  /** `POST` of `multipart/form-data` to a directory: store every file part in it. */
  async doPOST(): Promise<void> {
    if (!this.#allowed(this.upload)) return
    const type = this.headers.get('content-type') ?? ''
    if (!/^multipart\/form-data\s*;/i.test(type)) {
      this.#refuse(415, 'Only multipart/form-data uploads to a directory are accepted')
      return
    }
    if (this.#announcedTooLarge()) {
      this.#refuseTooLarge()
      return
    }
    const target = await this.#resolve(this.path)
    if (target === undefined) return
    if (target.stats?.isDirectory() !== true) {
      this.#refuse(404, 'No such directory')
      return
    }
    const outcome = await this.#receiveForm(target, type)
    if (typeof outcome === 'number') {
      if (outcome === 413) this.#refuseTooLarge()
      else this.#refuse(outcome)
      return
    }
    const directoryHref = hrefOf(target.segments, true)
    if ((this.headers.get('accept') ?? '').includes('text/html')) {
      // A browser form: back to the listing, which now shows the files (post/redirect/get).
      this.sendResponse(303)
      this.sendHeader('Location', directoryHref)
      this.sendHeader('Content-Length', '0')
      this.endHeaders()
      return
    }
    const body = Buffer.from(JSON.stringify({ files: outcome.map((name) => directoryHref + hrefOf([name], false).slice(1)) }) + '\n')
    this.sendResponse(201)
    this.sendHeader('Content-Type', 'application/json')
    this.sendHeader('Content-Length', String(body.length))
    this.endHeaders()
    await this.wfile.write(body)
  }

  /** `MKCOL`: create one directory (RFC 4918 §9.3). */
  async doMKCOL(): Promise<void> {
    if (!this.#allowed(this.upload)) return
    // A body (an extended MKCOL) is not understood: 415, as the RFC asks.
    if (this.#hasBody()) {
      this.#refuse(415, 'MKCOL with a body is not supported')
      return
    }
    const target = await this.#resolve(this.path)
    if (target === undefined) return
    if (target.stats !== undefined) {
      this.#refuse(405, 'Already exists')
      return
    }
    if (!target.parentIsDirectory) {
      this.#refuse(409, 'Parent directory does not exist')
      return
    }
    try {
      await mkdir(target.fsPath)
    } catch (error) {
      this.#writeFailed(error)
      return
    }
    this.sendResponse(201)
    this.sendHeader('Content-Length', '0')
    this.endHeaders()
  }

  /**
   * `DELETE`: a file, or an empty directory; a non-empty directory only with `Depth: infinity`
   * (and never one holding hidden files when dotfiles are off).
   */
  async doDELETE(): Promise<void> {
    if (!this.#allowed(this.delete)) return
    const target = await this.#resolve(this.path, true)
    if (target === undefined) return
    if (target.segments.length === 0) {
      this.#refuse(403, 'The root cannot be deleted')
      return
    }
    const stats = target.stats
    if (stats === undefined) {
      this.#refuse(404, 'File not found')
      return
    }
    try {
      if (!stats.isDirectory()) {
        await unlink(target.fsPath)
        await removeFileProps(target.fsPath)
      } else if (await isEmptyDirectory(target.fsPath)) {
        // Empty for the client; it may still hold its own property store.
        await rm(target.fsPath, { recursive: true })
      } else {
        // RFC 4918 §9.6.1: a WebDAV DELETE of a collection acts as Depth: infinity, so WebDAV
        // clients send none; a plain --delete share asks for it explicitly.
        const depth = this.headers.get('depth') ?? (this.webdav ? 'infinity' : undefined)
        if (depth?.trim().toLowerCase() !== 'infinity') {
          this.#refuse(409, 'Directory not empty (send Depth: infinity to delete it with its contents)')
          return
        }
        if (!this.dotfiles && (await holdsHidden(target.fsPath))) {
          this.#refuse(403, 'Directory holds hidden files')
          return
        }
        await rm(target.fsPath, { recursive: true })
      }
    } catch (error) {
      this.#writeFailed(error)
      return
    }
    this.sendResponse(204)
    this.sendHeader('Content-Length', '0')
    this.endHeaders()
  }

  // ---- WebDAV -------------------------------------------------------------------------------

  /** `PROPFIND` with `Depth: 0` or `1`; `infinity` is refused with 403 (RFC 4918 §9.1). */
  async doPROPFIND(): Promise<void> {
    if (!this.#allowed(this.webdav)) return
    const depthHeader = (this.headers.get('depth') ?? 'infinity').trim().toLowerCase()
    if (depthHeader !== '0' && depthHeader !== '1') {
      // RFC 4918 §9.1: a server may refuse Depth: infinity; the precondition names why.
      return this.#sendXML(403, '<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>\n')
    }
    const xml = await this.#readXML()
    if (xml === undefined) return
    const request = parsePropfind(xml)
    if (request === undefined) {
      this.#refuse(400, 'Malformed PROPFIND body')
      return
    }
    const target = await this.#resolveForReading()
    if (target === undefined) return
    const rootStats = target.stats as Stats
    const entries: string[] = [this.#describe(target.fsPath, target.segments, rootStats, request, await this.#deadProps(target.fsPath, rootStats, request))]
    if (depthHeader === '1' && rootStats.isDirectory()) {
      // Which of the children have stored properties: one readdir rather than one open per child.
      const stored = request.kind === 'props' && request.names.every((n) => n.ns === 'DAV:') ? new Set<string>() : await storedEntries(target.fsPath)
      for (const child of await this.#children(target.fsPath)) {
        const childPath = path.join(target.fsPath, child.name)
        const hasEntry = child.stats.isDirectory() || stored.has(path.basename(entryPath(childPath, false)))
        const dead = hasEntry ? await this.#deadProps(childPath, child.stats, request) : []
        entries.push(this.#describe(childPath, [...target.segments, child.name], child.stats, request, dead))
      }
    }
    return this.#sendXML(207, multistatus(entries))
  }

  /**
   * `PROPPATCH` (RFC 4918 §9.2): set and remove dead properties, in document order, all or
   * nothing. Live (`DAV:`) properties are protected (403). Storing needs `upload`: a read-only
   * share refuses every change with 403. Bounds (see `PROP_LIMITS`) answer 507 with the reason.
   */
  async doPROPPATCH(): Promise<void> {
    if (!this.#allowed(this.webdav)) return
    const xml = await this.#readXML()
    if (xml === undefined) return
    const changes = parseProppatch(xml)
    if (changes === undefined) {
      this.#refuse(400, 'Malformed PROPPATCH body')
      return
    }
    const target = await this.#resolveForReading()
    if (target === undefined) return
    const stats = target.stats as Stats
    const href = hrefOf(target.segments, stats.isDirectory())
    if (!this.upload) {
      const refused = changes.map((c) => ({ name: c.name, status: 403, reason: 'this share is read-only (properties are stored only with uploads on)' }))
      return this.#sendXML(207, multistatus([propfindEntry(href, [], refused)]))
    }
    let outcome: { name: QName; status: number; reason?: string | undefined }[]
    try {
      outcome = await serialized(entryPath(target.fsPath, stats.isDirectory()), () => this.#patch(target.fsPath, stats.isDirectory(), changes))
    } catch (error) {
      this.#writeFailed(error)
      return
    }
    const succeeded = outcome.filter((o) => o.status === 200).map((o) => ({ name: o.name, value: '' }))
    return this.#sendXML(207, multistatus([propfindEntry(href, succeeded, outcome.filter((o) => o.status !== 200))]))
  }

  /** Apply a PROPPATCH to the stored set; every change's status (all 200, or the failures and 424 for the rest). */
  async #patch(fsPath: string, isDirectory: boolean, changes: readonly PropChange[]): Promise<{ name: QName; status: number; reason?: string | undefined }[]> {
    const props = new Map<string, DeadProp>()
    for (const prop of await readProps(fsPath, isDirectory)) props.set(propKey(prop.name), prop)
    const failures = new Map<number, { status: number; reason: string }>()
    changes.forEach((change, i) => {
      const { name } = change
      if (name.ns === 'DAV:') {
        failures.set(i, { status: 403, reason: 'DAV: properties are live and protected' })
        return
      }
      if (Buffer.byteLength(name.ns) + Buffer.byteLength(name.local) > PROP_LIMITS.nameBytes) {
        failures.set(i, { status: 507, reason: `property name longer than ${PROP_LIMITS.nameBytes} bytes` })
        return
      }
      if (change.action === 'remove') {
        props.delete(propKey(name))
        return
      }
      if (Buffer.byteLength(change.value) > PROP_LIMITS.valueBytes) {
        failures.set(i, { status: 507, reason: `property value larger than ${PROP_LIMITS.valueBytes} bytes` })
        return
      }
      props.set(propKey(name), { name, value: change.value })
    })
    if (failures.size === 0) {
      const all = [...props.values()]
      let reason: string | undefined
      if (all.length > PROP_LIMITS.count) reason = `more than ${PROP_LIMITS.count} properties on one resource`
      else if (entrySize(fsPath, isDirectory, all) > PROP_LIMITS.resourceBytes) reason = `properties of one resource larger than ${PROP_LIMITS.resourceBytes} bytes`
      if (reason !== undefined) {
        // The bound is the resource's, not one change's: every set shares the blame.
        changes.forEach((change, i) => {
          if (change.action === 'set') failures.set(i, { status: 507, reason })
        })
      }
    }
    if (failures.size > 0) {
      return changes.map((change, i) => {
        const failure = failures.get(i)
        return failure === undefined ? { name: change.name, status: 424 } : { name: change.name, ...failure }
      })
    }
    await writeProps(fsPath, isDirectory, [...props.values()])
    return changes.map((change) => ({ name: change.name, status: 200 }))
  }

  /** `COPY` (RFC 4918 §9.8): a file or a directory tree, to `Destination`, honouring `Overwrite`. */
  async doCOPY(): Promise<void> {
    if (!this.#allowed(this.webdav && this.upload)) return
    await this.#copyOrMove(false)
  }

  /** `MOVE` (RFC 4918 §9.9): rename within the tree, honouring `Overwrite`. */
  async doMOVE(): Promise<void> {
    if (!this.#allowed(this.webdav && this.upload && this.delete)) return
    await this.#copyOrMove(true)
  }

  async #copyOrMove(move: boolean): Promise<void> {
    // The source exists already: a name Windows could not hold may still be moved away.
    const source = await this.#resolve(this.path, true)
    if (source === undefined) return
    if (source.stats === undefined) {
      this.#refuse(404, 'File not found')
      return
    }
    if (source.segments.length === 0) {
      this.#refuse(403, 'The root cannot be copied or moved')
      return
    }
    const destinationHeader = this.headers.get('destination')
    if (destinationHeader === undefined) {
      this.#refuse(400, 'Destination header missing')
      return
    }
    if (!this.#sameServer(destinationHeader)) {
      // RFC 4918 §9.8.4/§9.9.4: a destination on another server is 502; we never act on it.
      this.#refuse(502, 'Destination is on another server')
      return
    }
    const destination = await this.#resolve(destinationHeader)
    if (destination === undefined) return
    if (destination.segments.length === 0) {
      this.#refuse(403, 'The root cannot be replaced')
      return
    }
    const depth = (this.headers.get('depth') ?? 'infinity').trim().toLowerCase()
    if (depth !== 'infinity' && (move || depth !== '0')) {
      this.#refuse(400, 'Depth must be infinity (or 0 for COPY)')
      return
    }
    const from = source.fsPath
    const to = destination.fsPath
    // Onto itself, or a directory into itself: it would never finish (or destroy the source).
    const rel = path.relative(from, to)
    if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
      this.#refuse(403, 'Source and destination overlap')
      return
    }
    if (!destination.parentIsDirectory) {
      this.#refuse(409, 'Destination parent does not exist')
      return
    }
    const overwrite = (this.headers.get('overwrite') ?? 'T').trim().toUpperCase()
    if (overwrite !== 'T' && overwrite !== 'F') {
      this.#refuse(400, 'Overwrite must be T or F')
      return
    }
    const existed = destination.stats !== undefined
    if (existed && overwrite === 'F') {
      this.#refuse(412, 'Destination exists and Overwrite is F')
      return
    }
    if (source.stats.isDirectory() && !this.dotfiles && (await holdsHidden(from))) {
      this.#refuse(403, 'Directory holds hidden files')
      return
    }
    // Properties go with the resource: a directory's store is inside it (carried by rename and
    // cp); a file's entry is moved or copied by hand.
    const isDirectory = source.stats.isDirectory()
    try {
      if (existed) {
        await rm(to, { recursive: true })
        if (!destination.stats.isDirectory()) await removeFileProps(to)
      }
      if (move) {
        await rename(from, to)
        if (!isDirectory) await moveFileProps(from, to)
      } else if (isDirectory) {
        if (depth === '0') {
          await mkdir(to)
          await copyProps(from, to, true)
        } else {
          await cp(from, to, { recursive: true, errorOnExist: true, force: false, verbatimSymlinks: true })
        }
      } else {
        await writeAtomically(to, createReadStream(from), Number.MAX_SAFE_INTEGER, source.stats.mode & 0o7777)
        await copyProps(from, to, false)
      }
    } catch (error) {
      this.#writeFailed(error)
      return
    }
    this.sendResponse(existed ? 204 : 201)
    this.sendHeader('Content-Length', '0')
    this.endHeaders()
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** A method that is switched off answers 405 with the methods that are on. */
  #allowed(enabled: boolean): boolean {
    if (enabled) return true
    this.closeConnection = this.closeConnection || this.#hasBody()
    this.sendError(405)
    return false
  }

  override sendError(code: number, message?: string, explain?: string): void {
    // 405 must say what is allowed (RFC 9110 §15.5.6): sent through the error page's headers.
    if (code === 405) this.#pendingAllow = true
    super.sendError(code, message, explain)
  }

  #pendingAllow = false

  override endHeaders(): void {
    if (this.#pendingAllow) {
      this.#pendingAllow = false
      this.sendHeader('Allow', this.allowedMethods().join(', '))
    }
    super.endHeaders()
  }

  #refuse(code: number, message?: string): void {
    // An unread body is not worth draining after a refusal of a write.
    if (this.#hasBody() && !this.rfile.complete) this.closeConnection = true
    this.sendError(code, message)
  }

  #hasBody(): boolean {
    const length = this.headers.get('content-length')
    return (length !== undefined && length.trim() !== '0') || this.headers.has('transfer-encoding')
  }

  #announcedTooLarge(): boolean {
    const length = Number(this.headers.get('content-length') ?? '0')
    return length > this.maxUpload
  }

  #refuseTooLarge(): void {
    this.closeConnection = true
    this.sendError(413, `Upload larger than ${this.maxUpload} bytes`)
  }

  /** A `Destination` that is a path, or an http(s) URL whose authority is this request's `Host`. */
  #sameServer(destination: string): boolean {
    // `//host/x` names another host; anything else without a scheme is the resolver's to judge.
    if (destination.startsWith('//')) return false
    if (!/^[a-z][a-z0-9+.-]*:/i.test(destination)) return true
    const authority = /^https?:\/\/([^/?#]*)/i.exec(destination)?.[1]
    const host = this.headers.get('host')?.trim().toLowerCase()
    return host !== undefined && authority?.toLowerCase() === host
  }

  #isTempPath(): boolean {
    let decoded = this.path
    try {
      decoded = decodeURIComponent(this.path.split('?', 1)[0] ?? '')
    } catch {
      return false
    }
    return decoded.split('/').some((s) => isServerName(s))
  }

  async #resolve(target: string, reading = false): Promise<Target | undefined> {
    const resolved = await resolveForWriting(writeResolver(this.directory, this.dotfiles), target, {
      reading,
      isReserved: this.liveReload === undefined ? undefined : (p) => this.liveReload?.isReserved(p) === true,
    })
    if (resolved.ok) return resolved
    this.#refuse(resolved.status, resolved.status === 403 ? 'Forbidden path' : undefined)
    return undefined
  }

  /** The request path for PROPFIND/PROPPATCH: the write checks, and it must exist (404 otherwise). */
  async #resolveForReading(): Promise<Target | undefined> {
    const resolved = await resolveForWriting(writeResolver(this.directory, this.dotfiles), this.path, { reading: true })
    if (!resolved.ok) {
      // Reads answer 404 for what they refuse, so a probe learns nothing about what exists.
      this.sendError(resolved.status === 400 ? 400 : 404, resolved.status === 400 ? undefined : 'File not found')
      return undefined
    }
    if (resolved.stats === undefined) {
      this.sendError(404, 'File not found')
      return undefined
    }
    return resolved
  }

  /** `If-Match` / `If-None-Match` against the file about to be replaced (RFC 9110 §13.1.1-2). */
  #preconditionsHold(stats: Stats | undefined): boolean {
    const etag = stats === undefined ? undefined : fileETag(stats)
    const ifMatch = this.headers.get('if-match')
    if (ifMatch !== undefined && !matchesList(ifMatch, etag)) return false
    const ifNoneMatch = this.headers.get('if-none-match')
    if (ifNoneMatch !== undefined && matchesList(ifNoneMatch, etag)) return false
    return true
  }

  /** Answer a failed write; the temporary file is gone already. */
  #writeFailed(error: unknown): void {
    if (error instanceof TooLarge) {
      this.#refuseTooLarge()
      return
    }
    const code = isSimpleHTTPError(error) ? error.code : (error as NodeJS.ErrnoException).code
    // The client went away or stalled: the handler answers (or not) as for any body.
    if (code === 'SH_ERR_HANDLER_CONNECTION_CLOSED' || code === 'SH_ERR_HANDLER_BODY_TIMEOUT' || (code ?? '').startsWith('SH_ERR_PARSE_')) throw error
    this.closeConnection = true
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      this.sendError(507)
      return
    }
    if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR' || code === 'EISDIR') {
      this.sendError(409)
      return
    }
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      this.sendError(403)
      return
    }
    throw error
  }

  /** Receive a form; the stored names, or the status to answer. Nothing is stored unless every part is fine. */
  async #receiveForm(directory: Target, contentType: string): Promise<string[] | number> {
    const limit = this.maxUpload
    let failure: number | undefined
    const parts: { name: string; temp: TempFile | undefined; done: Promise<void> }[] = []
    const fail = (status: number): void => {
      failure ??= status
    }
    let parser: busboy.Busboy
    try {
      parser = busboy({
        headers: { 'content-type': contentType },
        defParamCharset: 'utf8',
        // The raw name, so that `..` or `a/..` is refused rather than silently emptied; baseName() reduces it.
        preservePath: true,
        limits: { files: 1000, fields: 1000, parts: 2000, fieldSize: 64 * 1024, headerPairs: 100, fileSize: limit },
      })
    } catch {
      return 400
    }
    parser.on('file', (_field: string, stream: Readable, info: busboy.FileInfo) => {
      const filename = info.filename ?? ''
      const name = baseName(filename)
      const entry: (typeof parts)[number] = { name: name ?? '', temp: undefined, done: Promise.resolve() }
      if (failure !== undefined || name === undefined) {
        if (name === undefined && filename !== '') fail(400)
        stream.resume()
        return
      }
      entry.done = (async () => {
        const checked = await resolveForWriting(writeResolver(this.directory, this.dotfiles), hrefOf([...directory.segments, name], false))
        if (!checked.ok || checked.stats?.isDirectory() === true) {
          fail(checked.ok ? 409 : checked.status)
          stream.resume()
          return
        }
        if (checked.stats !== undefined && this.onDuplicate === 'error') {
          fail(409)
          stream.resume()
          return
        }
        stream.on('limit', () => {
          fail(413)
        })
        const temp = await TempFile.create(directory.fsPath)
        entry.temp = temp
        await temp.fill(stream as AsyncIterable<Buffer>, limit)
      })().catch((error: unknown) => {
        fail(error instanceof TooLarge ? 413 : (error as NodeJS.ErrnoException).code === 'ENOSPC' ? 507 : 500)
        stream.resume()
      })
      parts.push(entry)
    })
    parser.on('error', () => {
      fail(400)
    })
    const finished = once(parser, 'close').catch(() => undefined)
    let received = 0
    try {
      for await (const chunk of this.rfile) {
        received += chunk.length
        if (received > limit) {
          fail(413)
          break
        }
        if (failure !== undefined) break
        if (!parser.write(chunk)) await Promise.race([once(parser, 'drain'), finished])
      }
      if (failure === undefined) {
        parser.end()
        await finished
      }
    } catch (error) {
      parser.destroy()
      await Promise.all(parts.map((p) => p.done))
      await discardAll(parts)
      throw error
    }
    if (failure !== undefined) parser.destroy()
    await Promise.all(parts.map((p) => p.done))
    if (failure === undefined && parts.length === 0) failure = 400
    if (failure !== undefined) {
      this.closeConnection = this.closeConnection || !this.rfile.complete
      await discardAll(parts)
      return failure
    }
    const stored: string[] = []
    try {
      for (const part of parts) {
        const temp = part.temp as TempFile
        const target = path.join(directory.fsPath, part.name)
        if (this.onDuplicate === 'overwrite') {
          await temp.commit(target)
          stored.push(part.name)
          continue
        }
        let placed: string | undefined
        for (let n = 0; n < 1000 && placed === undefined; n++) {
          const name = n === 0 ? part.name : numbered(part.name, n)
          if (await temp.commitNew(path.join(directory.fsPath, name))) {
            placed = name
            // A new file starts with no properties, whatever a file of that name once had.
            await removeFileProps(path.join(directory.fsPath, name))
          }
          else if (this.onDuplicate === 'error') break
        }
        if (placed === undefined) {
          await discardAll(parts)
          return 409
        }
        stored.push(placed)
      }
    } catch (error) {
      await discardAll(parts)
      throw error
    }
    return stored
  }

  async #readXML(): Promise<string | undefined> {
    const length = Number(this.headers.get('content-length') ?? '0')
    if (length > MAX_XML_BODY) {
      this.closeConnection = true
      this.sendError(413, 'XML body too large')
      return undefined
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of this.rfile) {
      size += chunk.length
      if (size > MAX_XML_BODY) {
        this.closeConnection = true
        this.sendError(413, 'XML body too large')
        return undefined
      }
      chunks.push(chunk)
    }
    return Buffer.concat(chunks).toString('utf8')
  }

  async #children(directory: string): Promise<{ name: string; stats: Stats }[]> {
    const out: { name: string; stats: Stats }[] = []
    const dir = await opendir(directory)
    for await (const entry of dir) {
      const name = entry.name
      if (isServerName(name) || (!this.dotfiles && name.startsWith('.'))) continue
      let stats: Stats
      try {
        stats = await lstat(path.join(directory, name))
      } catch {
        continue
      }
      if (stats.isSymbolicLink()) {
        // A link is listed as what it points to only when that stays inside the root.
        if (!this.followSymlinks) continue
        try {
          stats = await stat(path.join(directory, name))
        } catch {
          continue
        }
      }
      out.push({ name, stats })
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  #describe(fsPath: string, segments: readonly string[], stats: Stats, request: PropRequest, dead: readonly DeadProp[]): string {
    const directory = stats.isDirectory()
    const type = directory ? undefined : this.guessType(fsPath)
    const { found, failed } = selectProps(liveProps(stats, segments, type), dead, request)
    return propfindEntry(hrefOf(segments, directory), found, failed)
  }

  /** The dead properties a PROPFIND needs (none are read when it asks only for `DAV:` ones). */
  async #deadProps(fsPath: string, stats: Stats, request: PropRequest): Promise<DeadProp[]> {
    if (request.kind === 'props' && request.names.every((n) => n.ns === 'DAV:')) return []
    return readProps(fsPath, stats.isDirectory())
  }

  async #sendXML(code: number, xml: string): Promise<void> {
    const body = Buffer.from(xml)
    this.sendResponse(code)
    this.sendHeader('Content-Type', 'application/xml; charset=utf-8')
    this.sendHeader('Content-Length', String(body.length))
    this.endHeaders()
    if (this.command !== 'HEAD') await this.wfile.write(body)
  }
}

function propKey(name: QName): string {
  return `{${name.ns}}${name.local}`
}

/** RFC 4918's live properties of a file or directory. */
function liveProps(stats: Stats, segments: readonly string[], type: string | undefined): Map<string, string> {
  const props = new Map<string, string>()
  const directory = stats.isDirectory()
  props.set('resourcetype', directory ? '<D:collection/>' : '')
  props.set('displayname', escapeXML(segments[segments.length - 1] ?? ''))
  props.set('getlastmodified', new Date(stats.mtimeMs).toUTCString())
  props.set('creationdate', new Date(stats.birthtimeMs > 0 ? stats.birthtimeMs : stats.ctimeMs).toISOString())
  if (!directory) {
    props.set('getcontentlength', String(stats.size))
    props.set('getetag', escapeXML(fileETag(stats)))
    if (type !== undefined) props.set('getcontenttype', escapeXML(type))
  }
  return props
}

/** Whether an `If-Match`/`If-None-Match` value matches the current ETag (`undefined`: no file). */
function matchesList(value: string, etag: string | undefined): boolean {
  if (value.trim() === '*') return etag !== undefined
  if (etag === undefined) return false
  return value.split(',').some((tag) => tag.trim() === etag)
}

/** `name (n).ext`, as browsers name a second download of one file. */
function numbered(name: string, n: number): string {
  const dot = name.lastIndexOf('.')
  return dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`
}

/** Empty as a client sees it: nothing but the directory's own property store. */
async function isEmptyDirectory(directory: string): Promise<boolean> {
  const dir = await opendir(directory)
  try {
    for (let entry = await dir.read(); entry != null; entry = await dir.read()) {
      if (entry.name !== PROPS_DIR) return false
    }
    return true
  } finally {
    await dir.close().catch(() => undefined)
  }
}

/** Whether a tree holds a dotfile anywhere (recursive deletes and copies would touch hidden files). */
async function holdsHidden(directory: string): Promise<boolean> {
  const dir = await opendir(directory)
  for await (const entry of dir) {
    // The property store is the server's, not a hidden file of the user's.
    if (entry.name === PROPS_DIR) continue
    if (entry.name.startsWith('.')) return true
    if (entry.isDirectory() && (await holdsHidden(path.join(directory, entry.name)))) return true
  }
  return false
}

async function discardAll(parts: readonly { readonly temp: TempFile | undefined }[]): Promise<void> {
  for (const part of parts) if (part.temp !== undefined) await part.temp.discard()
}
