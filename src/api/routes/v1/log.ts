/**
 * The tamper-evident log (design §8): signed checkpoints, entries with their canonical bytes,
 * inclusion and consistency proofs, and the streamed export. Auditors see everything; a caller
 * sees the entries and proofs of its own verifications.
 */
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { getEntry, exportEntries } from '../../../audit/query.ts'
import { latestCheckpoint } from '../../../audit/checkpoint-store.ts'
import { cosignaturesAt } from '../../../audit/cosignature-store.ts'
import { logSize, storedConsistencyProof, storedInclusionProof } from '../../../audit/tree-store.ts'
import { ed25519VerifierKey } from '../../../crypto/signed-note.ts'
import { ShifouError } from '../../../errors.ts'
import { actorOf, type Principal } from '../../../principal.ts'
import { withErrors } from '../../schemas/common.ts'
import { CheckpointKeyResponse, CheckpointResponse, ConsistencyQuery, ConsistencyResponse, EntryWithLeaf, ExportQuery, InclusionQuery, InclusionResponse, IndexParams } from '../../schemas/log.ts'
import { entryView } from './audit.ts'

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')

const log: FastifyPluginAsyncTypebox = async (app) => {
  const { database } = app.services
  const { signer, origin } = app.services.checkpoints
  const tags = ['audit log']
  const readers = { roles: ['auditor', 'caller'] as const }

  /** A caller may read only the entries of its own verifications. */
  const readable = async (principal: Principal, index: number): Promise<NonNullable<Awaited<ReturnType<typeof getEntry>>>> => {
    const stored = await getEntry(database, index)
    if (stored === null) throw new ShifouError('NOT_FOUND', 'No entry at this index')
    if (principal.role === 'caller' && stored.entry.caller !== principal.sub) throw new ShifouError('FORBIDDEN', 'This entry is not about a verification of yours')
    return stored
  }

  app.get('/v1/audit/checkpoint-key', {
    config: { roles: 'public' },
    schema: { tags, description: 'The checkpoint signing key, published so anyone can verify checkpoints.', response: { 200: CheckpointKeyResponse } }
  }, async () => ({ origin, verifierKey: ed25519VerifierKey(signer), publicKey: b64(signer.publicKey) }))

  app.get('/v1/audit/checkpoint', {
    config: { roles: ['auditor', 'caller', 'subject'] },
    schema: {
      tags,
      description: 'The latest signed checkpoint (C2SP tlog-checkpoint), with the witnesses\' cosignatures ' +
        '(C2SP tlog-cosignature) received so far.',
      response: withErrors({ 200: CheckpointResponse }, 404)
    }
  }, async () => {
    const cp = await latestCheckpoint(database)
    if (cp === null) throw new ShifouError('NOT_FOUND', 'No checkpoint has been signed yet')
    const cosignatures = await cosignaturesAt(database, cp.size)
    return {
      origin,
      size: cp.size,
      root: b64(cp.root),
      note: cp.note + cosignatures.map((c) => c.signature + '\n').join(''),
      createdAt: cp.createdAt,
      cosignatures: cosignatures.map(({ witness, keyId, cosignedAt, signature }) =>
        ({ witness, keyId, cosignedAt, signature }))
    }
  })

  app.get('/v1/audit/entries/:index', {
    config: readers,
    schema: { tags, params: IndexParams, response: withErrors({ 200: EntryWithLeaf }, 404) }
  }, async (request) => {
    const stored = await readable(request.principal!, Number(request.params.index))
    return { entry: entryView(stored.entry) as never, leaf: b64(stored.bytes), leafHash: b64(stored.leafHash) }
  })

  app.get('/v1/audit/proofs/inclusion', {
    config: readers,
    schema: { tags, description: 'Inclusion proof of an entry in the tree of `size` entries (default: the latest checkpoint).', querystring: InclusionQuery, response: withErrors({ 200: InclusionResponse }, 404) }
  }, async (request) => {
    const index = Number(request.query.index)
    const size = request.query.size === undefined ? (await latestCheckpoint(database))?.size ?? await logSize(database) : Number(request.query.size)
    if (index >= size) throw new ShifouError('INVALID_QUERY', 'index must be below size')
    if (size > await logSize(database)) throw new ShifouError('INVALID_QUERY', 'size is beyond the end of the log')
    const stored = await readable(request.principal!, index)
    return { index, size, leafHash: b64(stored.leafHash), proof: (await storedInclusionProof(database, index, size)).map(b64) }
  })

  app.get('/v1/audit/proofs/consistency', {
    config: { roles: ['auditor', 'caller', 'subject'] },
    schema: { tags, description: 'Consistency proof between the trees of `from` and `to` entries (RFC 9162 §2.1.4).', querystring: ConsistencyQuery, response: withErrors({ 200: ConsistencyResponse }) }
  }, async (request) => {
    const from = Number(request.query.from)
    const to = Number(request.query.to)
    if (from < 1 || from > to) throw new ShifouError('INVALID_QUERY', 'need 1 <= from <= to')
    if (to > await logSize(database)) throw new ShifouError('INVALID_QUERY', 'to is beyond the end of the log')
    return { from, to, proof: (await storedConsistencyProof(database, from, to)).map(b64) }
  })

  app.get('/v1/audit/export', {
    config: { roles: ['auditor'] },
    schema: {
      tags,
      description: 'Streams entries with `at` in [from, to): JSON Lines (each line an entry\'s canonical bytes) or CSV. The export is itself an audit entry.',
      querystring: ExportQuery,
      response: withErrors({ 200: Type.String({ description: 'application/x-ndjson or text/csv, streamed' }) })
    }
  }, async (request, reply) => {
    const { format, from, to } = request.query
    const filter = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) }
    const rows = exportEntries(database, format, filter)
    // Check the filter (the first chunk validates it) before the export is logged and streamed.
    const first = await rows.next()
    await app.services.audit.append([{ kind: 'export', actor: actorOf(request.principal!), detail: { format, from: from ?? null, to: to ?? null } }])
    async function * body (): AsyncGenerator<string> {
      if (first.done !== true) yield first.value
      yield * rows
    }
    reply.type(format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8')
    return reply.send(Readable.from(body()))
  })
}

export default log
