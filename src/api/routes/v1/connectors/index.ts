/**
 * /v1/connectors: a department's data sources (design §5, admin and dept_admin). A dept_admin
 * touches only its own department's connectors.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@fastify/type-provider-typebox'
import { createConnector, deactivateConnector, listConnectors, updateConnector } from '../../../../registry/store.ts'
import { getSnapshot } from '../../../../connectors/snapshots.ts'
import { getSource } from '../../../../connectors/pull/store.ts'
import { connectorHealth } from '../../../../connectors/health.ts'
import type { ConnectorRow } from '../../../../db/schema/index.ts'
import type { Database } from '../../../../db/client.ts'
import { withErrors } from '../../../schemas/common.ts'
import { Connector, ConnectorBody, ConnectorUpdate, IdParams } from '../../../schemas/registry.ts'
import { ownedConnector } from './owned.ts'

const managers = { roles: ['admin', 'dept_admin'] as const }
const tags = ['connectors']

async function view (database: Database, c: ConnectorRow): Promise<Static<typeof Connector>> {
  const pull = c.kind === 'pull' ? await getSource(database, c.id) : null
  return {
    id: c.id,
    department: c.departmentId,
    title: c.title,
    titles: c.titles ?? null,
    kind: c.kind,
    subject: {
      field: c.subjectField,
      type: c.subjectType,
      ...(c.subjectColumn === null ? {} : { column: c.subjectColumn })
    },
    fields: c.fields,
    maxRejectRatio: c.maxRejectRatio,
    maxAgeDays: c.maxAgeDays,
    maxRecordsPerSubject: c.maxRecordsPerSubject,
    ...(c.agent === null ? {} : { agent: c.agent }),
    active: c.active,
    activeSnapshot: c.activeSnapshotId === null ? null : await getSnapshot(database, c.activeSnapshotId),
    ...(pull === null ? {} : { source: pull.view, schedule: pull.schedule }),
    health: (await connectorHealth(database, [c.id])).get(c.id)!,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString()
  }
}

const connectors: FastifyPluginAsyncTypebox = async (app) => {
  const { database } = app
  const changes = app.registryChanges

  app.post('', {
    config: managers,
    schema: { tags, body: ConnectorBody, response: withErrors({ 201: Connector }, 409) }
  }, async (request, reply) => {
    return reply.code(201).send(await view(database, await createConnector(changes, request.principal!, request.body)))
  })

  app.get('', {
    config: managers,
    schema: { tags, response: withErrors({ 200: Type.Object({ connectors: Type.Array(Connector) }) }) }
  }, async (request) => {
    const rows = await listConnectors(database, request.principal!)
    return { connectors: await Promise.all(rows.map(async (c) => await view(database, c))) }
  })

  app.get('/:id', {
    config: managers,
    schema: { tags, params: IdParams, response: withErrors({ 200: Connector }, 404) }
  }, async (request) => await view(database, await ownedConnector(database, request.principal!, request.params.id)))

  app.put('/:id', {
    config: managers,
    schema: { tags, params: IdParams, body: ConnectorUpdate, response: withErrors({ 200: Connector }, 404, 409) }
  }, async (request) => {
    return await view(database, await updateConnector(changes, request.principal!, request.params.id, request.body))
  })

  app.delete('/:id', {
    config: managers,
    schema: { tags, params: IdParams, response: withErrors({ 204: Type.Null() }, 404, 409) }
  }, async (request, reply) => {
    await deactivateConnector(changes, request.principal!, request.params.id)
    return reply.code(204).send(null)
  })
}

export default connectors
