/**
 * WebDAV XML (RFC 4918 §14): reading PROPFIND and PROPPATCH bodies with namespaces resolved,
 * and writing multistatus answers with every value escaped.
 * @module
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser'

/** A property name: namespace URI and local name. */
export interface QName {
  readonly ns: string
  readonly local: string
}

/** What a PROPFIND asks for. */
export type PropRequest = { readonly kind: 'all' } | { readonly kind: 'names' } | { readonly kind: 'props'; readonly names: readonly QName[] }

type Node = Record<string, unknown>

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // No entity expansion at all: no billion laughs, and no external entities (XXE).
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // CDATA kept apart from text, so its raw content is escaped when a value is written back.
  cdataPropName: '#cdata',
})

/** An element with its namespace resolved, its element children, and all its content in order. */
interface Element {
  readonly name: QName
  readonly children: readonly Element[]
  /** Attributes (namespace declarations left out), values decoded. */
  readonly attributes: readonly { readonly name: QName; readonly prefixed: boolean; readonly value: string }[]
  /** Elements and text (decoded), in document order: a dead property's value. */
  readonly content: readonly (Element | string)[]
}

/**
 * Parse an XML body into elements with resolved namespaces, or `undefined` when it is not
 * well-formed or declares a DOCTYPE (entities are never expanded; a DTD is refused outright).
 */
export function parseXML(xml: string): Element | undefined {
  // XXE and billion laughs live in the DTD: a WebDAV body has no business carrying one.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return undefined
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- still shipped and maintained in v5; the parser alone accepts mismatched tags
  if (XMLValidator.validate(xml) !== true) return undefined
  let nodes: unknown
  try {
    // Deep nesting is refused by the parser itself (a bounded number of nested tags).
    nodes = parser.parse(xml)
  } catch {
    return undefined
  }
  const roots = toElements(nodes as Node[], new Map([['xml', XML_NS]]))
  if (roots === undefined) return undefined
  const elements = roots.filter((r): r is Element => typeof r !== 'string')
  return elements.length === 1 ? elements[0] : undefined
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace'

/** Text and attribute values as the parser leaves them (entities not expanded): decoded, or `undefined` for a reference XML does not define. */
function decodeText(raw: string): string | undefined {
  const state = { bad: false }
  const text = raw.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos)?;?/g, (whole, ref: string | undefined) => {
    if (ref === undefined || !whole.endsWith(';')) {
      state.bad = true
      return ''
    }
    if (ref === 'lt') return '<'
    if (ref === 'gt') return '>'
    if (ref === 'amp') return '&'
    if (ref === 'quot') return '"'
    if (ref === 'apos') return "'"
    const code = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
    // XML 1.0 §2.2 Char: no NUL, no other C0 control but tab/LF/CR, no surrogates, no U+FFFE/FFFF.
    const isChar = code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff)
    if (!isChar) {
      state.bad = true
      return ''
    }
    return String.fromCodePoint(code)
  })
  return state.bad ? undefined : text
}

