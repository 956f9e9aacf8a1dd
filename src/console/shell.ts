/**
 * The one HTML page of the console: a shell that loads the console's modules, which draw each view
 * from the API. Chinese by default, English at ?lang=en (design §14.4). No inline script or style:
 * the Content-Security-Policy below allows only the service's own files.
 */

export type Lang = 'zh' | 'en'

export function langOf (query: unknown): Lang {
  return typeof query === 'string' && query.toLowerCase() === 'en' ? 'en' : 'zh'
}

/** The console's Content-Security-Policy: its own scripts, styles and API, nothing inline, no framing. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join('; ')

export function consoleShell (lang: Lang): string {
  const zh = lang === 'zh'
  return `<!doctype html>
<html lang="${zh ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${zh ? '是否 · 控制台' : 'shifou · console'}</title>
<link rel="stylesheet" href="/assets/console.css">
<script type="module" src="/assets/console.js"></script>
</head>
<body>
<a class="skip" href="#main">${zh ? '跳到正文' : 'Skip to content'}</a>
<header id="top"></header>
<main id="main" tabindex="-1"><p>${zh ? '正在加载…' : 'Loading…'}</p></main>
</body>
</html>
`
}

/** The page the OpenID Connect callback answers with: it moves on to the console by a same-site navigation. */
export function continuePage (lang: Lang, target: string, message: string | null): string {
  const zh = lang === 'zh'
  const title = message === null ? (zh ? '已登录' : 'Signed in') : (zh ? '登录失败' : 'Sign-in failed')
  // A meta refresh, not a redirect: the SameSite=Strict session cookie is sent only on a navigation
  // that starts on shifou's own page, and the redirect from the provider would start on its page.
  const refresh = message === null ? `<meta http-equiv="refresh" content="0; url=${target}">\n` : ''
  const body = message === null
    ? `<p><a href="${target}">${zh ? '进入控制台' : 'Go to the console'}</a></p>`
    : `<p role="alert">${escapeHtml(message)}</p><p><a href="${target}">${zh ? '返回登录' : 'Back to sign-in'}</a></p>`
  return `<!doctype html>
<html lang="${zh ? 'zh-CN' : 'en'}">
<head>
<meta charset="utf-8">
${refresh}<title>${title}</title>
<link rel="stylesheet" href="/assets/console.css">
</head>
<body><main id="main"><h1>${title}</h1>${body}</main></body>
</html>
`
}

export function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
