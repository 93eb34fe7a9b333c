/**
 * Python's `repr()` of a `str`: argparse quotes bad values with it (`invalid int value: 'abc'`),
 * so our messages read the same. Control characters come out escaped, so a value typed on the
 * command line cannot forge terminal output.
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
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp === 0xad) out += '\\x' + cp.toString(16).padStart(2, '0')
    else out += ch
  }
  return out + quote
}

/**
 * Control characters escaped, the rest as typed: for user input echoed in a message without
 * quotes (CPython prints `Header <arg> must …` with the argument as given).
 */
export function escapeControls(text: string): string {
  const quoted = pyRepr(text)
  const inner = quoted.slice(1, -1)
  // pyRepr escaped the quote character and backslashes too; undo just those.
  return inner.replace(/\\(['"\\])/g, '$1')
}
