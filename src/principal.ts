/** Who is asking: the verified claims of a token (design §2). */
export const ROLES = ['caller', 'dept_admin', 'auditor', 'admin', 'subject'] as const
export type Role = typeof ROLES[number]

export interface Principal {
  sub: string
  role: Role
  /** dept_admin only: the department it administers */
  dept?: string
  /** subject only: the citizen's ID number, normalised */
  idNumber?: string
}

export function actorOf (p: Principal): { sub: string, role: string } {
  return { sub: p.sub, role: p.role }
}
