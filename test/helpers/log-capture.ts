/** Log lines as the service writes them, parsed: give `stream` to the logger options. */
import { Writable } from 'node:stream'

export interface CapturedLog { stream: Writable, lines: Array<Record<string, unknown>>, text: () => string }

export function captureLog (): CapturedLog {
  const lines: Array<Record<string, unknown>> = []
  let raw = ''
  const stream = new Writable({
    write (chunk: Buffer, _enc, done) {
      raw += chunk.toString('utf8')
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line))
      done()
    }
  })
  return { stream, lines, text: () => raw }
}
