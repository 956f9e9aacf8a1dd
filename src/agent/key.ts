/**
 * What a department agent holds (design §14.3): its connector's derived keys and declaration,
 * exported by the hub with `shifou keys export --connector C` and given to the agent as
 * SHIFOU_AGENT_KEY. The agent hashes subjects and fields exactly as the hub's loader would, and
 * never holds the master key: from these keys nothing of another connector, of the audit
 * pseudonyms or of the receipts can be derived.
 *
 *   shifou-agent-key-v1.<base64url(JSON {connector, keyVersion, subject, fields})>
 *
 * It is a secret (whoever holds it can test guesses of ID numbers against the agent's answers):
 * the department keeps it as it keeps its database password.
 */
import { decodeBase64url, encodeBase64url } from '../crypto/base64url.ts'
import { ConnectorKeys, type Keyring } from '../keys/keyring.ts'
import type { FieldDef } from '../db/schema/index.ts'
import { DEFAULT_MAX_RECORDS_PER_SUBJECT } from '../registry/definitions.ts'

export const AGENT_KEY_PREFIX = 'shifou-agent-key-v1.'

/** The declaration of the connector whose data the agent serves (as the hub registered it). */
export interface AgentConnector {
  id: string
  subjectField: string
  subjectColumn: string | null
  fields: FieldDef[]
  /** the share of rejected rows above which a load fails (as the hub's connector has it) */
  maxRejectRatio: number
  /** rows of one subject a snapshot may hold (as the hub's connector has it; default 1,000) */
  maxRecordsPerSubject: number
}

export interface AgentKey {
  connector: AgentConnector
  keyVersion: number
  /** K_c, and K_f of the fields whose values are hashed (name, hashed) */
  subject: Uint8Array
  fields: Record<string, Uint8Array>
}

/** The fields whose values the loader hashes, and so whose keys an agent needs. */
export function hashedFields (fields: readonly FieldDef[]): string[] {
  return fields.filter((f) => f.type === 'name' || f.type === 'hashed').map((f) => f.name)
}

/** A declaration to export: without `maxRecordsPerSubject`, the default. */
export type AgentConnectorInput = Omit<AgentConnector, 'maxRecordsPerSubject'> & { maxRecordsPerSubject?: number }

export function exportAgentKey (keyring: Keyring, connector: AgentConnectorInput): string {
  const keys = keyring.connector(connector.id, keyring.currentVersion).material(hashedFields(connector.fields))
  const body = {
    connector: {
      id: connector.id,
      subjectField: connector.subjectField,
      subjectColumn: connector.subjectColumn,
      fields: connector.fields,
      maxRejectRatio: connector.maxRejectRatio,
      maxRecordsPerSubject: connector.maxRecordsPerSubject ?? DEFAULT_MAX_RECORDS_PER_SUBJECT
    },
    keyVersion: keys.keyVersion,
    subject: encodeBase64url(keys.subject),
    fields: Object.fromEntries(Object.entries(keys.fields).map(([f, k]) => [f, encodeBase64url(k)]))
  }
  return AGENT_KEY_PREFIX + encodeBase64url(JSON.stringify(body))
}

/** Reads an exported key; the message says what is wrong without repeating the secret. */
export function parseAgentKey (text: string): AgentKey {
  const bad = (why: string): Error =>
    new Error(`SHIFOU_AGENT_KEY is not an agent key (${why}); print one with shifou keys export --connector C`)
  const trimmed = text.trim()
  if (!trimmed.startsWith(AGENT_KEY_PREFIX)) throw bad(`it does not start with ${AGENT_KEY_PREFIX}`)
  const bytes = decodeBase64url(trimmed.slice(AGENT_KEY_PREFIX.length))
  if (bytes === null) throw bad('not base64url')
  let body: Record<string, unknown>
  try {
    body = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>
  } catch {
    throw bad('not JSON')
  }
  const key = (s: unknown): Uint8Array => {
    const k = typeof s === 'string' ? decodeBase64url(s) : null
    if (k === null || k.length !== 32) throw bad('a key is not 32 bytes')
    return k
  }
  const c = body.connector as AgentConnector | undefined
  if (typeof c !== 'object' || c === null || typeof c.id !== 'string' || typeof c.subjectField !== 'string' ||
    !Array.isArray(c.fields)) throw bad('no connector declaration')
  if (!Number.isSafeInteger(body.keyVersion) || (body.keyVersion as number) < 1) throw bad('no key version')
  const fields = (typeof body.fields === 'object' && body.fields !== null ? body.fields : {}) as Record<string, unknown>
  const out: AgentKey = {
    connector: {
      id: c.id,
      subjectField: c.subjectField,
      subjectColumn: c.subjectColumn ?? null,
      fields: c.fields,
      maxRejectRatio: typeof c.maxRejectRatio === 'number' ? c.maxRejectRatio : 0.01,
      // A key exported before the setting existed: the default the hub applied then.
      maxRecordsPerSubject: Number.isSafeInteger(c.maxRecordsPerSubject) && c.maxRecordsPerSubject > 0
        ? c.maxRecordsPerSubject
        : DEFAULT_MAX_RECORDS_PER_SUBJECT
    },
    keyVersion: body.keyVersion as number,
    subject: key(body.subject),
    fields: {}
  }
  for (const f of hashedFields(c.fields)) out.fields[f] = key(fields[f])
  return out
}

/**
 * The keys the loader asks for (`currentVersion`, `connector(id, version)`), answered from an
 * agent key: only its connector, only its version.
 */
export function agentKeyring (key: AgentKey): Pick<Keyring, 'currentVersion' | 'connector'> {
  const keys = ConnectorKeys.fromMaterial({
    connectorId: key.connector.id, keyVersion: key.keyVersion, subject: key.subject, fields: key.fields
  })
  return {
    currentVersion: key.keyVersion,
    connector: (id, ref) => {
      const version = typeof ref === 'number' ? ref : ref.version
      if (id !== key.connector.id || version !== key.keyVersion) {
        throw new Error(`this agent holds the keys of connector ${key.connector.id} version ${key.keyVersion} only`)
      }
      return keys
    }
  }
}
