/**
 * Consent (issue "consent"): a question registered with requiresConsent is answered only with a
 * consent token from a configured issuer, made here with jose (an independent JOSE library).
 * Every failure — missing, malformed, forged, unknown issuer or key, wrong alg or audience,
 * expired, another subject, caller, purpose or question, replayed — is refused with its code,
 * audited as a refusal, and reads no record. The jti of a consent is in the answer's entry.
 */
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as jose from 'jose'
import { build, ADMIN, CALLER } from '../helpers/app.ts'
import { verification } from '../helpers/verifications.ts'
import { testDatabase } from '../helpers/db.ts'
import { loadDemo, DEMO_CLIENT, DEMO_PURPOSE, DEMO_QUESTIONS } from '../../src/demo/demo.ts'
import { consentSubjectHash } from '../../src/consent/subject.ts'
import { parseConsentIssuers } from '../../src/consent/issuers.ts'
import { parseEntry } from '../../src/audit/entry.ts'
import type { Database } from '../../src/db/client.ts'

const Q = 'property.none.consented'
const dir = mkdtempSync(join(tmpdir(), 'shifou-consent-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const kiosk = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
const portal = await jose.generateKeyPair('ES256', { extractable: true })
const stranger = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
const pub = async (key: jose.CryptoKey, kid: string, alg: string): Promise<jose.JWK> => ({
  ...(await jose.exportJWK(key)),
  kid,
  alg
})
const issuersDoc = {
  issuers: [
    { iss: 'kiosk.example', jwks: { keys: [await pub(kiosk.publicKey, 'kiosk-1', 'EdDSA')] } },
    { iss: 'portal.example', jwks: { keys: [await pub(portal.publicKey, 'portal-1', 'ES256')] } }
  ]
}
const issuersFile = join(dir, 'issuers.json')
writeFileSync(issuersFile, JSON.stringify(issuersDoc))

interface ConsentOptions {
  iss?: string
  kid?: string
  alg?: string
  key?: jose.CryptoKey | Uint8Array
  aud?: string | string[]
  subject?: string
  questions?: string[]
  cli?: string
  pur?: string
  exp?: number
  iat?: number
  jti?: string | null
}

async function consent (idNumber: string, o: ConsentOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const claims: jose.JWTPayload = {
    sub_h: consentSubjectHash(o.subject ?? idNumber),
    questions: o.questions ?? [Q],
    cli: o.cli ?? DEMO_CLIENT,
    pur: o.pur ?? DEMO_PURPOSE
  }
  let jwt = new jose.SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'EdDSA', kid: o.kid ?? 'kiosk-1' })
    .setIssuer(o.iss ?? 'kiosk.example')
    .setAudience(o.aud ?? 'shifou')
    .setIssuedAt(o.iat ?? now)
    .setExpirationTime(o.exp ?? now + 600)
  if (o.jti !== null) jwt = jwt.setJti(o.jti ?? randomUUID())
  return await jwt.sign(o.key ?? kiosk.privateKey)
}

/** The test database, with every record lookup counted (on `records` or one snapshot's own records_s<id>). */
function counting (database: Database): { database: Database, lookups: () => number } {
  let n = 0
  return {
    database: {
      ...database,
      query: async (text, params) => {
        if (/from records(_s\d+)?\b/.test(text)) n++
        return await database.query(text, params)
      }
    } as Database,
    lookups: () => n
  }
}

