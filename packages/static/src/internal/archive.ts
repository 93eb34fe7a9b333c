/**
 * Folder downloads: a ZIP (store mode, ZIP64 where needed, exact length known before the first
 * byte) and a gzipped tar (ustar with pax headers), both streamed from the files with
 * back-pressure, one chunk at a time. A file that changed or vanished since the folder was
 * walked makes the body reject with `SH_ERR_STATIC_FILE_CHANGED`, so the adapter cuts the
 * connection instead of finishing a corrupt archive.
 *
 * Written here rather than taken from a library: the ZIP writer must know its exact length in
 * advance (store mode, sizes from the walk), and both writers must check every file against the
 * walk while they read it. A ustar/pax writer is a header function; tar-stream would add a
 * stream layer for the same bytes.
 *
 * @see https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (ZIP, §4.3, §4.5.3)
 * @see https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html (ustar and pax)
 * @module
 */
import { close, fstatSync, open, type Stats } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { constants as zlibConstants, crc32 as zlibCrc32, createGzip } from 'node:zlib'
import { StaticError } from '../errors.js'
import { READ_CHUNK_SIZE, copyFileSpan, type BodySource, type BodyWriter, type Flushed } from '../response-body.js'
import { fsArg } from '../resolver.js'
import { fileChunks, zlibSource } from './file-stream.js'
import { readVisibleEntries, type VisibleEntry } from './entries.js'
import { OpenFile } from './open-files.js'
import type { ListingPolicy } from './listing.js'

/** The archive formats, as `?download=` names them. */
export type ArchiveFormat = 'zip' | 'tar.gz'

/** One member of an archive: a directory (name ends with `/`) or a file to copy. */
export interface ArchiveMember {
  /** Path inside the archive, `/`-separated, relative. */
  readonly name: string
  readonly isDirectory: boolean
  /** The file's stat at walk time: what it must still be while it is copied. */
  readonly entry: VisibleEntry
}

/**
 * One path component as an archive member name. A backslash is a separator to Windows
 * extractors (and to bsdtar reading a ZIP): a file named `a\..\..\x` must not unpack outside the
 * target folder, and the ZIP spec (APPNOTE 4.4.17) allows only `/`. A leading `C:` would name
 * a drive. Both become `_`.
 */
export function memberComponent(name: string): string {
  return name.replaceAll('\\', '_').replace(/^([A-Za-z]):/, '$1_')
}

/**
 * Walk `dir` depth-first, names in code-point order, with the listing's visibility rules.
 * Symlinks to files are archived as the file; symlinks to directories are left out (a link back
 * up the tree would never end). A directory that cannot be read is archived empty. `undefined`
 * when the folder has more than `limit` members (the walk stops there): the walk holds every
 * member's name and stat until the archive is sent (about 400 bytes each).
 */
export async function collectMembers(
  dir: string,
  isRoot: boolean,
  policy: ListingPolicy,
  limit: number,
): Promise<ArchiveMember[] | undefined> {
  const members: ArchiveMember[] = []
  const walk = async (fsDir: string, prefix: string, root: boolean): Promise<boolean> => {
    let entries: VisibleEntry[]
    try {
      entries = (await readVisibleEntries(fsDir, root, policy)).entries
    } catch (error) {
      if (root && prefix === '') throw error
      return true
    }
    if (members.length + entries.length > limit) return false
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const name = prefix + memberComponent(entry.name)
      if (entry.isDirectory) {
        if (entry.type === 'symlink') continue
        members.push({ name: name + '/', isDirectory: true, entry })
        if (!(await walk(entry.fsPath, name + '/', false))) return false
      } else {
        members.push({ name, isDirectory: false, entry })
      }
    }
    return true
  }
  return (await walk(dir, '', isRoot)) ? members : undefined
}

function changed(name: string, why: string): StaticError {
  return new StaticError('SH_ERR_STATIC_FILE_CHANGED', `${name} ${why} while the folder was being archived`)
}

/** One member's bytes, checked against the walk while they are read (see {@link fileChunks}). */
function memberChunks(member: ArchiveMember, flushed: Flushed | undefined): AsyncGenerator<Buffer> {
  return fileChunks(member.entry.fsPath, member.entry, (why) => changed(member.name, why), flushed)
}

// ---- ZIP ----------------------------------------------------------------------------------------

