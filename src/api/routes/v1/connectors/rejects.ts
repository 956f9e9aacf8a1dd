/**
 * GET /v1/connectors/:id/snapshots/:snapshot/rejects: the reject report of a load attempt
 * (design §14.1), completed or failed — every rejected row as CSV, never a value; for the
 * connector's department (admin, or its dept_admin).
 */
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { getSnapshot } from '../../../../connectors/snapshots.ts'
import { rejectReport, reportKept, REPORTS_KEPT } from '../../../../connectors/rejects.ts'
import { ShifouError } from '../../../../errors.ts'
import { withErrors } from '../../../schemas/common.ts'
import { SnapshotParams } from '../../../schemas/registry.ts'
import { ownedConnector } from './owned.ts'

const managers = { roles: ['admin', 'dept_admin'] as const }

const rejects: FastifyPluginAsyncTypebox = async (app) => {
  const { database } = app

  app.get('/:id/snapshots/:snapshot/rejects', {
    config: managers,
    schema: {
      tags: ['connectors'],
      description: 'The reject report of a load attempt (completed or failed): every rejected row as CSV, ' +
        '`line,field,code,reason,column`, never the value. UTF-8 with a BOM, for spreadsheets.',
      params: SnapshotParams,
      response: withErrors({ 200: Type.String({ description: 'text/csv, streamed' }) }, 404)
    }
  }, async (request, reply) => {
    const connector = await ownedConnector(database, request.principal!, request.params.id)
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

export default rejects
