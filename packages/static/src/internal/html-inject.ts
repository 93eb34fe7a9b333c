/**
 * Where to put the live-reload `<script src>` in a page: before the last `</body>`, else the last
 * `</html>`, else at the end — found by a small scan that skips comments and the elements whose
 * content is not markup (`<script>`, `<style>`, `<textarea>`, `<title>`, …), so a `</body>`
 * written inside a script string or a comment is never taken for the real one.
 * @module
 */

/** The attribute that keeps live reload out of a page: `<html data-no-live-reload>` or on `<body>`. */
export const OPT_OUT_ATTRIBUTE = 'data-no-live-reload'

/** Elements whose content the HTML tokenizer reads as text up to their own end tag. */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript'])

/**
 * Scan `html` (read as Latin-1, so every byte keeps its offset whatever the page's charset) and
 * return the offset where the script tag goes, or `undefined` when the page opted out.
 */
export function findInsertionPoint(html: string): number | undefined {
  const lower = html.toLowerCase()
  let lastBody = -1
  let lastHtml = -1
  let i = 0
  const n = lower.length
  while (i < n) {
    const lt = lower.indexOf('<', i)
    if (lt === -1) break
    if (lower.startsWith('<!--', lt)) {
      const end = lower.indexOf('-->', lt + 4)
      if (end === -1) break // an unclosed comment runs to the end of the page
      i = end + 3
      continue
    }
    if (lower.startsWith('<!', lt) || lower.startsWith('<?', lt)) {
      // A doctype, CDATA or bogus comment: ends at the next '>'.
      const end = lower.indexOf('>', lt + 2)
      if (end === -1) break
      i = end + 1
      continue
    }
    const closing = lower[lt + 1] === '/'
    const nameStart = closing ? lt + 2 : lt + 1
    let nameEnd = nameStart
    while (nameEnd < n && isNameChar(lower.charCodeAt(nameEnd))) nameEnd++
    if (nameEnd === nameStart) {
      i = lt + 1 // a '<' that starts no tag is text
      continue
    }
    const name = lower.slice(nameStart, nameEnd)
    const tagEnd = findTagEnd(lower, nameEnd)
    if (tagEnd === -1) break
    if (closing) {
      if (name === 'body') lastBody = lt
      else if (name === 'html') lastHtml = lt
      i = tagEnd + 1
      continue
    }
    if ((name === 'html' || name === 'body') && hasAttribute(lower.slice(nameEnd, tagEnd), OPT_OUT_ATTRIBUTE)) return undefined
    if (name === 'plaintext') break // everything after it is text
    if (RAW_TEXT.has(name) && lower[tagEnd - 1] !== '/') {
      const end = lower.indexOf(`</${name}`, tagEnd + 1)
      if (end === -1) break
      i = end
      continue
    }
    i = tagEnd + 1
  }
  if (lastBody !== -1) return lastBody
  if (lastHtml !== -1) return lastHtml
  return html.length
}

/** Insert `snippet` into the page at the point {@link findInsertionPoint} finds; `undefined` if opted out. */
export function injectScript(page: Buffer, snippet: string): Buffer | undefined {
  const offset = findInsertionPoint(page.toString('latin1'))
  if (offset === undefined) return undefined
  return Buffer.concat([page.subarray(0, offset), Buffer.from(snippet, 'latin1'), page.subarray(offset)])
}

function isNameChar(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x3a
}

/** The index of the `>` that ends a tag whose name ends at `from`, skipping quoted attribute values. */
function findTagEnd(lower: string, from: number): number {
  let quote = ''
  for (let i = from; i < lower.length; i++) {
    const c = lower[i]
    if (quote !== '') {
      if (c === quote) quote = ''
    } else if (c === '"' || c === "'") {
      quote = c
    } else if (c === '>') {
      return i
    }
  }
  return -1
}

function hasAttribute(attributes: string, name: string): boolean {
  // Outside quoted values: the name, then '=', whitespace, '/' or the end.
  const unquoted = attributes.replace(/"[^"]*"|'[^']*'/g, '""')
  return new RegExp(`(^|[\\s/])${name}(?=$|[\\s=/>])`).test(unquoted)
}
