/**
 * Authentication and authorisation (design §2, §5 "Tokens"; research §2.11, §4.4 A1–A14).
 * Tokens are built by hand (base64url header.payload.signature) so that every field is under the
 * test's control. Every bad token is a 401 UNAUTHENTICATED that writes nothing; every refusal of
 * an authenticated request is a 403 FORBIDDEN that writes exactly one `refusal` audit entry.
 */
import t, { type Test } from 'tap'
import { createHmac, createSign, generateKeyPairSync } from 'node:crypto'
import type { LightMyRequestResponse, RouteOptions } from 'fastify'
import { buildApp } from '../../src/api/app.ts'
import { ROLES } from '../../src/principal.ts'
import { build, testAppConfig, ADMIN, AUDITOR, CALLER, ISSUER, TEST_MASTER, TEST_SECRET } from '../helpers/app.ts'
import { stewardOf } from '../helpers/claims.ts'
import { fileConnector } from '../helpers/registry.ts'
import { omit } from '../helpers/omit.ts'
import { verification } from '../helpers/verifications.ts'
import { Keyring } from '../../src/keys/keyring.ts'
import type { TokenClaims } from '../../src/tokens.ts'
import { testDatabase } from '../helpers/db.ts'
import { makePeople } from '../../src/demo/population.ts'

type Claims = Record<string, unknown>

const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

function hmacToken (
  header: Claims,
  payload: Claims,
  secret: Uint8Array | string = TEST_SECRET,
  hash = 'sha256'
): string {
  const signingInput = b64(header) + '.' + b64(payload)
  return signingInput + '.' + createHmac(hash, secret).update(signingInput).digest('base64url')
}

const now = (): number => Math.floor(Date.now() / 1000)
const HS = { alg: 'HS256', typ: 'JWT' }
const claims = (extra: Claims = {}): Claims => ({
  sub: 'ops-1',
  role: 'admin',
  aud: 'shifou',
  iss: ISSUER,
  iat: now(),
  exp: now() + 3600,
  ...extra
})
const without = (name: string, extra: Claims = {}): Claims => {
  const c = claims(extra)
  delete c[name]
  return c
}

const database = await testDatabase(t)
const { app, as } = await build(t, { database })

async function auditCount (): Promise<number> {
  const [row] = await database.query<{ n: number | string }>('select count(*) as n from audit_entries')
  return Number(row!.n)
}
async function lastEntry (): Promise<{ kind: string, code: string | null, actor_sub: string, actor_role: string }> {
  const [row] = await database.query<{ kind: string, code: string | null, actor_sub: string, actor_role: string }>(
    'select kind, code, actor_sub, actor_role from audit_entries order by index desc limit 1')
  return row!
}

async function raw (headers: Record<string, string>, url = '/v1/departments'): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url, headers })
}

/** A 401 UNAUTHENTICATED that does not echo the token and writes no audit entry. */
async function expect401 (
  t: Test,
  res: LightMyRequestResponse | Promise<LightMyRequestResponse>,
  token: string | null,
  what: string,
  before: number
): Promise<void> {
  const r = await res
  t.equal(r.statusCode, 401, what + ': status')
  t.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8', what + ': problem+json')
  t.equal(r.json().code, 'UNAUTHENTICATED', what + ': code')
  if (token !== null && token.length > 0) {
    t.notOk(r.body.includes(token), what + ': the token is not echoed')
    for (const part of token.split('.')) {
      if (part.length >= 8) t.notOk(r.body.includes(part), what + ': no token segment is echoed')
    }
  }
  t.equal(await auditCount(), before, what + ': no audit entry')
}

t.test('a hand-built token with every required claim is accepted (the control for what follows)', async (t) => {
  const res = await raw({ authorization: 'Bearer ' + hmacToken(HS, claims()) })
  t.equal(res.statusCode, 200, res.body)
  // exp in the past but within the 5 s clock tolerance still passes
  const tolerated = await raw({ authorization: 'Bearer ' + hmacToken(HS, claims({ exp: now() - 2 })) })
  t.equal(tolerated.statusCode, 200, tolerated.body)
  // and so does an iat a moment ahead of this clock
  const ahead = await raw({ authorization: 'Bearer ' + hmacToken(HS, claims({ iat: now() + 2 })) })
  t.equal(ahead.statusCode, 200, ahead.body)
})

