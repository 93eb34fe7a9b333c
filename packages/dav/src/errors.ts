/**
 * Errors raised by `@simplehttp/dav`. Requests that cannot be honoured are answered (400, 403,
 * 409, 412, 413), never thrown; these codes are for misuse.
 * @module
 */

/** Every `@simplehttp/dav` error code and what it means. */
export const DAV_ERRORS = {
  /** An option passed to `DAVRequestHandler.withOptions()` or `parseSize()` has the wrong type or value. */
  SH_ERR_DAV_INVALID_OPTION: 'invalid option',
} as const

/** One of the codes in {@link DAV_ERRORS}. */
export type DAVErrorCode = keyof typeof DAV_ERRORS

const kSimpleHTTPError: unique symbol = Symbol.for('simplehttp.error') as never

/** An error from `@simplehttp/dav`; check `code` (or `isSimpleHTTPError`), not `instanceof`. */
export class DAVError extends Error {
  override readonly name = 'DAVError'
  readonly code: DAVErrorCode
  readonly [kSimpleHTTPError] = true

  constructor(code: DAVErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** The `code` of a `@simplehttp/*` error, or `undefined` for anything else. */
export function simpleHTTPErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error == null) return undefined
  if ((error as Record<symbol, unknown>)[kSimpleHTTPError] !== true) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}
