/**
 * /v1/connectors/:id/snapshot(s): loading a snapshot and the load history (design §5, admin and
 * the department's dept_admin). Snapshot bodies are streamed to the loader, never buffered (a
 * 1-million-row file is ~100 MB).
 */
import type { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { checkAsOf, loadSnapshot } from '../../../../connectors/load.ts'
import { listSnapshots } from '../../../../connectors/snapshots.ts'
import { encodingOf } from '../../../../connectors/rows.ts'
import { ShifouError } from '../../../../errors.ts'
import { DateOnly, Strict, withErrors } from '../../../schemas/common.ts'
import { IdParams, SnapshotSummary } from '../../../schemas/registry.ts'
import { ownedConnector } from './owned.ts'
import { kindOf } from '../../../../connectors/kinds/index.ts'

const managers = { roles: ['admin', 'dept_admin'] as const }
const tags = ['connectors']
const FORMATS: Record<string, 'csv' | 'ndjson'> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' }

const snapshots: FastifyPluginAsyncTypebox = async (app) => {
  const { database, keyring, registry } = app

  app.addContentTypeParser(['text/csv', 'application/x-ndjson'], (_request, payload, done) => { done(null, payload) })

  app.get('/:id/snapshots', {
    config: managers,
    schema: {
      tags,
      params: IdParams,
      response: withErrors({ 200: Type.Object({ snapshots: Type.Array(SnapshotSummary) }) }, 404)
    }
  }, async (request) => {
    await ownedConnector(database, request.principal!, request.params.id)
    return { snapshots: await listSnapshots(database, request.params.id) }
  })

  app.put('/:id/snapshot', {
    config: { ...managers, accepts: Object.keys(FORMATS) },
    bodyLimit: 64 * 1024 * 1024 * 1024,
    schema: {
      tags,
      description: 'Loads a snapshot: the body is text/csv (a header row naming the declared columns) or ' +
        'application/x-ndjson, streamed, in UTF-8 or, with `; charset=gb18030` (or gbk, gb2312), GB18030. ' +
        'The previous snapshot answers until this one is complete.',
      params: IdParams,
      querystring: Type.Object({ asOf: DateOnly }, Strict),
      response: withErrors({ 201: Type.Object({ snapshot: SnapshotSummary }) }, 404, 409, 413, 415, 422)
    }
  }, async (request, reply) => {
    const connector = await ownedConnector(database, request.principal!, request.params.id)
    if (kindOf(connector.kind)?.uploads === false) {
      throw new ShifouError('CONFLICT', `A connector of kind ${connector.kind} takes no upload: ` +
        (connector.agent !== null
          ? 'its data stays at the department, where its agent loads it (shifou agent --data FILE; docs/agent.md)'
          : 'its snapshots come from its source (POST /v1/connectors/:id/sync)'))
    }
    checkAsOf(request.query.asOf)
    const [type, ...parameters] = (request.headers['content-type'] ?? '').split(';')
    const format = FORMATS[type!.trim().toLowerCase()]
    if (format === undefined) {
      throw new ShifouError('UNSUPPORTED_MEDIA_TYPE', 'Send text/csv or application/x-ndjson',
        { accepted: Object.keys(FORMATS) })
    }
    const charset = parameters.map((p) => p.split('=')).find(([k]) => k!.trim().toLowerCase() === 'charset')?.[1]
    const encoding = encodingOf(charset)
    if (encoding === null) {
      throw new ShifouError('UNSUPPORTED_MEDIA_TYPE',
        'The charset must be utf-8 (the default) or gb18030 (also named gbk, gb2312)')
    }
    const result = await loadSnapshot({
      database,
      keyring,
      actor: request.principal!,
      connector,
      asOf: request.query.asOf,
      format,
      encoding,
      input: request.body as Readable,
      onActivated: () => { registry.invalidate() }
    })
    return reply.code(201).send({ snapshot: { ...result, error: null } })
  })
}

export default snapshots
