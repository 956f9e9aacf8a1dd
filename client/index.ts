/**
 * The typed client of shifou's HTTP API: openapi-fetch over the types generated from the OpenAPI
 * document (schema.d.ts, `npm run client:generate`). Paths, parameters, bodies, answers and problem
 * documents are typed; every call resolves to `{ data }` on success or `{ error }` (a problem
 * document with its `code`) otherwise, with `response` for status and headers.
 *
 *   const shifou = createShifouClient({ baseUrl: 'http://127.0.0.1:8080', token })
 *   const { data, error } = await shifou.POST('/v1/verifications', { body: { … } })
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch'
import type { components, paths } from './schema.d.ts'

export type { components, operations, paths } from './schema.d.ts'
/** A refusal: application/problem+json (RFC 9457) with a stable `code`. */
export type Problem = components['schemas']['Problem']
export type ShifouClient = Client<paths>

export interface ShifouClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** The service's address, e.g. http://127.0.0.1:8080 */
  baseUrl: string
  /** The bearer token (a JWT), or a function returning the current one (called on every request). */
  token?: string | (() => string)
}

export function createShifouClient (options: ShifouClientOptions): ShifouClient {
  const { token, baseUrl, ...rest } = options
  const client = createClient<paths>({ ...rest, baseUrl: baseUrl.replace(/\/+$/, '') })
  if (token !== undefined) {
    client.use({
      onRequest ({ request }) {
        request.headers.set('authorization', 'Bearer ' + (typeof token === 'function' ? token() : token))
        return request
      }
    })
  }
  return client
}
