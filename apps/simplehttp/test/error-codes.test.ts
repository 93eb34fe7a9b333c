/**
 * One error shape across the packages: every registry's codes are unique across all of them and
 * named for their package, every error class is a `SimpleHTTPError` with the shared brand, and
 * `isSimpleHTTPError` is one function, re-exported (not copied) by every package.
 */
import * as cgi from '@simplehttp/cgi'
import * as cli from '@simplehttp/cli'
import * as dav from '@simplehttp/dav'
import * as handler from '@simplehttp/handler'
import * as parser from '@simplehttp/parser'
import * as server from '@simplehttp/server'
import * as staticPackage from '@simplehttp/static'
import { describe, expect, it } from 'vitest'

/** Each package's registry, the area its codes are named for, and one error it throws. */
const PACKAGES = [
  { name: 'parser', area: 'PARSE', registry: parser.PARSE_ERRORS, error: new parser.HTTPParseError('SH_ERR_PARSE_BAD_VERSION', 'x') },
  { name: 'server', area: 'SERVER', registry: server.SERVER_ERRORS, error: new server.ServerError('SH_ERR_SERVER_CLOSED', 'x') },
  { name: 'handler', area: 'HANDLER', registry: handler.HANDLER_ERRORS, error: new handler.HandlerError('SH_ERR_HANDLER_CONNECTION_CLOSED', 'x') },
  { name: 'static', area: 'STATIC', registry: staticPackage.STATIC_ERRORS, error: new staticPackage.StaticError('SH_ERR_STATIC_FILE_CHANGED', 'x') },
  { name: 'cgi', area: 'CGI', registry: cgi.CGI_ERRORS, error: new cgi.CGIError('SH_ERR_CGI_NO_SCRIPT', 'x') },
  { name: 'dav', area: 'DAV', registry: dav.DAV_ERRORS, error: new dav.DAVError('SH_ERR_DAV_INVALID_OPTION', 'x') },
  { name: 'cli', area: 'CLI', registry: cli.CLI_ERRORS, error: new cli.UsageError('x') },
] as const

describe('error codes across packages', () => {
  it('are unique: no code is in two registries', () => {
    const owners = new Map<string, string[]>()
    for (const { name, registry } of PACKAGES) {
      for (const code of Object.keys(registry)) owners.set(code, [...(owners.get(code) ?? []), name])
    }
    expect([...owners].filter(([, names]) => names.length > 1)).toEqual([])
    expect(owners.size).toBe(PACKAGES.reduce((sum, { registry }) => sum + Object.keys(registry).length, 0))
  })

  it.each(PACKAGES)('are SH_ERR_$area_<WHAT> in $name, each with a one-line meaning', ({ area, registry }) => {
    const codes = Object.keys(registry)
    expect(codes.length).toBeGreaterThan(0)
    for (const code of codes) expect(code).toMatch(new RegExp(`^SH_ERR_${area}_[A-Z0-9_]+$`))
    // One value shape in every registry: code → what it means.
    for (const meaning of Object.values(registry)) expect(meaning).toMatch(/^[^\n]{10,}$/)
  })
})

describe('the shared error shape', () => {
  it.each(PACKAGES)('$name throws SimpleHTTPErrors with a code from its registry', ({ registry, error }) => {
    expect(error).toBeInstanceOf(parser.SimpleHTTPError)
    expect(error).toBeInstanceOf(Error)
    expect(Object.keys(registry)).toContain(error.code)
    expect(parser.isSimpleHTTPError(error)).toBe(true)
  })

  it('is defined once: every package re-exports the parser brand check and base class', () => {
    for (const api of [server, handler, staticPackage, cgi, dav, cli]) {
      expect(api.isSimpleHTTPError).toBe(parser.isSimpleHTTPError)
      expect(api.SimpleHTTPError).toBe(parser.SimpleHTTPError)
    }
  })

  it('recognises an error from another installed copy by its brand, not by class', () => {
    const foreign = Object.assign(new Error('x'), { code: 'SH_ERR_SERVER_CLOSED', [Symbol.for('simplehttp.error')]: true })
    expect(server.isSimpleHTTPError(foreign)).toBe(true)
    expect(server.isSimpleHTTPError(new Error('x'))).toBe(false)
  })
})
