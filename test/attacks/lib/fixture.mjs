// The tree every run attacks, made fresh in a temp directory:
//
//   <tmp>/secret.txt              SECRET marker, next to the root (the prize of every traversal)
//   <tmp>/www2/sibling.txt        a sibling whose name starts with the root's (prefix-check bugs)
//   <tmp>/outside/                a directory outside the root, with a named file and a CGI script
//   <tmp>/pwn/                    world-writable: where injected shell commands would leave files
//   <tmp>/www/                    the served root
import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const BIG_SIZE = 1024 * 1024

function walkChmod(dir, mode) {
  fs.chmodSync(dir, mode)
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    // Never chmod through a symlink: some of ours point at /etc/passwd.
    if (entry.isSymbolicLink()) continue
    if (entry.isDirectory()) walkChmod(full, mode)
    else fs.chmodSync(full, mode)
  }
}

export function makeFixture() {
  const id = randomBytes(6).toString('hex')
  const marker = (name) => `${name}-${id}`
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'simplehttp-attacks-'))
  const root = path.join(tmp, 'www')
  const outside = path.join(tmp, 'outside')
  const pwn = path.join(tmp, 'pwn')
  const m = {
    secret: marker('SECRET'),
    sibling: marker('SIBLING'),
    outdir: marker('OUTDIR'),
    outName: marker('OUTNAME'),
    outsideCgi: marker('OUTSIDECGI'),
    dotenv: marker('DOTENV'),
    gitcfg: marker('GITCFG'),
    noexecSrc: marker('NOEXECSRC'),
    echoSrc: marker('ECHOSRC'),
    smuggle: marker('SMUGGLED'),
    hello: marker('HELLO'),
    passwd: 'root:x:0:0:',
  }
  const write = (rel, content) => {
    const full = path.join(tmp, rel)
    fs.mkdirSync(path.dirname(full), { recursive: true })
    fs.writeFileSync(full, content)
    return full
  }
  const mkdir = (rel) => fs.mkdirSync(path.join(tmp, rel), { recursive: true })
  const link = (target, rel) => fs.symlinkSync(target, path.join(tmp, rel))

  // Outside the root.
  write('secret.txt', `${m.secret}\n`)
  write('www2/sibling.txt', `${m.sibling}\n`)
  write(`outside/${m.outName}.txt`, `${m.outdir}\n`)
  write('outside/evil.sh', `#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n${m.outsideCgi}\\n'\n`)
  mkdir('pwn')

  // The root: ordinary files.
  const hello = `${m.hello}\n`
  write('www/hello.txt', hello)
  for (let i = 0; i < 10; i += 1) write(`www/n${i}.txt`, `N${i}-${id}\n`)
  write('www/smuggle-target.txt', `${m.smuggle}\n`)
  const big = Buffer.alloc(BIG_SIZE)
  for (let i = 0; i < BIG_SIZE; i += 1) big[i] = 97 + (i % 26)
  write('www/big.bin', big)
  write('www/dir/sub.txt', 'sub\n')
  mkdir('www/nested/deeper')
  write('www/victim.txt', 'VICTIM-ORIGINAL\n')

  // Directories the trailing-slash redirect answers for, named so that a careless Location
  // becomes an open redirect (//evil.example/dir, /\evil.example/dir, /<TAB>/evil.example/dir)
  // or a response split (CR LF in the name).
  mkdir('www/evil.example/dir')
  mkdir('www/\\evil.example/dir')
  mkdir('www/\t/evil.example/dir')
  mkdir('www/crlf\r\nX-Injected: yes')
  mkdir('www/lf\nX-Injected: yes')

  // Hostile names for the listing.
  write('www/<img src=x onerror=alert(1)>.txt', 'img\n')
  // '/' cannot be in a name: this one is the directory `"><script>alert(1)<` holding `script>/`.
  write('www/"><script>alert(1)</script>/x.txt', 'x\n')
  write('www/"><svg onload=alert(1)>/x.txt', 'x\n')
  write("www/'onmouseover='alert(1)'.txt", 'q\n')
  write('www/javascript:alert(1)', 'js\n')
  // Zip-slip: names a Windows extractor (or bsdtar, reading a ZIP) takes for paths out of the
  // folder it unpacks into, for folder downloads (`--archive`).
  write('www/slip/x\\..\\..\\..\\..\\pwn\\zip-slip.txt', 'slip\n')
  write('www/slip/C:\\pwn\\drive.txt', 'drive\n')
  write('www/slip/in\\..\\..\\dir/y.txt', 'y\n')

  // Dotfiles.
  write('www/.env', `SECRET_KEY=${m.dotenv}\n`)
  write('www/.git/config', `[core]\n\t# ${m.gitcfg}\n`)

  // Symlinks out of the root, and a few that stay inside.
  link('../secret.txt', 'www/link-secret')
  link(path.join(tmp, 'secret.txt'), 'www/link-secret-abs')
  link('/etc/passwd', 'www/link-passwd')
  link('../outside', 'www/link-outdir')
  link(outside, 'www/link-outdir-abs')
  link('../../../outside', 'www/nested/deeper/link-up')
  link('..', 'www/link-parent')
  link('chain2', 'www/chain1')
  link('../secret.txt', 'www/chain2')
  link('..', 'www/dir/up')
  link('loop-b', 'www/loop-a')
  link('loop-a', 'www/loop-b')
  link('self-loop', 'www/self-loop')
  link('.', 'www/loopdir')
  link('hello.txt', 'www/inside-link.txt')

  // CGI.
  const echo = [
    '#!/bin/sh',
    `# ${m.echoSrc}`,
    "printf 'Content-Type: text/plain\\r\\n\\r\\n'",
    "printf 'ARGC=%s\\n' \"$#\"",
    "for a in \"$@\"; do printf 'ARGV=[%s]\\n' \"$a\"; done",
    "printf 'UID=%s\\n' \"$(id -u)\"",
    "printf 'ENV-BEGIN\\n'",
    'env',
    "printf 'ENV-END\\n'",
    'read_stdin=',
    'case "$CONTENT_LENGTH" in [1-9]*) read_stdin=1 ;; esac',
    'case "$QUERY_STRING" in *stdin=1*) read_stdin=1 ;; esac',
    "if [ -n \"$read_stdin\" ]; then printf 'STDIN-BEGIN\\n'; cat; printf '\\nSTDIN-END\\n'; fi",
    '',
  ].join('\n')
  write('www/cgi-bin/echo.sh', echo)
  write('www/cgi-bin/slow.sh', "#!/bin/sh\nsleep 1\nprintf 'Content-Type: text/plain\\r\\n\\r\\nSLOW-DONE\\n'\n")
  write('www/cgi-bin/noexec.sh', `#!/bin/sh\n# ${m.noexecSrc}\nprintf 'Content-Type: text/plain\\r\\n\\r\\nran\\n'\n`)
  write('www/cgi-bin/subdir/inner.txt', 'inner\n')
  link('../../outside/evil.sh', 'www/cgi-bin/outside.sh')

  // Tests run as root; scripts run as nobody, who must be able to reach them.
  walkChmod(tmp, 0o755)
  fs.chmodSync(path.join(root, 'cgi-bin/noexec.sh'), 0o644)
  fs.chmodSync(pwn, 0o777)

  return {
    id,
    tmp,
    root,
    outside,
    pwn,
    markers: m,
    hello,
    bigSize: BIG_SIZE,
    nContent: (i) => `N${i}-${id}\n`,
    cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }),
  }
}
