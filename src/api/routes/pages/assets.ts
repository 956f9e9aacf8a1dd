/**
 * GET /assets/:file: the browser files the service's own pages load (src/api/public): plain ES
 * modules and styles, served as they are written (no build step) and never from another host, so a
 * page's CSP can say `script-src 'self'`. The folder is read once at start-up; only files with a
 * known media type are served, and a name is looked up in that list, never joined to a path.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { extname } from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { ShifouError } from '../../../errors.ts'
import { Strict, withErrors } from '../../schemas/common.ts'

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png'
}

export const PUBLIC_DIR = new URL('../../public/', import.meta.url)

interface Asset { body: Buffer, type: string }

function readAssets (): Map<string, Asset> {
  const out = new Map<string, Asset>()
  for (const name of readdirSync(PUBLIC_DIR)) {
    const type = TYPES[extname(name)]
    if (type === undefined || name.endsWith('.d.ts')) continue
    const body = readFileSync(new URL(name, PUBLIC_DIR))
    out.set(name, { body, type })
  }
  return out
}

const assets: FastifyPluginAsyncTypebox = async (app) => {
  const files = readAssets()
  app.get('/:file', {
    config: { roles: 'public' },
    schema: {
      tags: ['pages'],
      description: 'A file of the service\'s own web pages (ES modules, styles, images).',
      params: Type.Object({ file: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,63}$' }) }, Strict),
      response: withErrors({
        200: Type.String({ description: 'text/javascript, text/css, image/svg+xml or image/png' })
      }, 404)
    }
  }, async (request, reply) => {
    const asset = files.get(request.params.file)
    if (asset === undefined) throw new ShifouError('NOT_FOUND', 'No such file')
    reply.header('x-content-type-options', 'nosniff')
    reply.header('cache-control', 'no-cache')
    return reply.type(asset.type).send(asset.body)
  })
}

export default assets