t.test('consent', async (t) => {
  const counted = counting(await testDatabase(t))
  const { database, keyring, as } = await build(t, { database: counted.database, consentIssuersFile: issuersFile })
  const { people } = await loadDemo(database, keyring, 20)
  const person = people[2]!
  const caller = as(CALLER)
  const admin = as(ADMIN)

  const q = await admin('POST', '/v1/questions', {
    id: Q,
    connector: 'realestate',
    title: 'Holds no registered property (with consent)',
    when: { not: { any: {} } },
    requiresConsent: true
  })
  t.equal(q.statusCode, 201, q.body)
  t.equal((await admin('GET', `/v1/questions/${Q}`)).json().requiresConsent, true)
  const allowed = await admin('PUT', `/v1/clients/${DEMO_CLIENT}`, {
    name: 'Demo housing subsidy approval system',
    organisation: 'demo-housing-bureau',
    questions: [...DEMO_QUESTIONS.map((x) => x.id), Q],
    purposes: [DEMO_PURPOSE, 'public-rental-flat']
  })
  t.equal(allowed.statusCode, 200, allowed.body)
  const listed = (await caller('GET', '/v1/questions')).json().questions as Array<{
    id: string
    requiresConsent: boolean
  }>
  t.same(listed.filter((x) => x.requiresConsent).map((x) => x.id), [Q], 'the caller sees which questions need consent')

  const body = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ ...verification({ idNumber: person.idNumber, questions: Q, caseId: 'K-1' }), ...extra })
  const last = async (): Promise<{ kind: string, code?: string, consent?: string, question?: string }> => {
    const [row] = await database.query<{ entry: Uint8Array }>(
      'select entry from audit_entries order by index desc limit 1'
    )
    return parseEntry(new Uint8Array(row!.entry))
  }
  const answers = async (): Promise<number> =>
    Number((await database.query<{ n: string }>("select count(*) as n from audit_entries where kind = 'answer'"))[0]!.n)

  await t.test('with a valid consent the question is answered and the jti is audited', async (t) => {
    const token = await consent(person.idNumber)
    const jti = jose.decodeJwt(token).jti!
    const before = counted.lookups()
    const res = await caller('POST', '/v1/verifications', body({ consent: token }))
    t.equal(res.statusCode, 200, res.body)
    t.ok(counted.lookups() > before, 'the records were read')
    t.match(await last(), { kind: 'answer', question: Q, consent: jti })
    const [use] = await database.query<{ issuer: string }>('select issuer from consent_uses where jti = $1', [jti])
    t.equal(use?.issuer, 'kiosk.example', 'the jti is recorded as used')
    const ec = await consent(person.idNumber, {
      iss: 'portal.example',
      kid: 'portal-1',
      alg: 'ES256',
      key: portal.privateKey
    })
    t.equal(
      (await caller('POST', '/v1/verifications', body({ consent: ec, caseId: 'K-2' }))).statusCode,
      200,
      'an ES256 issuer works too'
    )
    const plain = await caller('POST', '/v1/verifications', {
      subject: { idNumber: person.idNumber },
      questions: [{ id: 'property.none' }],
      purpose: DEMO_PURPOSE,
      caseId: 'K-3'
    })
    t.equal(plain.statusCode, 200, 'questions without requiresConsent need none')
  })

  const now = Math.floor(Date.now() / 1000)
  const otherPerson = people[3]!
  const cases: Array<[string, () => Promise<Record<string, unknown>>, number, string, boolean]> = [
    // [what, body, status, code, is the jti recorded (the token is authentic)]
    ['no consent', async () => body(), 403, 'CONSENT_REQUIRED', false],
    ['not a JWT', async () => body({ consent: 'not-a-token' }), 403, 'CONSENT_INVALID', false],
    [
      'a signature by another key under the kiosk kid',
      async () => body({ consent: await consent(person.idNumber, { key: stranger.privateKey }) }),
      403,
      'CONSENT_INVALID',
      false
    ],
    [
      'an unknown issuer',
      async () => body({ consent: await consent(person.idNumber, { iss: 'evil.example' }) }),
      403,
      'CONSENT_INVALID',
      false
    ],
    [
      'an unknown kid',
      async () => body({ consent: await consent(person.idNumber, { kid: 'kiosk-2' }) }),
      403,
      'CONSENT_INVALID',
      false
    ],
    [
      'the portal key under the kiosk issuer',
      async () =>
        body({ consent: await consent(person.idNumber, { kid: 'portal-1', alg: 'ES256', key: portal.privateKey }) }),
      403,
      'CONSENT_INVALID',
      false
    ],
    [
      'HS256 with the public key as secret (alg confusion)',
      async () =>
        body({
          consent: await consent(person.idNumber, {
            alg: 'HS256',
            key: new TextEncoder().encode(JSON.stringify(issuersDoc.issuers[0]!.jwks.keys[0]))
          })
        }),
      403,
      'CONSENT_INVALID',
      false
    ],
    [
      'alg none',
      async () => {
        const [, payload] = (await consent(person.idNumber)).split('.')
        return body({
          consent:
            Buffer.from(JSON.stringify({ alg: 'none', kid: 'kiosk-1' })).toString('base64url') + '.' + payload + '.'
        })
      },
      403,
      'CONSENT_INVALID',
      false
    ],
    [
      'another audience',
      async () => body({ consent: await consent(person.idNumber, { aud: 'someone-else' }) }),
      403,
      'CONSENT_INVALID',
      true
    ],
    [
      'an audience array',
      async () => body({ consent: await consent(person.idNumber, { aud: ['shifou', 'other'] }) }),
      403,
      'CONSENT_INVALID',
      true
    ],
    [
      'no jti',
      async () => body({ consent: await consent(person.idNumber, { jti: null }) }),
      403,
      'CONSENT_INVALID',
      false
    ],
    [
      'expired',
      async () => body({ consent: await consent(person.idNumber, { iat: now - 3600, exp: now - 60 }) }),
      403,
      'CONSENT_EXPIRED',
      true
    ],
    [
      // Red-team finding: a consent token with exp: 1e20 gave 500 (the database has no such year).
      'a consent token with exp 1e20',
      async () => body({ consent: await consent(person.idNumber, { exp: 1e20 }) }),
      403,
      'CONSENT_INVALID',
      true
    ],
    [
      'another subject',
      async () => body({ consent: await consent(person.idNumber, { subject: otherPerson.idNumber }) }),
      403,
      'CONSENT_MISMATCH',
      true
    ],
    [
      'another caller',
      async () => body({ consent: await consent(person.idNumber, { cli: 'other-client' }) }),
      403,
      'CONSENT_MISMATCH',
      true
    ],
    [
      'another purpose',
      async () => body({ purpose: 'public-rental-flat', consent: await consent(person.idNumber) }),
      403,
      'CONSENT_MISMATCH',
      true
    ],
    [
      'the question is not covered',
      async () => body({ consent: await consent(person.idNumber, { questions: ['property.none'] }) }),
      403,
      'CONSENT_MISMATCH',
      true
    ]
  ]

  await t.test('every failure is refused with its code, audited, and reads no record', async (t) => {
    for (const [what, make, status, code, authentic] of cases) {
      const request = await make()
      const answersBefore = await answers()
      const lookupsBefore = counted.lookups()
      const res = await caller('POST', '/v1/verifications', request)
      t.equal(res.statusCode, status, `${what}: status`)
      t.equal(res.json().code, code, `${what}: code`)
      t.notOk(res.body.includes(person.idNumber), `${what}: no ID echoed`)
      t.equal(counted.lookups(), lookupsBefore, `${what}: no lookup`)
      t.equal(await answers(), answersBefore, `${what}: no answer entry`)
      const entry = await last()
      t.match(entry, { kind: 'refusal', code }, `${what}: a refusal entry with the code`)
      if (authentic) {
        t.equal(
          entry.consent,
          jose.decodeJwt(request.consent as string).jti,
          `${what}: the authentic consent's jti is in the entry`
        )
      } else t.equal(entry.consent, undefined, `${what}: no jti from an unauthenticated token`)
      if (code === 'CONSENT_MISMATCH' && what.includes('question')) {
        t.equal(entry.question, Q, `${what}: the entry names the question`)
      }
    }
  })

  await t.test('a consent is single-use: the replay is 409, audited, with no lookup', async (t) => {
    const token = await consent(person.idNumber)
    const jti = jose.decodeJwt(token).jti
    t.equal((await caller('POST', '/v1/verifications', body({ consent: token }))).statusCode, 200)
    const lookupsBefore = counted.lookups()
    const answersBefore = await answers()
    const replay = await caller('POST', '/v1/verifications', body({ consent: token, caseId: 'K-9' }))
    t.equal(replay.statusCode, 409)
    t.equal(replay.json().code, 'CONSENT_REPLAYED')
    t.equal(counted.lookups(), lookupsBefore, 'no lookup')
    t.equal(await answers(), answersBefore, 'no answer entry')
    t.match(await last(), { kind: 'refusal', code: 'CONSENT_REPLAYED', consent: jti })
    // A refused request does not use the consent up: the same token still works once.
    const spare = await consent(person.idNumber)
    t.equal(
      (await caller('POST', '/v1/verifications', body({ purpose: 'public-rental-flat', consent: spare }))).statusCode,
      403
    )
    t.equal(
      (await caller('POST', '/v1/verifications', body({ consent: spare }))).statusCode,
      200,
      'a consent refused for a mismatch is not consumed'
    )
    t.equal(
      (await caller('POST', '/v1/verifications', body({ consent: 'x'.repeat(4097) }))).statusCode,
      400,
      'an oversized consent is malformed input'
    )
  })
})

