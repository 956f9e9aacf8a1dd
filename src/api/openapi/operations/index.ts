/**
 * Every operation's documentation, keyed by `METHOD /path/{param}` (catalogue.ts). A new route adds
 * its entry to the file of its area, and a case to test/api/openapi-cases.ts.
 */
import type { Catalogue } from '../catalogue.ts'
import { auditOperations } from './audit.ts'
import { callerOperations } from './caller.ts'
import { registryOperations } from './registry.ts'
import { serviceOperations } from './service.ts'
import { consoleOperations } from './console.ts'

export const OPERATIONS: Catalogue = {
  ...serviceOperations,
  ...registryOperations,
  ...callerOperations,
  ...auditOperations,
  ...consoleOperations
}