t.test('missing and malformed Authorization headers', async (t) => {
  const before = await auditCount()
  const valid = hmacToken(HS, claims())
  await expect401(t, raw({}), null, 'no header', before)
  const cases: Array<[string, string]> = [
    ['empty', ''],
    ['scheme only', 'Bearer'],
    ['scheme and space', 'Bearer '],
    ['basic', 'Basic ' + Buffer.from('ops-1:secret').toString('base64')],
    ['wrong scheme, valid token', 'Token ' + valid],
    ['no scheme', valid],
    ['not a JWT', 'Bearer not-a-jwt'],
    ['three empty segments', 'Bearer ..'],
    ['garbage segments', 'Bearer a.b.c'],
    ['two segments', 'Bearer ' + valid.split('.').slice(0, 2).join('.')],
    ['four segments', 'Bearer ' + valid + '.AAAA'],
    ['trailing data', 'Bearer ' + valid + ' extra'],
    ['header is not JSON', 'Bearer ' + b64('{"alg":') + '.' + valid.split('.').slice(1).join('.')],
    ['payload is not JSON', 'Bearer ' + valid.split('.')[0] + '.' + b64('not json') + '.' + valid.split('.')[2]],
    ['payload is a JSON array', 'Bearer ' + hmacToken(HS, [] as unknown as Claims)]
  ]
  for (const [what, header] of cases) {
    await expect401(t, raw({ authorization: header }), header.replace(/^\w+ /, ''), what, before)
  }
})

t.test('alg none in every spelling, with an empty or missing signature', async (t) => {
  const before = await auditCount()
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const unsigned = b64({ alg, typ: 'JWT' }) + '.' + b64(claims())
    await expect401(
      t,
      raw({ authorization: 'Bearer ' + unsigned + '.' }),
      unsigned,
      `alg ${alg}, empty signature`,
      before
    )
    await expect401(
      t,
      raw({ authorization: 'Bearer ' + unsigned }),
      unsigned,
      `alg ${alg}, no signature segment`,
      before
    )
    // a none header over a valid HS256 signature
    const signed = hmacToken(HS, claims())
    const swapped = b64({ alg, typ: 'JWT' }) + '.' + signed.split('.').slice(1).join('.')
    await expect401(
      t,
      raw({ authorization: 'Bearer ' + swapped }),
      swapped,
      `alg ${alg} over an HS256 signature`,
      before
    )
  }
  const noAlg = b64({ typ: 'JWT' }) + '.' + b64(claims()) + '.'
  await expect401(t, raw({ authorization: 'Bearer ' + noAlg }), noAlg, 'no alg at all', before)
})

t.test('wrong signatures and algorithm confusion', async (t) => {
  const before = await auditCount()
  const other = new Uint8Array(32).fill(8)
  const cases: Array<[string, string]> = [
    ['another secret', hmacToken(HS, claims(), other)],
    ['signature of another payload', (() => {
      const a = hmacToken(HS, claims())
      const b = hmacToken(HS, claims({ sub: 'someone-else' }))
      return a.split('.').slice(0, 2).join('.') + '.' + b.split('.')[2]
    })()],
    ['signature stripped', hmacToken(HS, claims()).split('.').slice(0, 2).join('.') + '.'],
    ['signature flipped in one byte', (() => {
      const tok = hmacToken(HS, claims())
      const [h, p, s] = tok.split('.') as [string, string, string]
      const sig = Buffer.from(s, 'base64url')
      sig[0] = sig[0]! ^ 1
      return `${h}.${p}.${sig.toString('base64url')}`
    })()],
    // the right secret, but not the pinned algorithm
    ['HS384 with the right secret', hmacToken({ alg: 'HS384', typ: 'JWT' }, claims(), TEST_SECRET, 'sha384')],
    ['HS512 with the right secret', hmacToken({ alg: 'HS512', typ: 'JWT' }, claims(), TEST_SECRET, 'sha512')],
    ['HS256 header, HS512 signature', hmacToken(HS, claims(), TEST_SECRET, 'sha512')]
  ]
  for (const [what, token] of cases) await expect401(t, raw({ authorization: 'Bearer ' + token }), token, what, before)

  // RS256 and the HS/RS confusion: an RSA key pair the service has never seen, and its public key
  // used as an HMAC secret (CVE-2023-48223, GHSA-mvf2-f6gm-w987).
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  const jwk = JSON.stringify(publicKey.export({ format: 'jwk' }))
  const rsInput = b64({ alg: 'RS256', typ: 'JWT' }) + '.' + b64(claims())
  const rs256 = rsInput + '.' + createSign('RSA-SHA256').update(rsInput).sign(privateKey).toString('base64url')
  const confusion: Array<[string, string]> = [
    ['RS256 token', rs256],
    ['HS256 signed with the PEM public key', hmacToken(HS, claims(), pem)],
    ['HS256 signed with the PEM public key behind a newline', hmacToken(HS, claims(), '\n' + pem)],
    ['HS256 signed with the PEM public key behind a space', hmacToken(HS, claims(), ' ' + pem)],
    ['HS256 signed with the PEM public key behind a zero-width space', hmacToken(HS, claims(), '\u200b' + pem)],
    ['HS256 signed with the JWK public key', hmacToken(HS, claims(), jwk)],
    ['HS256 signed with the JWKS', hmacToken(HS, claims(), JSON.stringify({ keys: [JSON.parse(jwk)] }))]
  ]
  const { privateKey: ecPrivate } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const esInput = b64({ alg: 'ES256', typ: 'JWT' }) + '.' + b64(claims())
  confusion.push([
    'ES256 token',
    esInput +
    '.' +
    createSign('SHA256').update(esInput).sign({ key: ecPrivate, dsaEncoding: 'ieee-p1363' }).toString('base64url')
  ])
  confusion.push(['ES256 header, signature stripped', esInput + '.'])
  for (const [what, token] of confusion) {
    await expect401(t, raw({ authorization: 'Bearer ' + token }), token, what, before)
  }
})

