/**
 * Byte classes as 256-entry lookup tables (undici's approach: one array read per byte).
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-5.6.2 (token)
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-5.5 (field values)
 */

function table(accepts: (byte: number) => boolean): Uint8Array {
  const t = new Uint8Array(256)
  for (let b = 0; b < 256; b++) t[b] = accepts(b) ? 1 : 0
  return t
}

const TCHAR_SYMBOLS = "!#$%&'*+-.^_`|~"

/** tchar: letters, digits and ``!#$%&'*+-.^_`|~``. Methods and field names are tokens. */
export const TOKEN = table(
  (b) =>
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    TCHAR_SYMBOLS.includes(String.fromCharCode(b)),
)

/** Hex digit values, or 255 for a byte that is not a hex digit. */
export const HEX = (() => {
  const t = new Uint8Array(256).fill(255)
  for (let d = 0; d < 10; d++) t[0x30 + d] = d
  for (let d = 0; d < 6; d++) {
    t[0x41 + d] = 10 + d
    t[0x61 + d] = 10 + d
  }
  return t
})()

export const CR = 0x0d
export const LF = 0x0a
export const SP = 0x20
export const HTAB = 0x09
export const COLON = 0x3a
export const SEMICOLON = 0x3b