function toElements(nodes: readonly Node[], scope: ReadonlyMap<string, string>): (Element | string)[] | undefined {
  const out: (Element | string)[] = []
  for (const node of nodes) {
    const tag = Object.keys(node).find((k) => k !== ':@')
    if (tag === undefined || tag.startsWith('?') || tag === '#comment') continue
    if (tag === '#text') {
      const text = decodeText(String(node[tag]))
      if (text === undefined) return undefined
      out.push(text)
      continue
    }
    if (tag === '#cdata') {
      // CDATA content is literal text.
      const parts = (node[tag] ?? []) as Node[]
      out.push(parts.map((p) => (typeof p['#text'] === 'string' ? p['#text'] : '')).join(''))
      continue
    }
    const rawAttributes = (node[':@'] ?? {}) as Record<string, string>
    let local = new Map(scope)
    for (const [attr, value] of Object.entries(rawAttributes)) {
      if (attr === 'xmlns') local.set('', decodeText(value) ?? '')
      else if (attr.startsWith('xmlns:')) {
        const uri = decodeText(value)
        // Namespaces in XML 1.0 §2.2: a prefix cannot be bound to the empty name.
        if (uri === undefined || uri === '') return undefined
        local.set(attr.slice(6), uri)
      }
    }
    if (local.size === scope.size && [...local].every(([k, v]) => scope.get(k) === v)) local = scope as Map<string, string>
    const name = qualify(tag, local, true)
    if (name === undefined) return undefined
    const attributes: Element['attributes'][number][] = []
    for (const [attr, raw] of Object.entries(rawAttributes)) {
      if (attr === 'xmlns' || attr.startsWith('xmlns:')) continue
      const value = decodeText(raw)
      // An unprefixed attribute is in no namespace (Namespaces in XML §6.2).
      const attrName = qualify(attr, local, false)
      if (value === undefined || attrName === undefined) return undefined
      attributes.push({ name: attrName, prefixed: attr.includes(':'), value })
    }
    const content = toElements((node[tag] ?? []) as Node[], local)
    if (content === undefined) return undefined
    out.push({ name, children: content.filter((c): c is Element => typeof c !== 'string'), attributes, content })
  }
  return out
}

/** `prefix:local` to a namespace and local name; `undefined` for an undeclared prefix (not namespace-well-formed). */
function qualify(tag: string, scope: ReadonlyMap<string, string>, useDefault: boolean): QName | undefined {
  const colon = tag.indexOf(':')
  const prefix = colon === -1 ? '' : tag.slice(0, colon)
  const ns = prefix === '' ? (useDefault ? (scope.get('') ?? '') : '') : scope.get(prefix)
  if (ns === undefined) return undefined
  return { ns, local: colon === -1 ? tag : tag.slice(colon + 1) }
}

/**
 * An element's content written back as self-contained XML: every element declares its own
 * namespace, prefixed attributes get a prefix declared on the spot, text is escaped. So a
 * stored value means the same wherever it is later placed.
 */
export function serializeContent(content: readonly (Element | string)[]): string {
  let out = ''
  for (const item of content) {
    if (typeof item === 'string') {
      out += escapeXML(item)
      continue
    }
    const local = item.name.local
    let open = `<${local} xmlns="${escapeXML(item.name.ns)}"`
    item.attributes.forEach((attr, i) => {
      if (!attr.prefixed) open += ` ${attr.name.local}="${escapeXML(attr.value)}"`
      else if (attr.name.ns === XML_NS) open += ` xml:${attr.name.local}="${escapeXML(attr.value)}"`
      else open += ` xmlns:a${i}="${escapeXML(attr.name.ns)}" a${i}:${attr.name.local}="${escapeXML(attr.value)}"`
    })
    out += item.content.length === 0 ? `${open}/>` : `${open}>${serializeContent(item.content)}</${local}>`
  }
  return out
}

function isDAV(element: Element, local: string): boolean {
  return element.name.ns === 'DAV:' && element.name.local === local
}

/** A PROPFIND body (empty means allprop); `undefined` when it is not a valid propfind. */
export function parsePropfind(xml: string): PropRequest | undefined {
  if (xml.trim() === '') return { kind: 'all' }
  const root = parseXML(xml)
  if (root === undefined || !isDAV(root, 'propfind')) return undefined
  for (const child of root.children) {
    if (isDAV(child, 'allprop')) return { kind: 'all' }
    if (isDAV(child, 'propname')) return { kind: 'names' }
    if (isDAV(child, 'prop')) return { kind: 'props', names: child.children.map((c) => c.name) }
  }
  return undefined
}

/** One change of a PROPPATCH, in document order: `value` (serialized XML) for a set. */
export interface PropChange {
  readonly action: 'set' | 'remove'
  readonly name: QName
  readonly value: string
}

