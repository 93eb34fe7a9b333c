import { constants } from 'node:os'
import { pyRepr } from '@simplehttp/handler'

// strerror() texts (glibc's wording, which is what Python prints) for the errors a path can give.
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EMFILE: 'Too many open files',
  EIO: 'Input/output error',
  EINVAL: 'Invalid argument',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
}

/**
 * A Node system error as Python's `str(OSError)` reads:
 * `[Errno 2] No such file or directory: 'pw.txt'`. Anything else: its message.
 */
export function describeOSError(error: unknown, path?: string): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code !== 'string') return error instanceof Error ? error.message : String(error)
  const errno = (constants.errno as Readonly<Record<string, number | undefined>>)[code]
  const text = STRERROR[code] ?? code
  const head = errno === undefined ? text : `[Errno ${errno}] ${text}`
  return path === undefined ? head : `${head}: ${pyRepr(path)}`
}