t.test('registered claims: aud, iss, exp, iat, sub are required and checked', async (t) => {
  const before = await auditCount()
  const cases: Array<[string, Claims]> = [
    ['missing aud', without('aud')],
    ['wrong aud', claims({ aud: 'someone-else' })],
    ['aud differing in case', claims({ aud: 'Shifou' })],
    ['aud as a prefix match', claims({ aud: 'shifou-admin' })],
    ['aud array with one wrong value', claims({ aud: ['shifou', 'someone-else'] })],
    ['aud array with the wrong value first', claims({ aud: ['someone-else', 'shifou'] })],
    ['aud array of the right value only', claims({ aud: ['shifou'] })],
    ['aud empty array', claims({ aud: [] })],
    ['aud as a number', claims({ aud: 1 })],
    ['missing iss', without('iss')],
    ['wrong iss', claims({ iss: 'https://idp.example' })],
    ['iss as an array', claims({ iss: [ISSUER] })],
    ['missing exp', without('exp')],
    ['exp past the tolerance', claims({ exp: now() - 10 })],
    ['exp long past', claims({ iat: now() - 7200, exp: now() - 3600 })],
    ['exp as a string', claims({ exp: String(now() + 3600) })],
    ['missing iat', without('iat')],
    ['iat as a string', claims({ iat: String(now()) })],
    ['iat in the future beyond the tolerance', claims({ iat: now() + 600 })],
    ['nbf in the future', claims({ nbf: now() + 600 })],
    ['missing sub', without('sub')],
    ['empty sub', claims({ sub: '' })],
    ['sub with a space', claims({ sub: 'ops 1' })],
    ['sub too long', claims({ sub: 'a'.repeat(129) })],
    ['sub as a number', claims({ sub: 42 })]
  ]
  for (const [what, payload] of cases) {
    const token = hmacToken(HS, payload)
    await expect401(t, raw({ authorization: 'Bearer ' + token }), token, what, before)
  }
})

t.test('role claims: unknown roles, dept_admin without dept, subject without a valid idNumber', async (t) => {
  const before = await auditCount()
  const cases: Array<[string, Claims]> = [
    ['missing role', without('role')],
    ['unknown role', claims({ role: 'superadmin' })],
    ['role in another case', claims({ role: 'Admin' })],
    ['role as an array', claims({ role: ['admin'] })],
    ['role as an object', claims({ role: { admin: true } })],
    ['dept_admin without dept', claims({ role: 'dept_admin' })],
    ['dept_admin with an empty dept', claims({ role: 'dept_admin', dept: '' })],
    ['dept_admin with a malformed dept', claims({ role: 'dept_admin', dept: 'Dept A' })],
    ['dept_admin with dept as an array', claims({ role: 'dept_admin', dept: ['dept-a'] })],
    ['subject without idNumber', claims({ role: 'subject' })],
    ['subject with a short idNumber', claims({ role: 'subject', idNumber: '123' })],
    ['subject with a wrong check digit', claims({ role: 'subject', idNumber: '110105194912310022' })],
    // eslint-disable-next-line no-loss-of-precision -- the point: an ID sent as a JSON number has lost digits
    ['subject with idNumber as a number', claims({ role: 'subject', idNumber: 110105194912310021 })]
  ]
  for (const [what, payload] of cases) {
    const token = hmacToken(HS, payload)
    await expect401(t, raw({ authorization: 'Bearer ' + token }), token, what, before)
  }

  // A well-formed subject token is authenticated: the admin route refuses it with 403 (audited).
  const person = makePeople(1, 5)[0]!
  const subject = await raw({
    authorization: 'Bearer ' + hmacToken(HS, claims({ role: 'subject', sub: 'citizen-1', idNumber: person.idNumber }))
  })
  t.equal(subject.statusCode, 403, subject.body)
  t.equal(subject.json().code, 'FORBIDDEN')
  t.notOk(subject.body.includes(person.idNumber))
  t.equal(await auditCount(), before + 1)
  t.match(await lastEntry(), { kind: 'refusal', code: 'FORBIDDEN', actor_sub: 'citizen-1', actor_role: 'subject' })
})

