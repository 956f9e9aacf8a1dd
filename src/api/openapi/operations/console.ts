/** Catalogue of the console's own routes (design §14.4; docs/console.md): its page and its session. */
import type { Catalogue } from '../catalogue.ts'

export const consoleOperations: Catalogue = {
  'GET /console': {
    operationId: 'getConsole',
    summary: 'The web console (Chinese; ?lang=en for English)',
    responseContent: { 'text/html': { schema: { type: 'string' }, example: '<!doctype html>…' } }
  },
  'GET /console/session': {
    operationId: 'getConsoleSession',
    summary: 'Who is signed in to the console, and how to sign in',
    response: {
      signedIn: true,
      role: 'auditor',
      sub: 'audit-office-7',
      csrf: 'KyRm8ZjtdXNliu_wykA-34e9nbGZCve1xEHh46v8tIE',
      idleSeconds: 900,
      signIn: { oidc: true, dev: false }
    }
  },
  'POST /console/session/dev': {
    operationId: 'devSignIn',
    summary: 'The development sign-in of the embedded default',
    errors: ['INVALID_ID_NUMBER', 'NOT_FOUND'],
    request: { role: 'dept_admin', dept: 'tax' },
    response: { role: 'dept_admin', csrf: 'KyRm8ZjtdXNliu_wykA-34e9nbGZCve1xEHh46v8tIE' }
  },
  'GET /console/oidc/login': {
    operationId: 'oidcSignIn',
    summary: 'Sign in to the console with the identity provider (OpenID Connect; when configured)',
    description: 'Redirects (302) to the identity provider; a page (200) says when it cannot be reached.',
    responseContent: { 'text/html': { schema: { type: 'string', description: 'the provider cannot be reached' } } }
  },
  'GET /console/oidc/callback': {
    operationId: 'oidcCallback',
    summary: 'Where the identity provider sends the browser back (OpenID Connect; when configured)',
    responseContent: { 'text/html': { schema: { type: 'string' } } },
    contentByStatus: {
      401: { 'text/html': { schema: { type: 'string', description: 'the sign-in failed, and why' } } }
    }
  },
  'DELETE /console/session': {
    operationId: 'signOut',
    summary: 'Sign out of the console',
    errors: ['CSRF_TOKEN_INVALID']
  }
}