const U32_MAX = 0xffffffff
const U16_MAX = 0xffff
const FLAG_DATA_DESCRIPTOR = 0x0008
const FLAG_UTF8 = 0x0800
/** "Made by" Unix (3), spec version 4.5 (ZIP64): external attributes carry the mode. */
const MADE_BY = (3 << 8) | 45
const EXTRA_ZIP64 = 0x0001
/** Info-ZIP's extended timestamp: the mtime in UTC seconds (DOS times have no zone). */
const EXTRA_TIMESTAMP = 0x5455

/** When to use ZIP64 records: only where a field overflows, or everywhere (for tests of readers). */
export type Zip64Mode = 'auto' | 'always'

/** Where one member goes. Kept small (the name's bytes and DOS time are made when written): one per member is held until the end. */
interface ZipLayout {
  readonly member: ArchiveMember
  readonly nameLength: number
  readonly zip64: boolean
  readonly offset: number
}

/** DOS date and time fields (2-second resolution, in UTC; the extended timestamp has the exact second). */
function dosDateTime(mtimeMs: number): { time: number; date: number } {
  const d = new Date(mtimeMs)
  const year = d.getUTCFullYear()
  if (year < 1980) return { time: 0, date: (1 << 5) | 1 }
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((Math.min(year, 2107) - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  }
}

function unixSeconds(mtimeMs: number): number {
  return Math.max(0, Math.min(U32_MAX, Math.floor(mtimeMs / 1000)))
}

const LOCAL_HEADER = 30
const CENTRAL_HEADER = 46
const TIMESTAMP_EXTRA = 9
const DESCRIPTOR = 16
const DESCRIPTOR_64 = 24
const EOCD = 22
const EOCD_64 = 56
const LOCATOR_64 = 20

function localLength(item: ZipLayout): number {
  return LOCAL_HEADER + item.nameLength + TIMESTAMP_EXTRA + (item.zip64 ? 20 : 0)
}

function dataLength(item: ZipLayout): number {
  if (item.member.isDirectory) return 0
  return item.member.entry.size + (item.zip64 ? DESCRIPTOR_64 : DESCRIPTOR)
}

/** The ZIP64 extra field of a central header: only the fields that overflowed, in the spec's order. */
function centralZip64Fields(item: ZipLayout): number[] {
  const size = item.member.isDirectory ? 0 : item.member.entry.size
  const fields: number[] = []
  if (item.zip64 || size >= U32_MAX) fields.push(size, size)
  if (item.zip64 || item.offset >= U32_MAX) fields.push(item.offset)
  return fields
}

function centralLength(item: ZipLayout): number {
  const fields = centralZip64Fields(item).length
  return CENTRAL_HEADER + item.nameLength + TIMESTAMP_EXTRA + (fields > 0 ? 4 + 8 * fields : 0)
}

function localHeader(item: ZipLayout): Buffer {
  const { member, zip64 } = item
  const nameBytes = Buffer.from(member.name, 'utf8')
  const { time, date } = dosDateTime(member.entry.mtimeMs)
  const out = Buffer.alloc(localLength(item))
  const size = member.isDirectory ? 0 : member.entry.size
  out.writeUInt32LE(0x04034b50, 0)
  out.writeUInt16LE(zip64 ? 45 : member.isDirectory ? 20 : 10, 4)
  out.writeUInt16LE(member.isDirectory ? FLAG_UTF8 : FLAG_UTF8 | FLAG_DATA_DESCRIPTOR, 6)
  out.writeUInt16LE(0, 8) // stored
  out.writeUInt16LE(time, 10)
  out.writeUInt16LE(date, 12)
  out.writeUInt32LE(0, 14) // CRC-32 follows in the data descriptor
  // Sizes are known from the walk; readers that stream (no central directory) need them to find the end.
  out.writeUInt32LE(zip64 ? U32_MAX : size, 18)
  out.writeUInt32LE(zip64 ? U32_MAX : size, 22)
  out.writeUInt16LE(nameBytes.length, 26)
  out.writeUInt16LE(TIMESTAMP_EXTRA + (zip64 ? 20 : 0), 28)
  let at = 30 + nameBytes.copy(out, 30)
  at = writeTimestampExtra(out, at, member.entry.mtimeMs)
  if (zip64) {
    out.writeUInt16LE(EXTRA_ZIP64, at)
    out.writeUInt16LE(16, at + 2)
    out.writeBigUInt64LE(BigInt(size), at + 4)
    out.writeBigUInt64LE(BigInt(size), at + 12)
  }
  return out
}

function writeTimestampExtra(out: Buffer, at: number, mtimeMs: number): number {
  out.writeUInt16LE(EXTRA_TIMESTAMP, at)
  out.writeUInt16LE(5, at + 2)
  out.writeUInt8(1, at + 4) // mtime present
  out.writeUInt32LE(unixSeconds(mtimeMs), at + 5)
  return at + TIMESTAMP_EXTRA
}

function dataDescriptor(item: ZipLayout, crc: number): Buffer {
  const size = item.member.entry.size
  const out = Buffer.alloc(item.zip64 ? DESCRIPTOR_64 : DESCRIPTOR)
  out.writeUInt32LE(0x08074b50, 0)
  out.writeUInt32LE(crc, 4)
  if (item.zip64) {
    out.writeBigUInt64LE(BigInt(size), 8)
    out.writeBigUInt64LE(BigInt(size), 16)
  } else {
    out.writeUInt32LE(size, 8)
    out.writeUInt32LE(size, 12)
  }
  return out
}

function centralHeader(item: ZipLayout, crc: number): Buffer {
  const { member } = item
  const nameBytes = Buffer.from(member.name, 'utf8')
  const { time, date } = dosDateTime(member.entry.mtimeMs)
  const size = member.isDirectory ? 0 : member.entry.size
  const fields = centralZip64Fields(item)
  const out = Buffer.alloc(centralLength(item))
  const needs64 = fields.length > 0
  out.writeUInt32LE(0x02014b50, 0)
  out.writeUInt16LE(MADE_BY, 4)
  out.writeUInt16LE(needs64 ? 45 : member.isDirectory ? 20 : 10, 6)
  out.writeUInt16LE(member.isDirectory ? FLAG_UTF8 : FLAG_UTF8 | FLAG_DATA_DESCRIPTOR, 8)
  out.writeUInt16LE(0, 10)
  out.writeUInt16LE(time, 12)
  out.writeUInt16LE(date, 14)
  out.writeUInt32LE(crc, 16)
  const sizeField = item.zip64 || size >= U32_MAX ? U32_MAX : size
  out.writeUInt32LE(sizeField, 20)
  out.writeUInt32LE(sizeField, 24)
  out.writeUInt16LE(nameBytes.length, 28)
  out.writeUInt16LE(TIMESTAMP_EXTRA + (needs64 ? 4 + 8 * fields.length : 0), 30)
  out.writeUInt16LE(0, 32) // comment
  out.writeUInt16LE(0, 34) // disk
  out.writeUInt16LE(0, 36) // internal attributes
  const mode = member.isDirectory ? 0o040000 | (member.entry.mode || 0o755) : 0o100000 | (member.entry.mode || 0o644)
  out.writeUInt32LE(((mode << 16) | (member.isDirectory ? 0x10 : 0)) >>> 0, 38)
  out.writeUInt32LE(item.zip64 || item.offset >= U32_MAX ? U32_MAX : item.offset, 42)
  let at = 46 + nameBytes.copy(out, 46)
  at = writeTimestampExtra(out, at, member.entry.mtimeMs)
  if (needs64) {
    out.writeUInt16LE(EXTRA_ZIP64, at)
    out.writeUInt16LE(8 * fields.length, at + 2)
    at += 4
    for (const field of fields) {
      out.writeBigUInt64LE(BigInt(field), at)
      at += 8
    }
  }
  return out
}

function endRecords(count: number, cdOffset: number, cdSize: number, force64: boolean): Buffer {
  const needs64 = force64 || count >= U16_MAX || cdOffset >= U32_MAX || cdSize >= U32_MAX
  const out = Buffer.alloc((needs64 ? EOCD_64 + LOCATOR_64 : 0) + EOCD)
  let at = 0
  if (needs64) {
    out.writeUInt32LE(0x06064b50, 0)
    out.writeBigUInt64LE(BigInt(EOCD_64 - 12), 4)
    out.writeUInt16LE(MADE_BY, 12)
    out.writeUInt16LE(45, 14)
    out.writeUInt32LE(0, 16)
    out.writeUInt32LE(0, 20)
    out.writeBigUInt64LE(BigInt(count), 24)
    out.writeBigUInt64LE(BigInt(count), 32)
    out.writeBigUInt64LE(BigInt(cdSize), 40)
    out.writeBigUInt64LE(BigInt(cdOffset), 48)
    out.writeUInt32LE(0x07064b50, 56)
    out.writeUInt32LE(0, 60)
    out.writeBigUInt64LE(BigInt(cdOffset + cdSize), 64)
    out.writeUInt32LE(1, 72)
    at = EOCD_64 + LOCATOR_64
  }
  out.writeUInt32LE(0x06054b50, at)
  out.writeUInt16LE(0, at + 4)
  out.writeUInt16LE(0, at + 6)
  out.writeUInt16LE(Math.min(count, U16_MAX), at + 8)
  out.writeUInt16LE(Math.min(count, U16_MAX), at + 10)
  out.writeUInt32LE(Math.min(cdSize, U32_MAX), at + 12)
  out.writeUInt32LE(Math.min(cdOffset, U32_MAX), at + 16)
  out.writeUInt16LE(0, at + 20)
  return out
}

/** `crc(data, previous)`: the CRC-32 of ZIP (ISO-HDLC), continued from `previous` (0 to start). */
type Crc32 = (data: Buffer, previous: number) => number

let fastestCrc32: Crc32 | undefined

/**
 * The CRC-32 is most of the CPU a stored ZIP costs beyond sending the bytes (every byte passes
 * through it): zlib's runs at about 3 GB/s on a recent x86, the optional `@node-rs/crc32`
 * (carry-less multiply, SIMD) about three times as fast. Loaded with the first ZIP, not at
 * startup, and used only if it gives the check value of the CRC-32 catalogue; zlib's otherwise
 * (the package has no build for this platform, or is not installed).
 */
function zipCrc32(): Crc32 {
  if (fastestCrc32 === undefined) {
    fastestCrc32 = zlibCrc32
    try {
      const { crc32 } = createRequire(import.meta.url)('@node-rs/crc32') as { crc32: Crc32 }
      if (crc32(Buffer.from('123456789'), 0) === 0xcbf43926 && crc32(Buffer.from('56789'), crc32(Buffer.from('1234'), 0)) === 0xcbf43926) {
        fastestCrc32 = crc32
      }
    } catch {
      // Not installed for this platform: zlib's.
    }
  }
  return fastestCrc32
}

/** Whether the file is still the one the walk saw. */
function sameAsWalked(stats: Stats, entry: VisibleEntry): boolean {
  return stats.ino === entry.ino && stats.dev === entry.dev && stats.size === entry.size && stats.mtimeMs === entry.mtimeMs
}

/** A member's file, open; `fd` for the check after its last byte (the {@link OpenFile} keeps its own private). */
interface OpenMember {
  readonly file: OpenFile
  readonly fd: number
}

/**
 * Open a member's file and check it against the walk: one thread-pool trip (the callback API,
 * then an fstat of the open descriptor, which does no I/O on a local file system), where a
 * `FileHandle` takes two, each with its promise.
 */
function openMember(member: ArchiveMember): Promise<OpenMember> {
  const { entry } = member
  return new Promise((resolve, reject) => {
    open(fsArg(entry.fsPath), 'r', (error, fd) => {
      if (error != null) {
        reject(changed(member.name, 'disappeared'))
        return
      }
      let stats: Stats
      try {
        stats = fstatSync(fd)
      } catch (statError) {
        close(fd, ignore)
        reject(statError instanceof Error ? statError : changed(member.name, 'disappeared'))
        return
      }
      if (!sameAsWalked(stats, entry)) {
        close(fd, ignore)
        reject(changed(member.name, 'changed'))
        return
      }
      resolve({ file: new OpenFile(fd, stats.dev, stats.ino), fd })
    })
  })
}

/**
 * Write one member's bytes to `out` and return their CRC-32, taken from each chunk while it is
 * in memory anyway. The bytes go as a single file's do (`copyFileSpan`: reads from the page cache
 * on the event loop, otherwise a read-ahead in the thread pool; turns shared with every other
 * response). The file must still be the walk's after its last byte, and still have a name:
 * otherwise `SH_ERR_STATIC_FILE_CHANGED`.
 */
async function copyMember(member: ArchiveMember, opened: OpenMember, out: BodyWriter, flushed: Flushed | undefined): Promise<number> {
  const crc32 = zipCrc32()
  const size = member.entry.size
  let crc = 0
  await copyFileSpan(
    opened.file,
    0,
    size,
    out,
    flushed,
    () => changed(member.name, 'shrank'),
    (chunk) => {
      crc = crc32(chunk, crc)
    },
  )
  const after = fstatSync(opened.fd)
  if (after.nlink === 0) throw changed(member.name, 'disappeared')
  if (after.size !== size || after.mtimeMs !== member.entry.mtimeMs) throw changed(member.name, 'changed')
  return crc
}

/** The next file member at or after `start`, opening already (while the one before it is written). */
function openNext(layout: readonly ZipLayout[], start: number): { index: number; opened: Promise<OpenMember> } | undefined {
  for (let index = start; index < layout.length; index++) {
    const member = (layout[index] as ZipLayout).member
    if (member.isDirectory) continue
    const opened = openMember(member)
    // Awaited when its turn comes; until then a failure must not count as unhandled.
    opened.catch(ignore)
    return { index, opened }
  }
  return undefined
}

function ignore(): void {
  // A failure already reported, or a descriptor closed on the way out.
}

/**
 * A ZIP of `members`, stored (no compression), as a body whose exact length is known now: every
 * header's size follows from the names and the walk's sizes; only the CRC-32s wait for the data
 * (they go in data descriptors and the central directory).
 */
export function zipSource(members: readonly ArchiveMember[], zip64: Zip64Mode = 'auto'): BodySource {
  const layout: ZipLayout[] = []
  let offset = 0
  for (const member of members) {
    const size = member.isDirectory ? 0 : member.entry.size
    const item: ZipLayout = {
      member,
      nameLength: Buffer.byteLength(member.name, 'utf8'),
      zip64: !member.isDirectory && (zip64 === 'always' || size >= U32_MAX),
      offset,
    }
    layout.push(item)
    offset += localLength(item) + dataLength(item)
  }
  const cdOffset = offset
  let cdSize = 0
  for (const item of layout) cdSize += centralLength(item)
  const length = cdOffset + cdSize + endRecords(layout.length, cdOffset, cdSize, zip64 === 'always').length
  return {
    length,
    async produce(out, flushed) {
      const crcs: number[] = []
      // The next file is opened and checked while the one before it is written: its trips to
      // the thread pool then cost no time between members.
      let next = openNext(layout, 0)
      try {
        for (let i = 0; i < layout.length; i++) {
          const item = layout[i] as ZipLayout
          const header = localHeader(item)
          const wait = out.write(header)
          if (wait !== undefined) await wait
          if (item.member.isDirectory) {
            crcs.push(0)
            continue
          }
          const opening = next?.index === i ? next.opened : openMember(item.member)
          next = openNext(layout, i + 1)
          const opened = await opening
          let crc: number
          try {
            crc = await copyMember(item.member, opened, out, flushed)
          } finally {
            opened.file.release()
          }
          crcs.push(crc)
          const descriptor = out.write(dataDescriptor(item, crc))
          if (descriptor !== undefined) await descriptor
        }
      } finally {
        // Cut short: the file opened ahead is closed too.
        next?.opened.then((opened) => {
          opened.file.release()
        }, ignore)
      }
      // The central directory in pieces of about a chunk, so a folder of many files is not one big buffer.
      let pending: Buffer[] = []
      let pendingBytes = 0
      for (let i = 0; i < layout.length; i++) {
        const header = centralHeader(layout[i] as ZipLayout, crcs[i] as number)
        pending.push(header)
        pendingBytes += header.length
        if (pendingBytes >= READ_CHUNK_SIZE) {
          const wait = out.write(Buffer.concat(pending))
          pending = []
          pendingBytes = 0
          if (wait !== undefined) await wait
        }
      }
      pending.push(endRecords(layout.length, cdOffset, cdSize, zip64 === 'always'))
      const wait = out.write(Buffer.concat(pending))
      if (wait !== undefined) await wait
    },
  }
}

// ---- tar.gz -------------------------------------------------------------------------------------

const BLOCK = 512
/** The largest size a 12-byte octal field holds (11 digits): larger sizes go in a pax record. */
const USTAR_MAX_SIZE = 0o77777777777

function octal(out: Buffer, value: number, at: number, width: number): void {
  out.write(value.toString(8).padStart(width - 1, '0') + '\0', at, width, 'latin1')
}

function ustarHeader(name: string, type: '0' | '5' | 'x', size: number, mode: number, mtimeMs: number): Buffer {
  const out = Buffer.alloc(BLOCK)
  out.write(name, 0, 100, 'latin1')
  octal(out, mode, 100, 8)
  octal(out, 0, 108, 8) // uid
  octal(out, 0, 116, 8) // gid
  octal(out, size > USTAR_MAX_SIZE ? 0 : size, 124, 12)
  octal(out, unixSeconds(mtimeMs), 136, 12)
  out.fill(0x20, 148, 156) // checksum field counts as spaces
  out.write(type, 156, 1, 'latin1')
  out.write('ustar\x0000', 257, 8, 'latin1')
  let sum = 0
  for (const byte of out) sum += byte
  out.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
  return out
}

/** One pax record, `"<length> key=value\n"`, where the length counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`
  const bytes = Buffer.byteLength(body, 'utf8')
  let length = bytes + 1
  while (String(length).length + bytes !== length) length = String(length).length + bytes
  return `${length}${body}`
}

/** The header block(s) of a member: a pax header first when the name is long or not ASCII, or the size is huge. */
function tarHeaders(member: ArchiveMember): Buffer {
  const { entry } = member
  const size = member.isDirectory ? 0 : entry.size
  const mode = entry.mode || (member.isDirectory ? 0o755 : 0o644)
  // The ustar name field holds plain printable ASCII only.
  const plain = /^[\x20-\x7e]*$/.test(member.name) && member.name.length <= 100
  let pax = ''
  if (!plain) pax += paxRecord('path', member.name)
  if (size > USTAR_MAX_SIZE) pax += paxRecord('size', String(size))
  const type = member.isDirectory ? '5' : '0'
  const shortName = plain ? member.name : `${member.isDirectory ? 'dir' : 'file'}-${Buffer.byteLength(member.name)}`
  const header = ustarHeader(shortName, type, size, mode, entry.mtimeMs)
  if (pax === '') return header
  const records = Buffer.from(pax, 'utf8')
  const padded = Buffer.alloc(Math.ceil(records.length / BLOCK) * BLOCK)
  records.copy(padded)
  return Buffer.concat([ustarHeader('PaxHeader', 'x', records.length, 0o644, entry.mtimeMs), padded, header])
}

/**
 * The tar stream's chunks: headers, file bytes, padding, and the two zero blocks at the end. File
 * chunks reuse memory (`reuse`): the consumer must be done with a chunk before asking for the next.
 */
async function* tarChunks(members: readonly ArchiveMember[], reuse: Flushed): AsyncGenerator<Buffer> {
  for (const member of members) {
    yield tarHeaders(member)
    if (member.isDirectory) continue
    yield* memberChunks(member, reuse)
    const pad = member.entry.size % BLOCK
    if (pad !== 0) yield Buffer.alloc(BLOCK - pad)
  }
  yield Buffer.alloc(2 * BLOCK)
}

/**
 * A gzipped tar of `members`. Its length is not known in advance (`NaN`): the response goes
 * without `Content-Length` and ends when the connection closes (or chunked, where the adapter
 * can). Level 1: a folder download is limited by the CPU long before the network otherwise.
 */
export function tarGzSource(members: readonly ArchiveMember[]): BodySource {
  return zlibSource(
    (flushed) => tarChunks(members, flushed),
    () => createGzip({ level: zlibConstants.Z_BEST_SPEED }),
  )
}

/** `Content-Disposition: attachment` for `filename` (RFC 6266, with RFC 8187 `filename*` for non-ASCII). */
export function contentDisposition(filename: string): string {
  // The quoted fallback must be plain printable ASCII.
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_')
  if (fallback === filename) return `attachment; filename="${filename}"`
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`
}

/** The download's base name: the folder's last URL segment, or `download` for the root. */
export function archiveBaseName(decodedUrlPath: string): string {
  const name = path.posix.basename(decodedUrlPath)
  // eslint-disable-next-line no-control-regex -- controls never go into a header
  const clean = name.replace(/[\x00-\x1f\x7f]/g, '')
  return clean === '' || clean === '.' || clean === '..' ? 'download' : clean
}
