/**
 * The published package works for a user: `npm pack` the built package, install the tarball
 * into an empty project (offline: it has no dependencies), and parse a request through both
 * `import` and `require` (Node ≥ 20.19 loads ES modules with require()).
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const exec = promisify(execFile)
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const quiet = { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false' }

let dir = ''
let tarball = ''
let packedFiles: string[] = []

beforeAll(async () => {
  if (!existsSync(join(packageDir, 'dist/index.js'))) {
    throw new Error('dist/ is missing: run `pnpm --filter @simplehttp/parser build` first (turbo does)')
  }
  dir = await mkdtemp(join(tmpdir(), 'simplehttp-parser-pack-'))
  const { stdout } = await exec(npm, ['pack', '--json', '--pack-destination', dir], { cwd: packageDir, env: quiet })
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[]
  if (info === undefined) throw new Error(`npm pack printed nothing useful: ${stdout}`)
  tarball = join(dir, info.filename)
  packedFiles = info.files.map((f) => f.path)

  const project = join(dir, 'project')
  await exec('mkdir', ['-p', project])
  await exec(npm, ['init', '-y'], { cwd: project, env: quiet })
  await exec(npm, ['install', tarball, '--offline', '--no-audit', '--no-fund'], { cwd: project, env: quiet })
}, 180_000) // npm pack and install: seconds alone, a minute or more beside other test runs

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true })
})

const REQUEST = 'POST /upload HTTP/1.1\\r\\nHost: example.com\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n5\\r\\nhello\\r\\n0\\r\\n\\r\\nGET / HTTP/2.0\\r\\n\\r\\n'

async function runScript(name: string, source: string): Promise<unknown> {
  const file = join(dir, 'project', name)
  await writeFile(file, source)
  const { stdout } = await exec(process.execPath, [file], { cwd: join(dir, 'project') })
  return JSON.parse(stdout)
}

const RESPONSES = 'HTTP/1.1 100 Continue\\r\\n\\r\\nHTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nHTTP/1.1 200 OK\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n2\\r\\nhi\\r\\n0\\r\\n\\r\\nHTTP/1.1 200 OK\\r\\nContent-Length: 5, 5\\r\\n\\r\\n'

/** The response side, incrementally and one-shot: the first answers HEAD, so it has no body. */
const RESPONSE_SCRIPT = `const statuses = []
const parser = new ResponseParser({ onHead: (head) => statuses.push(head.status + ' ' + head.framing), onError: () => {} })
parser.expect({ method: 'HEAD' })
parser.execute(Buffer.from('${RESPONSES}'))
const { responses, error: responseError } = parseResponses(Buffer.from('${RESPONSES}'), { methods: ['HEAD', 'GET'] })
`
const RESPONSE_OUTPUT = `statuses,
  responseBodies: responses.map((r) => r.body.toString()),
  responseError: responseError.code,`
const responseExpected = {
  statuses: ['100 none', '200 none', '200 chunked'],
  responseBodies: ['', '', 'hi'],
  responseError: 'SH_ERR_PARSE_INVALID_CONTENT_LENGTH',
}

const expected = {
  methods: ['POST'],
  body: 'hello',
  error: { code: 'SH_ERR_PARSE_VERSION_NOT_SUPPORTED', status: 505, reason: 'Invalid HTTP version (2.0)' },
  branded: true,
}

describe('the packed tarball', () => {
  it('ships dist, types and README, and nothing from src, test or bench', () => {
    expect(packedFiles).toContain('dist/index.js')
    expect(packedFiles).toContain('dist/index.d.ts')
    expect(packedFiles).toContain('package.json')
    expect(packedFiles).toContain('README.md')
    expect(packedFiles.filter((f) => /^(src|test|bench|examples)\//.test(f))).toEqual([])
  })

  it('works through import', async () => {
    const output = await runScript(
      'esm.mjs',
      `import { parseRequests, isSimpleHTTPError, ResponseParser, parseResponses } from '@simplehttp/parser'
const { requests, error } = parseRequests(Buffer.from('${REQUEST}'))
${RESPONSE_SCRIPT}console.log(JSON.stringify({
  ${RESPONSE_OUTPUT}
  methods: requests.map((r) => r.method),
  body: requests[0].body.toString(),
  error: { code: error.code, status: error.status, reason: error.reason },
  branded: isSimpleHTTPError(error),
}))
`,
    )
    expect(output).toEqual({ ...expected, ...responseExpected })
  })

  it('works through require', async () => {
    const output = await runScript(
      'cjs.cjs',
      `const { parseRequests, isSimpleHTTPError, ResponseParser, parseResponses } = require('@simplehttp/parser')
const { requests, error } = parseRequests(Buffer.from('${REQUEST}'))
${RESPONSE_SCRIPT}console.log(JSON.stringify({
  ${RESPONSE_OUTPUT}
  methods: requests.map((r) => r.method),
  body: requests[0].body.toString(),
  error: { code: error.code, status: error.status, reason: error.reason },
  branded: isSimpleHTTPError(error),
}))
`,
    )
    expect(output).toEqual({ ...expected, ...responseExpected })
  })

  it('installs with its own package.json intact', async () => {
    const installed = JSON.parse(
      await readFile(join(dir, 'project/node_modules/@simplehttp/parser/package.json'), 'utf8'),
    ) as { name: string; type: string; dependencies?: unknown }
    expect(installed.name).toBe('@simplehttp/parser')
    expect(installed.type).toBe('module')
    expect(installed.dependencies).toBeUndefined()
  })
})
