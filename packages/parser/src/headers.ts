/**
 * Request header fields in arrival order, with their names as sent and a case-insensitive
 * lookup that is built only when first asked for.
 * @module
 */

/**
 * The header fields of a request (or its chunked trailers).
 *
 * `raw` is the flat `[name, value, name, value, …]` list as received (names as the client spelled
 * them, values with surrounding whitespace trimmed); `get`/`getAll`/`has` ignore case.
 *
 * @example
 * head.headers.get('content-type')   // 'text/plain' or undefined
 * head.headers.getAll('Cookie')      // every Cookie field, in order
 */
export class HeaderList implements Iterable<[name: string, value: string]> {
  /** `[name, value, name, value, …]`, as received. */
  readonly raw: readonly string[]
  #index: Map<string, string[]> | undefined

  constructor(raw: readonly string[] = []) {
    this.raw = raw
  }

  /** How many fields there are. */
  get size(): number {
    return this.raw.length >> 1
  }

  /**
   * The value of `name`; several fields of that name are joined with `", "` (RFC 9110 §5.3).
   * `undefined` when absent.
   */
  get(name: string): string | undefined {
    const values = this.#lookup(name)
    if (values === undefined) return undefined
    return values.length === 1 ? values[0] : values.join(', ')
  }

  /** Every value of `name`, in order; empty when absent. */
  getAll(name: string): string[] {
    return this.#lookup(name)?.slice() ?? []
  }

  /** Whether a field called `name` (any case) is present. */
  has(name: string): boolean {
    return this.#lookup(name) !== undefined
  }

  /** The fields as `[name, value]` pairs, names as sent. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    const raw = this.raw
    for (let i = 0; i < raw.length; i += 2) yield [raw[i] as string, raw[i + 1] as string]
  }

  /** A plain object keyed by lower-case name, repeated fields joined with `", "`. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [name, values] of this.#map()) out[name] = values.join(', ')
    return out
  }

  #lookup(name: string): string[] | undefined {
    return this.#map().get(name.toLowerCase())
  }

  #map(): Map<string, string[]> {
    if (this.#index !== undefined) return this.#index
    const index = new Map<string, string[]>()
    const raw = this.raw
    for (let i = 0; i < raw.length; i += 2) {
      const key = (raw[i] as string).toLowerCase()
      const value = raw[i + 1] as string
      const list = index.get(key)
      if (list === undefined) index.set(key, [value])
      else list.push(value)
    }
    this.#index = index
    return index
  }
}
