/**
 * A closed pipe is no crash: `shifou --help | head -1`, `shifou token … | true`. Node ignores
 * SIGPIPE, so without src/cli/stdio.ts the next write fails with EPIPE and the command dies with a
 * stack trace and exit 1. Our end of the pipe is closed before the command writes, so that every
 * write meets a closed pipe (a shell pipeline may let a short output through before the reader
 * exits); the shell pipelines are run too, as users write them.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_SECRET } from '../helpers/app.ts'
import { BIN, shifou } from '../helpers/cli.ts'

const dir = mkdtempSync(join(tmpdir(), 'shifou-cli-pipes-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const env = { SHIFOU_JWT_SECRET: Buffer.from(TEST_SECRET).toString('base64'), DATABASE_URL: 'postgres://unused' }

t.test('closed standard output', async (t) => {
  const help = await shifou(['--help'], { cwd: dir, closeStdout: true })
  t.equal(help.code, 0, help.stderr)
  t.equal(help.stderr, '', 'no EPIPE stack trace')
  const loadHelp = await shifou(['load', '--help'], { cwd: dir, closeStdout: true })
  t.equal(loadHelp.code, 0, loadHelp.stderr)
  t.equal(loadHelp.stderr, '')
  const token = await shifou(['token', '--role', 'admin', '--sub', 'ops-1'], { cwd: dir, env, closeStdout: true })
  t.equal(token.code, 0, token.stderr)
  t.equal(token.stderr, '')
})

t.test('closed standard error: a usage error still exits 2', async (t) => {
  const r = await shifou(['load', '--connector', 'tax'], { cwd: dir, closeStderr: true })
  t.equal(r.code, 2)
  t.equal(r.signal, null)
})

t.test('as a shell pipeline', async (t) => {
  const pipeline = (command: string): { status: number | null, stdout: string, stderr: string } => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${command}`], {
      cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir, ...env }, encoding: 'utf8'
    })
    return { status: r.status, stdout: r.stdout, stderr: r.stderr }
  }
  const head = pipeline(`node ${BIN} --help | head -1`)
  t.equal(head.status, 0, head.stderr)
  t.match(head.stdout, /^shifou \S+ — privacy-preserving yes\/no verification/)
  t.equal(head.stdout.split('\n').length, 2, 'one line')
  t.equal(head.stderr, '')
  const sink = pipeline(`node ${BIN} token --role admin --sub ops-1 | true`)
  t.equal(sink.status, 0, sink.stderr)
  t.equal(sink.stderr, '')
})
