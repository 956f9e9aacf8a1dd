/** /v1/departments: the departments that own connectors (design §5, admin). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@fastify/type-provider-typebox'
import {
  createDepartment, deactivateDepartment, listDepartments, updateDepartment
} from '../../../../registry/store.ts'
import type { DepartmentRow } from '../../../../db/schema/index.ts'
import { withErrors } from '../../../schemas/common.ts'
import { Department, DepartmentBody, DepartmentUpdate, IdParams } from '../../../schemas/registry.ts'

const admin = { roles: ['admin'] as const }
const tags = ['admin']

function view (d: DepartmentRow): Static<typeof Department> {
  return {
    id: d.id,
    name: d.name,
    active: d.active,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString()
  }
}

const departments: FastifyPluginAsyncTypebox = async (app) => {
  const changes = app.registryChanges

  app.post('', {
    config: admin,
    schema: { tags, body: DepartmentBody, response: withErrors({ 201: Department }, 409) }
  }, async (request, reply) => {
    return reply.code(201).send(view(await createDepartment(changes, request.principal!, request.body)))
  })

  app.get('', {
    config: admin,
    schema: { tags, response: withErrors({ 200: Type.Object({ departments: Type.Array(Department) }) }) }
  }, async () => ({ departments: (await listDepartments(app.database)).map(view) }))

  app.put('/:id', {
    config: admin,
    schema: { tags, params: IdParams, body: DepartmentUpdate, response: withErrors({ 200: Department }, 404) }
  }, async (request) => view(await updateDepartment(changes, request.principal!, request.params.id, request.body)))

  app.delete('/:id', {
    config: admin,
    schema: { tags, params: IdParams, response: withErrors({ 204: Type.Null() }, 404, 409) }
  }, async (request, reply) => {
    await deactivateDepartment(changes, request.principal!, request.params.id)
    return reply.code(204).send(null)
  })
}

export default departments
