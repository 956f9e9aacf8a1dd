/**
 * A closed pipe is not an error of the command: `shifou receipt verify … | head -1` or
 * `shifou token … | true` close standard output early. Node ignores SIGPIPE, so the next write
 * fails with EPIPE, which would crash the command with a stack trace. Instead, once a standard
 * stream is closed, later writes to it are dropped and the command finishes its work and exits
 * with its own status: a load is not abandoned half-sent because nobody reads its report.
 */
const GONE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END'])

function tolerateClosedPipe (stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== undefined && GONE.has(err.code)) {
      stream.write = ((_chunk: unknown, encoding?: unknown, callback?: unknown) => {
        const done = typeof encoding === 'function' ? encoding : callback
        if (typeof done === 'function') queueMicrotask(() => (done as () => void)())
        return true
      }) as typeof stream.write
      return
    }
    // Another failure of a standard stream (a full disk behind a redirection): nothing can be said.
    process.exitCode = process.exitCode === undefined || process.exitCode === 0 ? 1 : process.exitCode
  })
}

let installed = false

export function tolerateClosedPipes (): void {
  if (installed) return
  installed = true
  tolerateClosedPipe(process.stdout)
  tolerateClosedPipe(process.stderr)
}
