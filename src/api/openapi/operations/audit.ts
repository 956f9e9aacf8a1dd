/** Catalogue of the auditor's operations and of the tamper-evident log's (checkpoints, proofs, export). */
import type { Catalogue } from '../catalogue.ts'
import * as ex from '../examples.ts'

const page = { entries: [ex.entry], next: '4712' }

export const auditOperations: Catalogue = {
  'GET /v1/audit/entries': {
    operationId: 'listAuditEntries',
    summary: 'Search the audit log',
    description: 'Entries in ascending index order, filtered by caller, question, purpose, caseId, answer, kind ' +
      'and time (`from`/`to`, RFC 3339, half-open); `limit` default 100, at most 1,000; pass `next` as ' +
      '`cursor` for the next page (null at the end). Subjects appear only as pseudonyms.',
    response: page
  },
  'GET /v1/audit/entries/{index}': {
    operationId: 'getAuditEntry',
    summary: 'One audit entry, with its canonical bytes',
    description: 'An auditor may read any entry; a caller the entries of its own verifications (403 otherwise).',
    response: {
      entry: ex.entry,
      leaf: 'eyJhY3RvciI6eyJyb2xlIjoiY2FsbGVyIiwic3ViIjoiZGVtby1ob3VzaW5nIn19',
      leafHash: ex.LEAF_HASH
    }
  },
  'POST /v1/audit/subject-search': {
    operationId: 'searchSubject',
    summary: 'Find the entries about one person (the search is audited)',
    errors: ['INVALID_ID_NUMBER'],
    request: { idNumber: ex.ID_NUMBER, reason: 'Complaint 2026-017: the applicant asks who checked her', limit: 100 },
    response: page
  },
  'GET /v1/audit/checkpoint-key': {
    operationId: 'getCheckpointKey',
    summary: 'The key that signs checkpoints',
    response: {
      origin: ex.ORIGIN,
      verifierKey: ex.ORIGIN + '+3f2a9c1b+AU3Rb1cE2dF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3aB4',
      publicKey: 'TdGvVxNnYhIiOeRt2dF3gH4iJ5kL6mN7oP8qR9sT0uU='
    }
  },
  'GET /v1/audit/checkpoint': {
    operationId: 'getCheckpoint',
    summary: 'The latest signed checkpoint of the audit log',
    errors: ['NOT_FOUND'],
    response: {
      origin: ex.ORIGIN,
      size: 4712,
      root: 'q6Z0uN2y4wQ3oS1bT8mF5kV7xJ9cR2hD4gL6pA8eW0s=',
      note: ex.checkpointNote,
      createdAt: ex.AT,
      cosignatures: []
    }
  },
  'GET /v1/audit/proofs/inclusion': {
    operationId: 'getInclusionProof',
    summary: 'Prove that an entry is in the log',
    errors: ['NOT_FOUND'],
    response: { index: 4711, size: 4712, leafHash: ex.LEAF_HASH, proof: [ex.LEAF_HASH, ex.LEAF_HASH] }
  },
  'GET /v1/audit/proofs/consistency': {
    operationId: 'getConsistencyProof',
    summary: 'Prove that the log only grew between two sizes',
    response: { from: 4000, to: 4712, proof: [ex.LEAF_HASH, ex.LEAF_HASH] }
  },
  'GET /v1/audit/export': {
    operationId: 'exportAuditLog',
    summary: 'Export the audit log (JSON Lines or CSV, streamed)',
    responseContent: {
      'application/x-ndjson': {
        schema: { type: 'string', description: 'format jsonl: one entry\'s canonical bytes (RFC 8785) a line, UTF-8' },
        example: '{"actor":{"role":"caller","sub":"demo-housing"},"answer":"yes","at":"2026-03-02T09:15:04.512Z",…}\n'
      },
      'text/csv': {
        schema: { type: 'string', description: 'format csv: a header row, then one entry a row, UTF-8' },
        example: 'index,at,kind,actor,caller,question,purpose,caseId,answer,…\n4711,2026-03-02T09:15:04.512Z,answer,…\n'
      }
    }
  },
  'GET /v1/audit/summary': {
    operationId: 'summariseAuditLog',
    summary: 'Counts of answers by day, caller, purpose and question',
    response: {
      from: '2026-02-28T16:00:00.000Z',
      to: '2026-03-31T16:00:00.000Z',
      total: 3,
      days: [{ key: '2026-03-02', count: 3, yes: 2, no: 1 }],
      callers: [{ key: ex.CLIENT, count: 3, yes: 2, no: 1 }],
      purposes: [{ key: 'housing-subsidy', count: 3, yes: 2, no: 1 }],
      questions: [{ key: 'property.none', count: 3, yes: 2, no: 1 }]
    }
  },
  'GET /v1/audit/alerts': {
    operationId: 'listAlerts',
    summary: 'What the abuse detectors raised',
    response: {
      alerts: [{
        id: 3,
        at: ex.AT,
        kind: 'UNKNOWN_SUBJECTS',
        client: ex.CLIENT,
        organisation: 'demo-housing-bureau',
        detail: { unknown: 48, asked: 60, threshold: 0.5 },
        suspended: false,
        acknowledged: null
      }],
      next: null
    }
  },
  'POST /v1/audit/alerts/{id}/acknowledge': {
    operationId: 'acknowledgeAlert',
    summary: 'Acknowledge an alert (an audit entry)',
    response: {
      id: 3,
      at: ex.AT,
      kind: 'UNKNOWN_SUBJECTS',
      client: ex.CLIENT,
      organisation: 'demo-housing-bureau',
      detail: { unknown: 48, asked: 60, threshold: 0.5 },
      suspended: false,
      acknowledged: { at: ex.AT, by: 'audit-office-7' }
    }
  }
}
