/** A connector that the principal may manage: an admin any, a dept_admin its own department's only (403). */
import type { Database } from '../../../../db/client.ts'
import type { ConnectorRow } from '../../../../db/schema/index.ts'
import type { Principal } from '../../../../principal.ts'
import { assertDepartment, getConnector } from '../../../../registry/store.ts'

export async function ownedConnector (database: Database, principal: Principal, id: string): Promise<ConnectorRow> {
  const c = await getConnector(database, id)
  assertDepartment(principal, c.departmentId)
  return c
}