t.test('a payload changed after signing keeps its old signature and is refused', async (t) => {
  const before = await auditCount()
  const caller = hmacToken(HS, claims({ sub: 'demo-housing', role: 'caller' }))
  const [h, , s] = caller.split('.') as [string, string, string]
  const cases: Array<[string, Claims]> = [
    ['role caller → admin', claims({ sub: 'demo-housing', role: 'admin' })],
    ['sub changed', claims({ sub: 'ops-1', role: 'caller' })],
    ['exp extended', claims({ sub: 'demo-housing', role: 'caller', exp: now() + 86400 * 365 })]
  ]
  for (const [what, payload] of cases) {
    const forged = `${h}.${b64(payload)}.${s}`
    await expect401(t, raw({ authorization: 'Bearer ' + forged }), forged, what, before)
  }
  // the untouched caller token is authenticated (403 on an admin route, not 401)
  const res = await raw({ authorization: 'Bearer ' + caller })
  t.equal(res.statusCode, 403)
})

t.test('a token in the query string is not accepted', async (t) => {
  const before = await auditCount()
  const token = hmacToken(HS, claims())
  for (const name of ['token', 'access_token', 'jwt', 'authorization', 'bearer']) {
    await expect401(t, raw({}, `/v1/departments?${name}=${token}`), token, `?${name}=`, before)
  }
  await expect401(t, raw({ cookie: 'token=' + token }), token, 'cookie', before)
})

t.test('no bad token is ever a 5xx', async (t) => {
  const before = await auditCount()
  const junk = [
    'Bearer \u0000',
    'Bearer ' + 'a'.repeat(8000),
    'Bearer ' + b64('{}') + '.' + b64('{}') + '.',
    'Bearer ' + b64('null') + '.' + b64('null') + '.x',
    'Bearer ' + b64({ alg: 'HS256', crit: ['exp'] }) + '.' + b64(claims()) + '.x',
    'Bearer ' + b64({ alg: 'HS256', kid: '../../dev/null' }) + '.' + b64(claims()) + '.x',
    'Bearer ' + b64({ alg: 'HS256', jku: 'http://127.0.0.1:1/jwks' }) + '.' + b64(claims()) + '.x',
    'Bearer ' + b64({ alg: 'HS256', b64: false, crit: ['b64'] }) + '.' + b64(claims()) + '.x'
  ]
  for (const header of junk) {
    await expect401(t, raw({ authorization: header }), header.slice(7), JSON.stringify(header.slice(0, 40)), before)
  }
})

