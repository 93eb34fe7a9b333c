/**
 * Python's `repr()` of a `str`, which CPython puts in its error messages
 * (`Bad request version ('HTTP/2')`). Control characters come out escaped, so the result is
 * safe for a status line and a log line.
 *
 * @example pyRepr("it's") === `"it's"`
 */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0
    if (ch === quote || ch === '\\') out += '\\' + ch
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    // Python's str.isprintable() is false for C0, DEL, C1 and the Latin-1 NBSP and soft hyphen.
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp === 0xad) out += '\\x' + hex2(cp)
    else out += ch
  }
  return out + quote
}

function hex2(cp: number): string {
  return cp.toString(16).padStart(2, '0')
}
