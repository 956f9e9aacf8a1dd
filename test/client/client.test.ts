/**
 * The typed client (client/, design §14.6): the committed document and types are those of the
 * service as it is (else: `npm run client:generate`), and the README's quick start runs through the
 * client against a real listening server — the demo loaded as `npm start` loads it, the caller's
 * questions, a verification of the demo's first person, and its receipt verified against the
 * published keys.
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { createShifouClient, type Problem } from '../../client/index.ts'
import { DOCUMENT_FILE, documentText, SCHEMA_FILE, schemaText } from '../../client/generate.ts'
import { DEMO_PURPOSE, loadDemo } from '../../src/demo/demo.ts'
import { makePeople } from '../../src/demo/population.ts'
import { receiptKeys } from '../../src/receipts/jwk.ts'
import { verifyReceipt } from '../../src/receipts/receipt.ts'
import { checkCommitment } from '../../src/receipts/commitment.ts'
import { ADMIN, build, CALLER } from '../helpers/app.ts'

const service = await build(t)
const address = await service.app.listen({ host: '127.0.0.1', port: 0 })

t.test('the committed client is generated from the service as it is', async (t) => {
  const served = (await service.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Record<string, unknown>
  const stale = 'client/ is stale: run `npm run client:generate` and commit client/openapi.json and client/schema.d.ts'
  t.ok(readFileSync(DOCUMENT_FILE, 'utf8') === documentText(served), 'client/openapi.json is /openapi.json. ' + stale)
  t.ok(readFileSync(SCHEMA_FILE, 'utf8') === await schemaText(served), 'client/schema.d.ts is its types. ' + stale)
})

t.test('the quick start, through the typed client', async (t) => {
  await loadDemo(service.database, service.keyring, 50)
  const person = makePeople(1, 2026)[0]!
  const shifou = createShifouClient({ baseUrl: address, token: service.token(CALLER) })

  const questions = await shifou.GET('/v1/questions')
  t.equal(questions.response.status, 200)
  t.ok(questions.data?.questions.some((q) => q.id === 'property.none'), 'the caller sees the demo questions')

  const asked = await shifou.POST('/v1/verifications', {
    body: {
      subject: { idNumber: person.idNumber, name: person.name },
      questions: [
        { id: 'identity.name_matches' }, { id: 'property.none' }, { id: 'tax.paid_in_year', params: { year: 2025 } }
      ],
      purpose: DEMO_PURPOSE,
      caseId: 'HS-2026-0001'
    }
  })
  if (asked.data === undefined) throw new Error('the verification was refused: ' + JSON.stringify(asked.error))
  const answers: Array<'yes' | 'no'> = asked.data.answers.map((a) => a.answer)
  t.same(asked.data.answers.map((a) => a.question), ['identity.name_matches', 'property.none', 'tax.paid_in_year'])
  t.equal(answers[0], 'yes', 'the demo person\'s name matches their ID number')

  // Receipts are checked against the published keys, which need no token.
  const anyone = createShifouClient({ baseUrl: address })
  const jwks = await anyone.GET('/.well-known/jwks.json')
  t.equal(jwks.response.status, 200)
  for (const a of asked.data.answers) {
    const checked = verifyReceipt(a.receipt, receiptKeys(jwks.data))
    t.ok(checked.ok, `the receipt of ${a.question} verifies`)
    if (!checked.ok) continue
    t.equal(checked.claims.a, a.answer, 'it says the answer given')
    t.equal(checked.claims.idx, a.auditIndex, 'at the answer\'s audit index')
    t.ok(checkCommitment(checked.claims.sub_c, person.idNumber, a.nonce), 'it is about this person')
  }

  // A refusal is a typed problem document.
  const refused = await shifou.POST('/v1/verifications', {
    body: {
      subject: { idNumber: person.idNumber }, questions: [{ id: 'property.none' }], purpose: 'curiosity', caseId: 'X-1'
    }
  })
  const problem: Problem | undefined = refused.error
  t.equal(refused.response.status, 403)
  t.match(refused.response.headers.get('content-type'), /^application\/problem\+json/)
  t.equal(problem?.code, 'PURPOSE_NOT_ALLOWED')
  t.ok(problem?.purposes?.includes(DEMO_PURPOSE), 'the refusal names the purposes this client may give')
})

t.test('registering and loading data through the typed client (a CSV upload)', async (t) => {
  const admin = createShifouClient({ baseUrl: address, token: () => service.token(ADMIN) })
  const dept = await admin.POST('/v1/departments', { body: { id: 'client-dept', name: 'Client test bureau' } })
  t.equal(dept.response.status, 201, JSON.stringify(dept.error))
  const connector = await admin.POST('/v1/connectors', {
    body: {
      id: 'client-conn',
      department: 'client-dept',
      title: 'Amounts',
      kind: 'file',
      subject: { field: 'id_number', type: 'cn_resident_id', column: '身份证号码' },
      fields: [{ name: 'amount', type: 'number', column: '金额' }]
    }
  })
  t.equal(connector.data?.activeSnapshot, null, 'registered, nothing loaded yet')
  const person = makePeople(1, 2026)[0]!
  // An upload is sent as it is: a string body, its media type, no JSON serialisation.
  const loaded = await admin.PUT('/v1/connectors/{id}/snapshot', {
    params: { path: { id: 'client-conn' }, query: { asOf: '2026-03-01' } },
    body: `身份证号码,金额\n${person.idNumber},12.5\n`,
    bodySerializer: (body) => body,
    headers: { 'content-type': 'text/csv; charset=utf-8' }
  })
  t.equal(loaded.response.status, 201, JSON.stringify(loaded.error))
  t.equal(loaded.data?.snapshot.rows, 1)
  t.equal(loaded.data?.snapshot.status, 'active')
})
