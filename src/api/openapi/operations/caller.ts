/** Catalogue of the caller's and the citizen's operations: verifications, certificates, the access log. */
import type { Catalogue } from '../catalogue.ts'
import * as ex from '../examples.ts'

const signed = { asOf: ex.AS_OF, receipt: ex.RECEIPT, nonce: ex.NONCE }
const replayed = {
  'Idempotent-Replayed': {
    description: '"true" when this is the first response to a request with the same Idempotency-Key and body, ' +
      'returned again: nothing was asked, written or counted',
    schema: { type: 'string', enum: ['true'] }
  }
}

export const callerOperations: Catalogue = {
  'POST /v1/verifications': {
    operationId: 'verify',
    summary: 'Ask yes/no questions about one person',
    description: 'Asks registered questions about one subject, for one case and purpose: each answer is "yes" or ' +
      '"no", never the data behind it. Answered whole or refused whole; every answer and refusal is an audit ' +
      'entry committed before the response. Each answer carries a signed receipt (verify it offline against ' +
      '/.well-known/jwks.json) and the nonce of its subject commitment.',
    responseHeaders: replayed,
    errors: [
      'INVALID_ID_NUMBER', 'INVALID_NAME', 'INVALID_PARAM', 'SUBJECT_NAME_REQUIRED',
      'CLIENT_INACTIVE', 'QUESTION_NOT_ALLOWED', 'PURPOSE_NOT_ALLOWED',
      'CONSENT_REQUIRED', 'CONSENT_INVALID', 'CONSENT_EXPIRED', 'CONSENT_MISMATCH', 'CONSENT_REPLAYED',
      'SUBJECT_DATA_UNREADABLE', 'QUOTA_EXCEEDED', 'NO_ACTIVE_SNAPSHOT', 'QUOTA_UNAVAILABLE',
      'INVALID_HEADER', 'IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED'
    ],
    request: {
      subject: { idNumber: ex.ID_NUMBER, name: ex.NAME },
      questions: [
        { id: 'identity.name_matches' },
        { id: 'property.none' },
        { id: 'income.at_least', params: { year: 2025, min: 30000 } }
      ],
      purpose: ex.PURPOSE,
      caseId: ex.CASE_ID
    },
    response: {
      id: ex.VERIFICATION_ID,
      answers: [
        { question: 'identity.name_matches', answer: 'yes', auditIndex: 4710, ...signed },
        { question: 'property.none', answer: 'yes', auditIndex: 4711, ...signed },
        { question: 'income.at_least', answer: 'no', auditIndex: 4712, ...signed }
      ]
    }
  },
  'POST /v1/verifications/batch': {
    operationId: 'verifyBatch',
    summary: 'Ask yes/no questions about several people (a household) in one call',
    responseHeaders: replayed,
    errors: [
      'CLIENT_INACTIVE', 'QUESTION_NOT_ALLOWED', 'PURPOSE_NOT_ALLOWED', 'QUOTA_EXCEEDED', 'NO_ACTIVE_SNAPSHOT',
      'QUOTA_UNAVAILABLE', 'INVALID_HEADER', 'IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED'
    ],
    request: {
      purpose: ex.PURPOSE,
      caseId: ex.CASE_ID,
      items: [
        {
          subject: { idNumber: ex.ID_NUMBER, name: ex.NAME },
          questions: [{ id: 'identity.name_matches' }, { id: 'property.none' }]
        },
        { subject: { idNumber: '11010519491231002X' }, questions: [{ id: 'property.none' }] }
      ]
    },
    response: {
      results: [
        {
          id: ex.VERIFICATION_ID,
          answers: [
            { question: 'identity.name_matches', answer: 'yes', auditIndex: 4710, ...signed },
            { question: 'property.none', answer: 'yes', auditIndex: 4711, ...signed }
          ]
        },
        {
          error: {
            type: 'https://shifou.invalid/problems/quota-exceeded',
            title: 'Quota exceeded',
            status: 429,
            code: 'QUOTA_EXCEEDED',
            detail: 'This client\'s limit subjectsPerCase is reached; retry after 3600 s or ask the platform ' +
              'operator for more',
            limit: 'subjectsPerCase',
            retryAfter: 3600
          }
        }
      ]
    }
  },
  'POST /v1/verifications/{id}/certificate': {
    operationId: 'getCertificate',
    summary: 'The printable certificate of a verification (HTML), or its QR code (SVG, PNG)',
    errors: ['INVALID_ID_NUMBER', 'INVALID_NAME', 'CONFLICT', 'NAME_NOT_CHECKED'],
    request: { idNumber: ex.ID_NUMBER, name: '朱霞强', lang: 'zh', format: 'html' },
    responseContent: {
      'text/html': {
        schema: { type: 'string', description: 'format html: a printable page, UTF-8' },
        example: '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>无房产证明</title></head>…'
      },
      'image/svg+xml': {
        schema: {
          type: 'string', description: 'format svg: the QR code of the check link (of a receipt with `question`)'
        },
        example: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 57 57">…</svg>'
      },
      'image/png': {
        schema: {
          type: 'string',
          format: 'binary',
          description: 'format png: the QR code of the check link (of a receipt with `question`)'
        }
      }
    }
  },
  'GET /v1/clients/me': {
    operationId: 'getOwnClient',
    summary: 'Your own registration and today\'s usage',
    errors: ['CLIENT_INACTIVE'],
    response: {
      id: ex.CLIENT,
      name: 'Demo housing subsidy approval system',
      organisation: 'demo-housing-bureau',
      questions: ['identity.name_matches', 'income.at_least', 'property.none'],
      purposes: [ex.PURPOSE, 'public-rental-flat'],
      quotas: ex.quotas,
      confidential: false,
      disclosureDelaySeconds: 0,
      active: true,
      usage: { day: ex.AS_OF, requestsThisMinute: 4, subjectsToday: 117 }
    }
  },
  'GET /v1/me/access-log': {
    operationId: 'getAccessLog',
    summary: 'Who asked about you (citizens)',
    response: {
      subject: ex.PSEUDONYM,
      about: {
        zh: '这里列出哪些单位在什么时间、为办理什么事项核验过您的信息，最新的在前。…',
        en: 'Who checked your records, when and for what, newest first. …'
      },
      entries: [{
        index: 4711,
        at: ex.AT,
        kind: 'answer',
        caller: ex.CLIENT,
        callerName: 'Demo housing subsidy approval system',
        question: 'property.none',
        questionTitle: { zh: '名下无登记的不动产', en: 'Holds no registered property' },
        purpose: ex.PURPOSE,
        purposeTitle: { zh: '住房补贴申请', en: 'Housing subsidy application' },
        summary: {
          zh: '2026年3月2日 09:00，Demo housing subsidy approval system为办理“住房补贴申请”核验了“名下无登记的不动产”' +
            `（业务编号 ${ex.CASE_ID}），结果：是。`,
          en: '2026-03-02 09:00 (Beijing time): Demo housing subsidy approval system checked “Holds no registered ' +
            `property” for “Housing subsidy application” (case ${ex.CASE_ID}). Result: yes.`
        },
        caseId: ex.CASE_ID,
        answer: 'yes',
        code: null,
        consent: null,
        leaf: 'eyJhY3RvciI6eyJyb2xlIjoiY2FsbGVyIiwic3ViIjoiZGVtby1ob3VzaW5nIn19',
        proof: [ex.LEAF_HASH]
      }],
      checkpoint: { origin: ex.ORIGIN, size: 4712, root: ex.LEAF_HASH, note: ex.checkpointNote },
      next: null,
      verify: 'For each entry: leafHash = SHA-256(0x00 ‖ base64-decoded leaf); check the inclusion proof …'
    }
  }
}