/** The changes a PROPPATCH asks for, in order; `undefined` when it is not a valid propertyupdate. */
export function parseProppatch(xml: string): PropChange[] | undefined {
  const root = parseXML(xml)
  if (root === undefined || !isDAV(root, 'propertyupdate')) return undefined
  const changes: PropChange[] = []
  for (const action of root.children) {
    const set = isDAV(action, 'set')
    if (!set && !isDAV(action, 'remove')) return undefined
    for (const prop of action.children) {
      if (!isDAV(prop, 'prop')) return undefined
      for (const name of prop.children) {
        changes.push({ action: set ? 'set' : 'remove', name: name.name, value: set ? serializeContent(name.content) : '' })
      }
    }
  }
  return changes.length === 0 ? undefined : changes
}

/** XML text and attribute escaping. */
export function escapeXML(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  424: 'Failed Dependency',
  507: 'Insufficient Storage',
}

/** `<name>value</name>` in its own namespace (DAV: uses the `D` prefix of the multistatus root). */
function propXML(name: QName, value: string): string {
  const local = escapeXML(name.local)
  if (name.ns === 'DAV:') return value === '' ? `<D:${local}/>` : `<D:${local}>${value}</D:${local}>`
  const open = `ns0:${local} xmlns:ns0="${escapeXML(name.ns)}"`
  if (name.ns === '') return value === '' ? `<${local} xmlns=""/>` : `<${local} xmlns="">${value}</${local}>`
  return value === '' ? `<${open}/>` : `<${open}>${value}</ns0:${local}>`
}

/**
 * One `<D:response>`: found properties under 200, the rest grouped by status. `href` must be
 * percent-encoded already; values are XML already (escaped by the caller).
 */
export function propfindEntry(
  href: string,
  found: readonly { readonly name: QName; readonly value: string }[],
  failed: readonly { readonly name: QName; readonly status: number; readonly reason?: string | undefined }[],
): string {
  let out = `<D:response><D:href>${escapeXML(href)}</D:href>`
  if (found.length > 0) {
    out += `<D:propstat><D:prop>${found.map((p) => propXML(p.name, p.value)).join('')}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`
  }
  const statuses = [...new Set(failed.map((f) => f.status))]
  for (const status of statuses) {
    const group = failed.filter((f) => f.status === status)
    const names = group.map((f) => propXML(f.name, ''))
    // Why a change was refused (a bound passed, a protected property), for people reading the answer.
    const reasons = [...new Set(group.map((f) => f.reason).filter((r) => r !== undefined))]
    const description = reasons.length === 0 ? '' : `<D:responsedescription>${escapeXML(reasons.join('; '))}</D:responsedescription>`
    out += `<D:propstat><D:prop>${names.join('')}</D:prop><D:status>HTTP/1.1 ${status} ${REASONS[status] ?? ''}</D:status>${description}</D:propstat>`
  }
  return out + '</D:response>'
}

/** The whole 207 body. */
export function multistatus(responses: readonly string[]): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${responses.join('')}</D:multistatus>\n`
}

/** A stored (dead) property: its name and its value as self-contained XML. */
export interface DeadProp {
  readonly name: QName
  readonly value: string
}

/**
 * Pick the properties a PROPFIND asked for from a resource's live ones (all `DAV:`) and its
 * dead ones. `allprop` and `propname` give both (RFC 4918 §9.1).
 */
export function selectProps(
  live: ReadonlyMap<string, string>,
  dead: readonly DeadProp[],
  request: PropRequest,
): { found: { name: QName; value: string }[]; failed: { name: QName; status: number }[] } {
  if (request.kind !== 'props') {
    const names = request.kind === 'names'
    const found = [...live].map(([local, value]) => ({ name: { ns: 'DAV:', local }, value: names ? '' : value }))
    for (const prop of dead) found.push({ name: prop.name, value: names ? '' : prop.value })
    return { found, failed: [] }
  }
  const found: { name: QName; value: string }[] = []
  const failed: { name: QName; status: number }[] = []
  for (const name of request.names) {
    const value = name.ns === 'DAV:' ? live.get(name.local) : dead.find((p) => p.name.ns === name.ns && p.name.local === name.local)?.value
    if (value === undefined) failed.push({ name, status: 404 })
    else found.push({ name, value })
  }
  return { found, failed }
}
