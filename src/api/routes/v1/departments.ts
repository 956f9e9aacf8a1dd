/** Departments (design §5, admin). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { createDepartment, deactivateDepartment, listDepartments, updateDepartment } from '../../../registry/store.ts'
import { withErrors } from '../../schemas/common.ts'
import { Department, DepartmentBody, DepartmentUpdate, IdParams } from '../../schemas/registry.ts'
import type { DepartmentRow } from '../../../db/schema/index.ts'

const admin = { roles: ['admin'] as const }
const view = (d: DepartmentRow): Record<string, unknown> => ({ id: d.id, name: d.name, active: d.active, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString() })

const departments: FastifyPluginAsyncTypebox = async (app) => {
  const deps = app.services.registryDeps
  const tags = ['admin']

  app.post('/v1/departments', { config: admin, schema: { tags, body: DepartmentBody, response: withErrors({ 201: Department }, 409) } }, async (request, reply) => {
    return reply.code(201).send(view(await createDepartment(deps, request.principal!, request.body)) as never)
  })
  app.get('/v1/departments', { config: admin, schema: { tags, response: withErrors({ 200: Type.Object({ departments: Type.Array(Department) }) }) } }, async () => {
    return { departments: (await listDepartments(app.services.database)).map(view) as never }
  })
  app.put('/v1/departments/:id', { config: admin, schema: { tags, params: IdParams, body: DepartmentUpdate, response: withErrors({ 200: Department }, 404) } }, async (request) => {
    return view(await updateDepartment(deps, request.principal!, request.params.id, request.body)) as never
  })
  app.delete('/v1/departments/:id', { config: admin, schema: { tags, params: IdParams, response: withErrors({ 204: Type.Null() }, 404, 409) } }, async (request, reply) => {
    await deactivateDepartment(deps, request.principal!, request.params.id)
    return reply.code(204).send(null)
  })
}

export default departments
