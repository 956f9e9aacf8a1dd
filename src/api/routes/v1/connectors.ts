/**
 * Connectors and snapshot loads (design §5, admin and dept_admin). A dept_admin touches only its
 * own department's connectors.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { Readable } from 'node:stream'
import { assertDepartment, createConnector, deactivateConnector, getConnector, listConnectors, updateConnector } from '../../../registry/store.ts'
import { checkAsOf, loadSnapshot } from '../../../connectors/load.ts'
import { getSnapshot, listSnapshots } from '../../../connectors/snapshots.ts'
import { rejectReport, reportKept, REPORTS_KEPT } from '../../../connectors/rejects.ts'
import { encodingOf } from '../../../connectors/rows.ts'
import type { ConnectorRow } from '../../../db/schema/index.ts'
import { ShifouError } from '../../../errors.ts'
import { DateOnly, Strict, withErrors } from '../../schemas/common.ts'
import {
  Connector, ConnectorBody, ConnectorUpdate, IdParams, SnapshotParams, SnapshotSummary
} from '../../schemas/registry.ts'
import type { Database } from '../../../db/client.ts'

const managers = { roles: ['admin', 'dept_admin'] as const }
const FORMATS: Record<string, 'csv' | 'ndjson'> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' }

async function view (database: Database, c: ConnectorRow): Promise<Record<string, unknown>> {
  return {
    id: c.id,
    department: c.departmentId,
    title: c.title,
    kind: c.kind,
    subject: {
      field: c.subjectField,
      type: c.subjectType,
      ...(c.subjectColumn === null ? {} : { column: c.subjectColumn })
    },
    fields: c.fields,
    maxRejectRatio: c.maxRejectRatio,
    active: c.active,
    activeSnapshot: c.activeSnapshotId === null ? null : await getSnapshot(database, c.activeSnapshotId),
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString()
  }
}

const connectors: FastifyPluginAsyncTypebox = async (app) => {
  const { database, keyring, registry } = app.services
  const deps = app.services.registryDeps
  const tags = ['connectors']

  // Snapshot bodies are streamed to the loader, never buffered (a 1-million-row file is ~100 MB).
  app.addContentTypeParser(['text/csv', 'application/x-ndjson'], (_request, payload, done) => { done(null, payload) })

  app.post('/v1/connectors', { config: managers, schema: { tags, body: ConnectorBody, response: withErrors({ 201: Connector }, 409) } }, async (request, reply) => {
    return reply.code(201).send(await view(database, await createConnector(deps, request.principal!, request.body)) as never)
  })

  app.get('/v1/connectors', { config: managers, schema: { tags, response: withErrors({ 200: Type.Object({ connectors: Type.Array(Connector) }) }) } }, async (request) => {
    const rows = await listConnectors(database, request.principal!)
    return { connectors: await Promise.all(rows.map(async (c) => await view(database, c))) as never }
  })

  const owned = async (request: { principal: import('../../../principal.ts').Principal | null }, id: string): Promise<ConnectorRow> => {
    const c = await getConnector(database, id)
    assertDepartment(request.principal!, c.departmentId)
    return c
  }

  app.get('/v1/connectors/:id', { config: managers, schema: { tags, params: IdParams, response: withErrors({ 200: Connector }, 404) } }, async (request) => {
    return await view(database, await owned(request, request.params.id)) as never
  })

  app.put('/v1/connectors/:id', { config: managers, schema: { tags, params: IdParams, body: ConnectorUpdate, response: withErrors({ 200: Connector }, 404, 409) } }, async (request) => {
    return await view(database, await updateConnector(deps, request.principal!, request.params.id, request.body)) as never
  })

  app.delete('/v1/connectors/:id', { config: managers, schema: { tags, params: IdParams, response: withErrors({ 204: Type.Null() }, 404, 409) } }, async (request, reply) => {
    await deactivateConnector(deps, request.principal!, request.params.id)
    return reply.code(204).send(null)
  })

  app.get('/v1/connectors/:id/snapshots', { config: managers, schema: { tags, params: IdParams, response: withErrors({ 200: Type.Object({ snapshots: Type.Array(SnapshotSummary) }) }, 404) } }, async (request) => {
    await owned(request, request.params.id)
    return { snapshots: await listSnapshots(database, request.params.id) as never }
  })

  app.put('/v1/connectors/:id/snapshot', {
    config: managers,
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
    const connector = await owned(request, request.params.id)
    checkAsOf(request.query.asOf)
    const [type, ...parameters] = (request.headers['content-type'] ?? '').split(';')
    const format = FORMATS[type!.trim().toLowerCase()]
    if (format === undefined) throw new ShifouError('UNSUPPORTED_MEDIA_TYPE', 'Send text/csv or application/x-ndjson')
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
      onActivated: () => registry.invalidate()
    })
    return reply.code(201).send({ snapshot: { ...result, error: null } } as never)
  })

  app.get('/v1/connectors/:id/snapshots/:snapshot/rejects', {
    config: managers,
    schema: {
      tags,
      description: 'The reject report of a load attempt (completed or failed): every rejected row as CSV, ' +
        '`line,field,code,reason,column`, ' +
        'never the value. UTF-8 with a BOM, for spreadsheets.',
      params: SnapshotParams,
      response: withErrors({ 200: Type.String({ description: 'text/csv, streamed' }) }, 404)
    }
  }, async (request, reply) => {
    const connector = await owned(request, request.params.id)
    const snapshotId = Number(request.params.snapshot)
    const snapshot = await getSnapshot(database, snapshotId)
    if (snapshot === null || snapshot.connector !== connector.id) {
      throw new ShifouError('NOT_FOUND', 'No such load attempt of this connector')
    }
    if (snapshot.rejectedCount > 0 && !await reportKept(database, connector.id, snapshotId)) {
      throw new ShifouError('NOT_FOUND', 'The reject report of this attempt is no longer kept ' +
        `(only the ${REPORTS_KEPT} most recent attempts of a connector keep theirs)`)
    }
    const columns = new Map(connector.fields.map((f) => [f.name, f.column ?? f.name]))
    columns.set(connector.subjectField, connector.subjectColumn ?? connector.subjectField)
    reply.type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="rejects-${connector.id}-${snapshotId}.csv"`)
    return reply.send(Readable.from(rejectReport(database, snapshotId, snapshot.rejectedCount, columns)))
  })
}

export default connectors
