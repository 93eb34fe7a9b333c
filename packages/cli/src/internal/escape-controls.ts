import { pyRepr } from '@simplehttp/handler'

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