t.test('role checks: each route serves its roles only; every 403 is one refusal entry', async (t) => {
  const admin = as(ADMIN)
  for (const [id, name] of [['dept-a', 'Department A'], ['dept-b', 'Department B']]) {
    t.equal((await admin('POST', '/v1/departments', { id, name })).statusCode, 201)
  }
  const connector = (id: string, department: string): Record<string, unknown> =>
    fileConnector(id, department, [{ name: 'score', type: 'integer' }])
  t.equal((await admin('POST', '/v1/connectors', connector('conn-a', 'dept-a'))).statusCode, 201)
  t.equal((await admin('POST', '/v1/connectors', connector('conn-b', 'dept-b'))).statusCode, 201)
  const person = makePeople(1, 9)[0]!
  const csv = `id_number,score\n${person.idNumber},7\n`
  const asOf = '2025-01-01'

  const DEPT_A = stewardOf('dept-a')

  async function refused (
    t: Test,
    who: TokenClaims,
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>
  ): Promise<void> {
    const what = `${who.role} ${method} ${url}`
    const before = await auditCount()
    const res = await as(who)(method, url, body, headers)
    t.equal(res.statusCode, 403, what + ': ' + res.body)
    t.equal(res.json().code, 'FORBIDDEN', what + ': code')
    t.notOk(res.body.includes(person.idNumber), what + ': no identifier echoed')
    t.equal(await auditCount(), before + 1, what + ': one audit entry')
    t.match(
      await lastEntry(),
      { kind: 'refusal', code: 'FORBIDDEN', actor_sub: who.sub, actor_role: who.role },
      what + ': the entry is the refusal'
    )
  }

  const countOf = async (table: string): Promise<number> =>
    Number((await database.query<{ n: string }>(`select count(*) as n from ${table}`))[0]!.n)
  const departmentsBefore = await countOf('departments')
  const clientsBefore = await countOf('clients')

  // BFLA: a caller on admin and auditor routes
  await refused(t, CALLER, 'POST', '/v1/departments', { id: 'dept-c', name: 'Department C' })
  await refused(t, CALLER, 'POST', '/v1/clients', { id: 'evil', name: 'Evil', questions: [], purposes: ['x'] })
  await refused(t, CALLER, 'GET', '/v1/audit/entries')
  await refused(t, CALLER, 'POST', '/v1/audit/subject-search', {
    idNumber: person.idNumber,
    reason: 'curiosity killed'
  })
  await refused(t, CALLER, 'POST', '/v1/connectors', connector('conn-c', 'dept-a'))
  t.equal(await countOf('departments'), departmentsBefore, 'no department was created')
  t.equal(await countOf('clients'), clientsBefore, 'no client was created')

  // Only callers ask
  for (const who of [AUDITOR, ADMIN, DEPT_A]) {
    await refused(t, who, 'POST', '/v1/verifications', verification({ idNumber: person.idNumber, caseId: 'C-1' }))
  }
  // A dept_admin is not an admin or an auditor
  await refused(t, DEPT_A, 'POST', '/v1/departments', { id: 'dept-c', name: 'Department C' })
  await refused(t, DEPT_A, 'GET', '/v1/audit/entries')
  await refused(t, AUDITOR, 'POST', '/v1/clients', { id: 'evil', name: 'Evil', questions: [], purposes: ['x'] })

  // BOLA: dept-a's steward on dept-b's connector
  await refused(t, DEPT_A, 'GET', '/v1/connectors/conn-b')
  await refused(t, DEPT_A, 'GET', '/v1/connectors/conn-b/snapshots')
  const update = omit(connector('conn-b', 'dept-b'), 'id')
  await refused(t, DEPT_A, 'PUT', '/v1/connectors/conn-b', { ...update, title: 'Taken over' })
  await refused(t, DEPT_A, 'DELETE', '/v1/connectors/conn-b')
  await refused(t, DEPT_A, 'PUT', `/v1/connectors/conn-b/snapshot?asOf=${asOf}`, csv, { 'content-type': 'text/csv' })
  await refused(t, DEPT_A, 'POST', '/v1/connectors', connector('conn-b2', 'dept-b'))

  const [b] = await database.query<{ title: string, active: boolean, active_snapshot_id: unknown }>(
    "select title, active, active_snapshot_id from connectors where id = 'conn-b'"
  )
  t.same(b, { title: 'Connector conn-b', active: true, active_snapshot_id: null }, 'dept-b\'s connector is unchanged')
  t.equal(await countOf("snapshots where connector_id = 'conn-b'"), 0, 'no snapshot was started for dept-b')
  t.equal(await countOf("connectors where id = 'conn-b2'"), 0, 'no connector was created in dept-b')

  // ... while on its own department everything works (and writes change entries, not refusals)
  const a = as(DEPT_A)
  const get = await a('GET', '/v1/connectors/conn-a')
  t.equal(get.statusCode, 200, get.body)
  t.equal(get.json().department, 'dept-a')
  const list = await a('GET', '/v1/connectors')
  t.same(
    list.json().connectors.map((c: { id: string }) => c.id),
    ['conn-a'],
    'a dept_admin lists only its own connectors'
  )
  const updateA = omit(connector('conn-a', 'dept-a'), 'id')
  const put = await a('PUT', '/v1/connectors/conn-a', { ...updateA, title: 'Renamed' })
  t.equal(put.statusCode, 200, put.body)
  t.equal(put.json().title, 'Renamed')
  const load = await a('PUT', `/v1/connectors/conn-a/snapshot?asOf=${asOf}`, csv, { 'content-type': 'text/csv' })
  t.equal(load.statusCode, 201, load.body)
  t.equal(load.json().snapshot.rows, 1)
  t.equal((await a('GET', '/v1/connectors/conn-a/snapshots')).statusCode, 200)
  const created = await a('POST', '/v1/connectors', connector('conn-a2', 'dept-a'))
  t.equal(created.statusCode, 201, created.body)
  const del = await a('DELETE', '/v1/connectors/conn-a2')
  t.equal(del.statusCode, 204, del.body)
  t.match(await lastEntry(), { kind: 'change', actor_sub: DEPT_A.sub, actor_role: 'dept_admin' })
})