t.test('without configured issuers every consent is refused', async (t) => {
  const { database, keyring, as } = await build(t)
  const { people } = await loadDemo(database, keyring, 5)
  await as(ADMIN)('POST', '/v1/questions', {
    id: Q,
    connector: 'realestate',
    title: 'x',
    when: { any: {} },
    requiresConsent: true
  })
  await as(ADMIN)('PUT', `/v1/clients/${DEMO_CLIENT}`, { name: 'Demo', questions: [Q], purposes: [DEMO_PURPOSE] })
  const res = await as(CALLER)('POST', '/v1/verifications', {
    subject: { idNumber: people[0]!.idNumber },
    questions: [{ id: Q }],
    purpose: DEMO_PURPOSE,
    caseId: 'x',
    consent: await consent(people[0]!.idNumber)
  })
  t.equal(res.json().code, 'CONSENT_INVALID')
})

t.test('the issuers file: asymmetric keys with a pinned alg, public halves only', async (t) => {
  const ed = await pub(kiosk.publicKey, 'k', 'EdDSA')
  t.equal(parseConsentIssuers(issuersDoc).size, 2)
  const bad: Array<[string, unknown]> = [
    ['not a document', null],
    ['no issuers', {}],
    ['no iss', { issuers: [{ jwks: { keys: [ed] } }] }],
    ['no keys', { issuers: [{ iss: 'a', jwks: { keys: [] } }] }],
    ['no kid', { issuers: [{ iss: 'a', jwks: { keys: [{ ...ed, kid: undefined }] } }] }],
    ['no alg', { issuers: [{ iss: 'a', jwks: { keys: [{ ...ed, alg: undefined }] } }] }],
    ['a symmetric alg', { issuers: [{ iss: 'a', jwks: { keys: [{ ...ed, alg: 'HS256' }] } }] }],
    ['an alg that does not fit the key', { issuers: [{ iss: 'a', jwks: { keys: [{ ...ed, alg: 'ES256' }] } }] }],
    [
      'a private key',
      {
        issuers: [
          { iss: 'a', jwks: { keys: [{ ...(await jose.exportJWK(kiosk.privateKey)), kid: 'k', alg: 'EdDSA' }] } }
        ]
      }
    ],
    [
      'an issuer twice',
      {
        issuers: [
          { iss: 'a', jwks: { keys: [ed] } },
          { iss: 'a', jwks: { keys: [ed] } }
        ]
      }
    ]
  ]
  for (const [what, doc] of bad) t.throws(() => parseConsentIssuers(doc), /SHIFOU_CONSENT_ISSUERS/, what)
})
