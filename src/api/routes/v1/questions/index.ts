/**
 * /v1/questions (design §5, §6). Admins register them; a caller lists the ones it may ask. The
 * predicate is checked against the connector's fields and the params at registration.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { createQuestion, deactivateQuestion, listQuestions, updateQuestion } from '../../../../registry/store.ts'
import { ShifouError } from '../../../../errors.ts'
import { withErrors } from '../../../schemas/common.ts'
import {
  Created, IdParams, QuestionBody, QuestionDetail, QuestionSummary, QuestionUpdate
} from '../../../schemas/registry.ts'

const admin = { roles: ['admin'] as const }
const tags = ['questions']

const questions: FastifyPluginAsyncTypebox = async (app) => {
  const { database, registry } = app
  const changes = app.registryChanges

  app.post('', {
    config: admin,
    schema: { tags, body: QuestionBody, response: withErrors({ 201: Created }, 409) }
  }, async (request, reply) => {
    await createQuestion(changes, request.principal!, request.body)
    return reply.code(201).send({ id: request.body.id })
  })

  app.get('', {
    // Auditors read the titles too: the console shows the log in words (design §14.4).
    config: { roles: ['caller', 'admin', 'auditor'] },
    schema: {
      tags,
      description: 'A caller gets the questions it may ask; an admin or an auditor gets every active question.',
      response: withErrors({ 200: Type.Object({ questions: Type.Array(QuestionSummary) }) })
    }
  }, async (request) => {
    const principal = request.principal!
    const state = await registry.current()
    const all = [...state.questions.values()].sort((a, b) => a.id.localeCompare(b.id))
    const client = principal.role === 'caller' ? state.clients.get(principal.sub) : undefined
    const visible = client === undefined ? all : all.filter((q) => client.questions.has(q.id))
    return {
      questions: visible.map((q) => ({
        id: q.id,
        title: q.title,
        titles: q.titles,
        description: q.description,
        params: q.params,
        requiresConsent: q.requiresConsent
      }))
    }
  })

  app.get('/:id', {
    config: admin,
    schema: { tags, params: IdParams, response: withErrors({ 200: QuestionDetail }, 404) }
  }, async (request) => {
    const q = (await listQuestions(database)).find((r) => r.id === request.params.id)
    if (q === undefined) throw new ShifouError('NOT_FOUND', 'No such question')
    return {
      id: q.id,
      connector: q.connectorId,
      title: q.title,
      titles: q.titles ?? null,
      description: q.description,
      params: q.params,
      when: q.when,
      requiresConsent: q.requiresConsent,
      active: q.active
    }
  })

  app.put('/:id', {
    config: admin,
    schema: { tags, params: IdParams, body: QuestionUpdate, response: withErrors({ 200: Created }, 404) }
  }, async (request) => {
    await updateQuestion(changes, request.principal!, request.params.id, request.body)
    return { id: request.params.id }
  })

  app.delete('/:id', {
    config: admin,
    schema: { tags, params: IdParams, response: withErrors({ 204: Type.Null() }, 404) }
  }, async (request, reply) => {
    await deactivateQuestion(changes, request.principal!, request.params.id)
    return reply.code(204).send(null)
  })
}

export default questions