t.test('400s write no audit entry', async (t) => {
  const before = await auditCount()
  const res = await as(ADMIN)('POST', '/v1/departments', { id: 'Not Valid', name: 'x' })
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'INVALID_BODY')
  const unknown = await as(ADMIN)('POST', '/v1/departments', { id: 'dept-z', name: 'x', role: 'admin' })
  t.equal(unknown.statusCode, 400)
  t.equal(unknown.json().code, 'UNKNOWN_FIELD')
  t.equal(await auditCount(), before)
})

t.test('route inventory: every route declares its roles; public only for operations', async (t) => {
  const routes: RouteOptions[] = []
  const inventory = await buildApp({
    config: testAppConfig(),
    database,
    keyring: new Keyring(new Map([[1, TEST_MASTER]])),
    logger: false,
    onRoute: (route) => { routes.push(route) }
  })
  t.teardown(async () => { await inventory.close() })
  await inventory.ready()

  // The operations endpoints, plus the published verification keys: checkpoints (design §8) and
  // receipts (design §9) are meant to be checked by anyone, so their public keys are public; and the
  // files the service's own pages load in the browser (/assets); and the hub's key that department agents
  // check its lookups with (design §14.3).
  const PUBLIC = new RegExp('^(/healthz|/readyz|/metrics|/openapi\\.json|/docs.*|/v1/audit/checkpoint-key|' +
    '/v1/agent-key|/\\.well-known/jwks\\.json|/assets/:file|/console|/console/.*|/r|/v1/receipt-links/:token)$')
  // The console's session routes start and end a session, so no role can be asked of them: the
  // development sign-in exists only on the embedded default, sign-out needs the session's CSRF token.
  const PUBLIC_CHANGES = new Set(['POST /console/session/dev', 'DELETE /console/session'])
  const seen = new Set<string>()
  for (const route of routes) {
    const methods = ([] as string[]).concat(route.method)
    const name = `${methods.join(',')} ${route.url}`
    seen.add(name)
    const roles = route.config?.roles
    if (roles === 'public') {
      t.match(route.url, PUBLIC, name + ' may be public')
      t.ok(methods.every((m) => m === 'GET' || m === 'HEAD') || PUBLIC_CHANGES.has(name),
        name + ': public routes only read')
    } else {
      t.ok(Array.isArray(roles) && roles.length > 0, name + ' declares its roles')
      for (const role of roles ?? []) {
        t.ok((ROLES as readonly string[]).includes(role), `${name}: ${role} is a known role`)
      }
      t.ok(route.url.startsWith('/v1/'), name + ' is under /v1')
    }
  }
  // The walk saw the whole table, not an empty or partial list.
  for (const expected of [
    'POST /v1/verifications',
    'GET /v1/audit/entries',
    'POST /v1/departments',
    'PUT /v1/connectors/:id/snapshot',
    'POST /v1/clients',
    'GET /healthz',
    'GET /metrics',
    'GET /openapi.json'
  ]) {
    t.ok(seen.has(expected), 'the inventory holds ' + expected)
  }
  t.ok(routes.some((r) => r.url.startsWith('/docs')), 'the inventory holds the Swagger UI routes')
  t.ok(routes.length >= 30, `${routes.length} routes walked`)
  // Exactly the operations endpoints are public
  const publicUrls = new Set(routes.filter((r) => r.config?.roles === 'public').map((r) => r.url))
  for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json']) t.ok(publicUrls.has(url), url + ' is public')
  const verifications = routes.find((r) => r.url === '/v1/verifications' && r.method === 'POST')!
  t.same(verifications.config?.roles, ['caller'], 'only callers ask')
  const entries = routes.find((r) => r.url === '/v1/audit/entries' && r.method === 'GET')!
  t.same(entries.config?.roles, ['auditor'], 'only auditors read the log')
})
