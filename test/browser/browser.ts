/**
 * Real-browser tests (design §14.4): Debian's Chromium (`/usr/bin/chromium`, or SHIFOU_CHROMIUM)
 * driven by playwright-core, against the real app listening on a free port of 127.0.0.1.
 *
 *   const { app } = await build(t)           // test/helpers/app.ts, as for inject tests
 *   const base = await listen(t, app)        // http://127.0.0.1:<port>
 *   const page = await newPage(t)            // a fresh context; closed at teardown
 *   await page.goto(base + '/r#…')
 *   t.same(await seriousViolations(page), [])
 *   const text = decodeQr(await page.screenshot())
 *
 * One browser per test process, launched on first use and closed when the process's tests end.
 * `.ci/run` installs chromium when it is absent.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core'
import jsqr from 'jsqr'
import { PNG } from 'pngjs'
import type { Teardown } from '../helpers/db.ts'

export const CHROMIUM = process.env.SHIFOU_CHROMIUM ?? '/usr/bin/chromium'

let browser: Promise<Browser> | null = null

/** The shared browser of this test process. */
export async function launchBrowser (): Promise<Browser> {
  if (browser === null) {
    // --no-sandbox: CI and these machines run tests as root, where Chromium's sandbox cannot start.
    browser = chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] })
    t.teardown(async () => { await (await browser!).close() })
  }
  return await browser
}

/** Makes `app` (built and ready) listen on a free port of 127.0.0.1; its base URL. build(t) closes it. */
export async function listen (_t: Teardown, app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

/** A page in a fresh browser context (its own cookies and storage), closed at teardown. */
export async function newPage (t: Teardown, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await (await launchBrowser()).newContext({ locale: 'zh-CN', ...options })
  t.teardown(async () => { await context.close() })
  return await context.newPage()
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

// jsqr is CommonJS whose types declare an ES default export: under nodenext its default import is
// the module object to TypeScript, and the function itself at run time.
const jsQR = jsqr as unknown as typeof jsqr.default

export interface Violation { id: string, impact: string, help: string, nodes: string[] }

/**
 * axe-core's serious and critical violations on the page as it stands (WCAG 2.1 A and AA rules
 * and best practices). axe is evaluated through the DevTools protocol, so the page's CSP (no
 * inline script) stays as it is served.
 */
export async function seriousViolations (page: Page): Promise<Violation[]> {
  await page.evaluate(axeSource)
  const found = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (o: unknown) => Promise<{ violations: unknown[] }> } }).axe
    return (await axe.run({ resultTypes: ['violations'] })).violations as Array<{
      id: string
      impact: string
      help: string
      nodes: Array<{ target: string[] }>
    }>
  })
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }))
}

/** The text of the QR code in a PNG image (a screenshot), as a phone camera would read it; null if none. */
export function decodeQr (png: Buffer): string | null {
  const image = PNG.sync.read(png)
  const code = jsQR(new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length),
    image.width, image.height)
  return code?.data ?? null
}
