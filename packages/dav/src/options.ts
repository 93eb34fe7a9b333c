/**
 * The write and WebDAV options of `DAVRequestHandler.withOptions()`.
 * @module
 */
import type { HandlerOptions } from '@simplehttp/static'
import { DAVError } from './errors.js'

/** What a form upload does when a file of the same name exists. */
export type OnDuplicate = 'error' | 'overwrite' | 'rename'

/** The settings that make a static handler writable; every field is optional. */
export interface DAVOptions {
  /** Allow `PUT`, multipart `POST` to a directory, `MKCOL` (and WebDAV `COPY`). Default `false`. */
  readonly upload?: boolean
  /** Allow `DELETE` (and, with `upload`, WebDAV `MOVE`). Default `false`. */
  readonly delete?: boolean
  /** Answer WebDAV class 1: `OPTIONS` with `DAV: 1`, `PROPFIND`, `PROPPATCH`, `COPY`, `MOVE`. Default `false`. */
  readonly webdav?: boolean
  /** Largest request body accepted for a write, in bytes; larger ones get `413`. Default 1 GiB. */
  readonly maxUpload?: number
  /** A form upload over an existing file: `409` (`error`), replace it, or store `name (1).ext`. Default `'error'`. */
  readonly onDuplicate?: OnDuplicate
}

/** {@link DAVOptions} plus static's options (directory, dotfiles, …). */
export interface DAVHandlerOptions extends HandlerOptions, DAVOptions {}

/** 1 GiB: the default {@link DAVOptions.maxUpload}. */
export const DEFAULT_MAX_UPLOAD = 1024 ** 3

const SIZE_RE = /^(\d+)([KMG]?)i?B?$/i
const UNITS: Readonly<Record<string, number>> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }

/**
 * A size as the command line writes it: bytes, or a number with `K`, `M` or `G` (binary units,
 * `KiB`/`MB` spellings accepted). Throws `SH_ERR_DAV_INVALID_OPTION`.
 * @example parseSize('100M') // 104857600
 */
export function parseSize(text: string): number {
  const match = SIZE_RE.exec(text.trim())
  const value = match == null ? NaN : Number(match[1]) * (UNITS[(match[2] ?? '').toUpperCase()] ?? NaN)
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw invalid('maxUpload', 'a size such as 500K, 100M or 2G', text)
  }
  return value
}

export function invalid(what: string, expected: string, got: unknown): DAVError {
  let shown = typeof got === 'string' ? JSON.stringify(got) : String(got)
  if (shown.length > 80) shown = `${shown.slice(0, 77)}...`
  return new DAVError('SH_ERR_DAV_INVALID_OPTION', `invalid option ${what}.\nExpected ${expected}, but got: ${shown}`)
}

/** Check the DAV fields of an options object; throws `SH_ERR_DAV_INVALID_OPTION`. */
export function checkDAVOptions(options: DAVOptions): void {
  for (const name of ['upload', 'delete', 'webdav'] as const) {
    const value: unknown = options[name]
    if (value !== undefined && typeof value !== 'boolean') throw invalid(name, 'true or false', value)
  }
  const max: unknown = options.maxUpload
  if (max !== undefined && (typeof max !== 'number' || !Number.isSafeInteger(max) || max <= 0)) {
    throw invalid('maxUpload', 'a whole number of bytes > 0', max)
  }
  const dup: unknown = options.onDuplicate
  if (dup !== undefined && dup !== 'error' && dup !== 'overwrite' && dup !== 'rename') {
    throw invalid('onDuplicate', '"error", "overwrite" or "rename"', dup)
  }
}
