/**
 * Quoting that keeps a decoded path from being decoded twice. (Splitting and decoding targets
 * is the resolver's job: `@simplehttp/static`'s `resolveTarget`.)
 * @module
 */
/**
 * Percent-encode each segment of an already decoded URL path, so that `translatePath` (which
 * decodes, as CPython's does) decodes it exactly once. CPython decodes twice: `%252e%252e`
 * becomes `..` on the second pass and lets `/cgi-bin/%252e%252e/x` run `/x` as a script.
 */
export function quotePath(decoded: string): string {
  return decoded.split('/').map(encodeURIComponent).join('/')
}
