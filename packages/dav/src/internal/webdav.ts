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
})

/** An element with its namespace resolved, and its element children. */
interface Element {
  readonly name: QName
  readonly children: readonly Element[]
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
    nodes = parser.parse(xml)
  } catch {
    return undefined
  }
  const roots = toElements(nodes as Node[], new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]))
  if (roots === undefined) return undefined
  return roots.length === 1 ? roots[0] : undefined
}

function toElements(nodes: readonly Node[], scope: ReadonlyMap<string, string>): Element[] | undefined {
  const out: Element[] = []
  for (const node of nodes) {
    const tag = Object.keys(node).find((k) => k !== ':@')
    if (tag === undefined || tag === '#text' || tag.startsWith('?') || tag === '#comment') continue
    const attributes = (node[':@'] ?? {}) as Record<string, string>
    let local = new Map(scope)
    for (const [attr, value] of Object.entries(attributes)) {
      if (attr === 'xmlns') local.set('', value)
      else if (attr.startsWith('xmlns:')) {
        // Namespaces in XML 1.0 §2.2: a prefix cannot be bound to the empty name.
        if (value === '') return undefined
        local.set(attr.slice(6), value)
      }
    }
    if (local.size === scope.size && [...local].every(([k, v]) => scope.get(k) === v)) local = scope as Map<string, string>
    const colon = tag.indexOf(':')
    const prefix = colon === -1 ? '' : tag.slice(0, colon)
    const ns = local.get(prefix)
    // An undeclared prefix is not namespace-well-formed.
    if (ns === undefined && prefix !== '') return undefined
    const children = toElements((node[tag] ?? []) as Node[], local)
    if (children === undefined) return undefined
    out.push({ name: { ns: ns ?? '', local: colon === -1 ? tag : tag.slice(colon + 1) }, children })
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

/** The property names a PROPPATCH sets or removes; `undefined` when it is not a valid propertyupdate. */
export function parseProppatch(xml: string): QName[] | undefined {
  const root = parseXML(xml)
  if (root === undefined || !isDAV(root, 'propertyupdate')) return undefined
  const names: QName[] = []
  for (const action of root.children) {
    if (!isDAV(action, 'set') && !isDAV(action, 'remove')) return undefined
    for (const prop of action.children) {
      if (!isDAV(prop, 'prop')) return undefined
      for (const name of prop.children) names.push(name.name)
    }
  }
  return names.length === 0 ? undefined : names
}

/** XML text and attribute escaping. */
export function escapeXML(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const REASONS: Readonly<Record<number, string>> = { 200: 'OK', 403: 'Forbidden', 404: 'Not Found', 424: 'Failed Dependency' }

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
  failed: readonly { readonly name: QName; readonly status: number }[],
): string {
  let out = `<D:response><D:href>${escapeXML(href)}</D:href>`
  if (found.length > 0) {
    out += `<D:propstat><D:prop>${found.map((p) => propXML(p.name, p.value)).join('')}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>`
  }
  const statuses = [...new Set(failed.map((f) => f.status))]
  for (const status of statuses) {
    const names = failed.filter((f) => f.status === status).map((f) => propXML(f.name, ''))
    out += `<D:propstat><D:prop>${names.join('')}</D:prop><D:status>HTTP/1.1 ${status} ${REASONS[status] ?? ''}</D:status></D:propstat>`
  }
  return out + '</D:response>'
}

/** The whole 207 body. */
export function multistatus(responses: readonly string[]): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${responses.join('')}</D:multistatus>\n`
}

/** Pick the properties a PROPFIND asked for from a resource's live ones (all `DAV:`). */
export function selectProps(
  live: ReadonlyMap<string, string>,
  request: PropRequest,
): { found: { name: QName; value: string }[]; failed: { name: QName; status: number }[] } {
  if (request.kind !== 'props') {
    const names = request.kind === 'names'
    return { found: [...live].map(([local, value]) => ({ name: { ns: 'DAV:', local }, value: names ? '' : value })), failed: [] }
  }
  const found: { name: QName; value: string }[] = []
  const failed: { name: QName; status: number }[] = []
  for (const name of request.names) {
    const value = name.ns === 'DAV:' ? live.get(name.local) : undefined
    if (value === undefined) failed.push({ name, status: 404 })
    else found.push({ name, value })
  }
  return { found, failed }
}
